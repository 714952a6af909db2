"""Where the network leads the n-gram model, by kind of place."""

import numpy as np
import pytest

from lstm_core.inference.versus_ngram import lead, places


def test_places_sum_the_lead_by_what_is_predicted():
    text = "ab (cd)\nef gh."
    leads = np.arange(len(text) - 1, dtype=float) - 5  # lead[t] belongs to text[t + 1]
    found = {p.name: p for p in places(text, leads)}
    close = found["a closing bracket"]
    assert close.count == 1 and close.mean_lead == leads[text.index(")") - 1]
    breaks = found["a line break"]
    assert breaks.count == 1 and breaks.mean_lead == leads[text.index("\n") - 1]
    first = found["the first character of a line"]
    assert first.mean_lead == leads[text.index("e") - 1]
    inside = found["a letter inside a word"]
    expected = [leads[t - 1] for t in range(1, len(text)) if text[t].isalpha() and text[t - 1].isalpha()]
    assert inside.count == len(expected) and inside.mean_lead == pytest.approx(np.mean(expected))
    assert inside.lstm_better == pytest.approx(np.mean(np.array(expected) > 0))
    assert "punctuation" in found and found["punctuation"].count == 1


def test_lead_is_the_difference_and_shapes_must_agree():
    np.testing.assert_allclose(lead(np.log([0.5, 0.25]), np.log([0.25, 0.5])), [np.log(2), -np.log(2)])
    with pytest.raises(ValueError):
        lead(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError):
        places("abc", np.zeros(5))
