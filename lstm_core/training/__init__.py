"""Training in Keras: model building, the trainer, precision, the training process and the queue of runs."""
