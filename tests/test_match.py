"""Match finds the passages where a span's units are on together, best first."""

import numpy as np
import pytest

from lstm_core.inference.match import find, units_on


def planted(seed=0):
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1, 0.4, (300, 12))  # nothing reaches 0.5 by chance
    for start, end in ((10, 15), (100, 105), (200, 203), (250, 262)):
        values[start:end, [3, 7]] = rng.uniform(0.6, 1.0, (end - start, 2))
    values[250:262, :] = 0.9  # a stretch where every unit is on: it says little
    return values


def test_the_planted_units_and_passages_are_found_best_first():
    values = planted()
    units = units_on(values, 10, 15, threshold=0.5)
    assert list(units) == [3, 7]
    found = find(values, units, 0.5, length=5, skip=(10, 15))
    assert [(m.start, m.end) for m in found[:2]] == [(100, 105)] + [(200, 203)]
    assert found[0].score == pytest.approx(1.0)  # as long as the span, no other unit on
    assert (250, 262) == (found[-1].start, found[-1].end) and found[-1].score == pytest.approx(0.0)
    assert all((m.start, m.end) != (10, 15) for m in found)


def test_a_span_whose_units_are_never_all_on_finds_nothing():
    values = planted()
    assert units_on(values, 30, 40, threshold=0.5).size == 0
    assert find(values, np.array([], dtype=int), 0.5, length=10) == []
    with pytest.raises(ValueError):
        units_on(values, 5, 5, 0.5)
