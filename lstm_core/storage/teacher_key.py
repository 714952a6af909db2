"""The teacher key that whoever runs the server set (LSTM_LAB_TEACHER_KEY): it publishes models and leads a
class. Compared in constant time; after a wrong key, the next attempt anywhere on the server waits, longer
with each wrong key in a row, so that guessing it from a student's tab takes forever."""

from __future__ import annotations

import hmac
import threading
from time import sleep

FIRST_WAIT_S = 0.5
MAX_WAIT_S = 8.0

_lock = threading.Lock()
_wrong_in_a_row = 0


def _wait_s() -> float:
    return 0.0 if _wrong_in_a_row == 0 else min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (_wrong_in_a_row - 1))


def matches(given: str | None, expected: str | None) -> bool:
    """Whether `given` is the server's teacher key; never without a key. Slowed down after wrong ones."""
    global _wrong_in_a_row
    if not expected or not given:
        return False
    with _lock:
        wait = _wait_s()
    if wait:
        sleep(wait)
    right = hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
    with _lock:
        _wrong_in_a_row = 0 if right else _wrong_in_a_row + 1
    return right
