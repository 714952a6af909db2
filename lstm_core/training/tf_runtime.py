"""The one place TensorFlow/Keras is imported, lazily: pages that only look at a model never pay for it."""

from __future__ import annotations

import os
import time
from typing import Callable, TypeVar

T = TypeVar("T")


def keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    # TensorFlow's C++ start-up chatter (CUDA probing on a CPU machine) is noise to our users.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras as _keras

    return _keras


def retry_ast_race(fn: Callable[[], T], on_retry: Callable[[SystemError], None] | None = None,
                   attempts: int = 4) -> T:
    """Call fn, again if it hits CPython 3.11's "AST constructor recursion depth mismatch".

    Before 3.11.8 / 3.12.2 (gh-106905) that SystemError is raised when two threads parse or compile
    Python at once: TensorFlow does while it traces a step, and so do Streamlit's script runs and
    other sessions' trainings. It is raised before any weight changes, so trying again is safe;
    `on_retry` gets the error, to report it or discard what the failed trace left behind.
    """
    for attempt in range(attempts):
        try:
            return fn()
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == attempts - 1:
                raise
            if on_retry is not None:
                on_retry(exc)
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")
