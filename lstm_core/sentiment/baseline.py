"""The lexicon baseline: VADER (Hutto & Gilbert 2014), from the `vaderSentiment` package.

VADER adds up the valence of the words it knows (a lexicon rated by people), with rules for
negation ("not good"), intensifiers ("very"), "but", capitals and exclamation marks, and squashes
the sum into a compound score from -1 to +1. As a binary classifier: positive above 0, negative
below 0; a text with no sentiment word at all scores exactly 0 and gets the caller's tie label.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from lstm_core.i18n import _

VADER_INSTALL = "pip install vaderSentiment==3.3.2"


class BaselineUnavailable(RuntimeError):
    pass


@lru_cache(maxsize=1)
def _analyzer():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        raise BaselineUnavailable(_("The VADER baseline needs the vaderSentiment package: {command}").format(
            command=VADER_INSTALL)) from None
    return SentimentIntensityAnalyzer()


def available() -> str | None:
    """None when VADER can run, else a message saying how to install it."""
    try:
        _analyzer()
    except BaselineUnavailable as exc:
        return str(exc)
    return None


def vader_compound(text: str) -> float:
    """VADER's compound score of a text, -1 (most negative) to +1 (most positive)."""
    return float(_analyzer().polarity_scores(text or "")["compound"])


def vader_scores(texts: Sequence[str]) -> list[float]:
    analyzer = _analyzer()
    return [float(analyzer.polarity_scores(t)["compound"]) for t in texts]


def vader_label(compound: float, tie: int = 1) -> int:
    """1 positive, 0 negative; `tie` for a score of exactly 0."""
    if compound > 0:
        return 1
    if compound < 0:
        return 0
    return int(tie)


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, float]:
    return {word: float(v) for word, v in _analyzer().lexicon.items() if " " not in word}


def lexicon() -> dict[str, float]:
    """VADER's word ratings (-4..+4) for its single-token entries (a copy)."""
    return dict(_lexicon())
