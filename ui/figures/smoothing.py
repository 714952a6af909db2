"""The trend line drawn over a noisy curve (a training's loss, a classifier's accuracy): one smoothing
for every page's charts."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def smooth(values: Sequence[float], span: float | None = None) -> np.ndarray:
    """Exponential moving average with bias correction (it starts at the first value, not at 0).

    The default span grows with the run (1/20 of its length, between 5 and 200 steps), so the
    trend stays readable at the start and smooth at the end.
    """
    y = np.asarray(values, dtype=np.float64)
    if y.size == 0:
        return y
    if span is None:
        span = min(200.0, max(5.0, y.size / 20))
    beta = 1 - 2 / (span + 1)
    out = np.empty_like(y)
    acc = 0.0
    weight = 0.0
    for i, v in enumerate(y):  # ~10k points at most: a plain loop is fast enough and NaN-safe below
        if not math.isfinite(v):
            out[i] = out[i - 1] if i else v
            continue
        acc = beta * acc + (1 - beta) * v
        weight = beta * weight + (1 - beta)
        out[i] = acc / weight
    return out
