"""Match (LSTMVis, Strobelt et al. 2018): from a marked span and the units that are on all along it,
find the other passages where the same units are on, best first.

A unit is "on" at a character when its value there is at least `threshold` (the page suggests a
percentile of the layer's values, so that "on" means "unusually high" for any quantity). The units of
a span are those on at every one of its characters. A passage matches where all of them are on
together; it ranks higher the closer its length is to the span's and the fewer of the layer's other
units are on with them (a stretch where most units are on says little).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_core.i18n import _


@dataclass(frozen=True)
class Match:
    start: int
    end: int  # exclusive
    score: float  # 0..1: length like the span's, and few other units on


def units_on(values: np.ndarray, start: int, end: int, threshold: float) -> np.ndarray:
    """The units (columns of `values`, positions × units) at or above `threshold` all along [start, end)."""
    if not 0 <= start < end <= len(values):
        raise ValueError(_("Mark at least one character of the text."))
    return np.flatnonzero((np.asarray(values)[start:end] >= threshold).all(axis=0))


def find(values: np.ndarray, units: np.ndarray, threshold: float, length: int, top: int = 10,
         skip: tuple[int, int] | None = None) -> list[Match]:
    """The best `top` passages of `values` where every one of `units` is on; `skip` leaves out the span itself."""
    values = np.asarray(values)
    units = np.asarray(units, dtype=int)
    if units.size == 0:
        return []
    on = values >= threshold
    together = on[:, units].all(axis=1)
    others = (on.sum(axis=1) - units.size) / max(1, values.shape[1] - units.size)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], together.astype(np.int8), [0]])))
    found = []
    for start, end in zip(edges[::2], edges[1::2]):
        if skip is not None and start < skip[1] and skip[0] < end:
            continue
        alike = min(end - start, length) / max(end - start, length)
        found.append(Match(int(start), int(end), float(alike * (1 - others[start:end].mean()))))
    return sorted(found, key=lambda m: (-m.score, m.start))[:top]
