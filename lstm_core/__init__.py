"""LSTM Lab's engine: corpora, character vocabularies, Keras training, and NumPy inference.

Importing this package is cheap: TensorFlow loads only when something trains.
"""
