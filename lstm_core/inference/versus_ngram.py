"""Where an LSTM beats a count-based n-gram model, character by character (Karpathy, Johnson & Fei-Fei
2015, section 4.3): the difference log p(LSTM) − log p(n-gram) of each true next character, summed up
by the kind of place it is predicted at. An n-gram model sees only the last n−1 characters, so the
LSTM's lead is largest where the answer depends on more (closing a bracket, ending a line of verse).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lstm_core.i18n import N_

_CLOSERS = set(")]}》）」』】")
_PUNCTUATION = set(",.;:!?，。；：！？、")

# Kind of place -> whether the character predicted at position t+1 (after text[..t]) is one.
CONTEXTS: dict[str, Callable[[str, int], bool]] = {
    N_("a closing bracket"): lambda text, t: text[t] in _CLOSERS,
    N_("a line break"): lambda text, t: text[t] == "\n",
    N_("the first character of a line"): lambda text, t: t > 0 and text[t - 1] == "\n" and text[t] != "\n",
    N_("the first letter of a word"): lambda text, t: t > 0 and text[t].isalpha() and not text[t - 1].isalpha()
    and text[t - 1] != "\n",
    N_("a letter inside a word"): lambda text, t: t > 0 and text[t].isalpha() and text[t - 1].isalpha(),
    N_("a space"): lambda text, t: text[t] == " ",
    N_("punctuation"): lambda text, t: text[t] in _PUNCTUATION,
}


@dataclass(frozen=True)
class Place:
    name: str  # a CONTEXTS key (English; shown through _())
    count: int
    mean_lead: float  # mean log p(LSTM) − log p(n-gram), nats
    lstm_better: float  # fraction of those characters the LSTM found more likely


def lead(lstm_log_probs: np.ndarray, ngram_log_probs: np.ndarray) -> np.ndarray:
    """log p(LSTM) − log p(n-gram) of each next character (both aligned: element t predicts t+1)."""
    a, b = np.asarray(lstm_log_probs, dtype=float), np.asarray(ngram_log_probs, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"{a.shape} LSTM log-probabilities but {b.shape} n-gram ones")
    return a - b


def places(text: str, leads: np.ndarray) -> list[Place]:
    """The lead summed up by kind of place, for the kinds that occur in the text."""
    if len(leads) != len(text) - 1:
        raise ValueError(f"{len(text)} characters but {len(leads)} predictions")
    out = []
    for name, is_one in CONTEXTS.items():
        picked = np.array([is_one(text, t + 1) for t in range(len(leads))], dtype=bool)
        if picked.any():
            chosen = leads[picked]
            out.append(Place(name, int(picked.sum()), float(chosen.mean()), float((chosen > 0).mean())))
    return out
