"""Looking at a model in NumPy: weights read from Keras files, the engine, sampling and analyses of units."""
