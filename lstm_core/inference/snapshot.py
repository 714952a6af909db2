"""The weights at one training step, so pages can look at the model as it was then."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Snapshot:
    step: int
    net: object  # the NumPy network (lstm_core.inference.netweights)
