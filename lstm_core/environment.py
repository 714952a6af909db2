"""Settings a deployment gives LSTM Lab through environment variables (LSTM_LAB_...)."""

from __future__ import annotations

import os


def int_setting(name: str, minimum: int, unit: str) -> int | None:
    """The whole number in environment variable `name` (None when unset), at least `minimum`;
    ValueError naming the variable otherwise. `unit` is what it counts, for the message."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of {unit}, not {value!r}") from None
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum} ({unit}), not {number}")
    return number
