"""Settings a deployment gives LSTM Lab through environment variables (LSTM_LAB_...)."""

from __future__ import annotations

import os

from lstm_core.i18n import N_, _

# What the callers' settings count (int_setting's `unit`), translated where a message names it.
_UNITS = (N_("trainings"), N_("megabytes"))


def int_setting(name: str, minimum: int, unit: str) -> int | None:
    """The whole number in environment variable `name` (None when unset), at least `minimum`;
    ValueError naming the variable otherwise. `unit` is what it counts, for the message."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(_("{name} must be a whole number of {unit}, not {value!r}").format(
            name=name, unit=_unit(unit), value=value)) from None
    if number < minimum:
        raise ValueError(_("{name} must be at least {minimum} ({unit}), not {number}").format(
            name=name, minimum=minimum, unit=_unit(unit), number=number))
    return number


def _unit(unit: str) -> str:
    return _(unit) if unit in _UNITS else unit
