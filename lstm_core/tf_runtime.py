"""The one place TensorFlow/Keras is imported, lazily: pages that only look at a model never pay for it."""

from __future__ import annotations

import os


def keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    # TensorFlow's C++ start-up chatter (CUDA probing on a CPU machine) is noise to our users.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras as _keras

    return _keras
