"""A pattern a person types as a regular expression: the characters of a text that a match covers.

Matches are found overlapped (a match may start inside another one), so "aa" covers every
character of "aaa", as a reader would expect; a match of no characters (^, \\b, a*) covers nothing.
The expression runs in the `regex` package, whose `timeout` stops it: an expression that backtracks
without end on this text, like (a+)+$ on a long run of a's, fails with a message after
`timeout_s` seconds instead of holding up the server. The time limit covers the whole search, so a
pattern that matches a very large number of times is stopped the same way.
"""

from __future__ import annotations

import numpy as np
import regex

from lstm_core.i18n import N_
from lstm_core.said import Explained

MAX_EXPRESSION = 500  # characters: enough for any pattern a person writes by hand
TIMEOUT_S = 2.0


class PatternError(Explained):
    """An expression that cannot be used on the text, explained for a person."""


def compiled(expression: str) -> regex.Pattern:
    """The expression ready to search with; PatternError with the regex engine's own words if it is wrong."""
    if not expression:
        raise PatternError(N_("Type a regular expression to look for."))
    if len(expression) > MAX_EXPRESSION:
        raise PatternError(N_("The expression is {length:,} characters long; keep it under {limit:,}."),
                           length=len(expression), limit=MAX_EXPRESSION)
    try:
        return regex.compile(expression)
    except regex.error as exc:
        raise PatternError(N_("This is not a regular expression that can be used: {error}."), error=str(exc)) from None


def regex_mask(text: str, expression: str, timeout_s: float = TIMEOUT_S) -> np.ndarray:
    """True at every character of `text` that some match of `expression` covers (T,)."""
    pattern = compiled(expression)
    # Each match adds 1 where it starts and takes it away where it ends: covered where the sum is positive.
    change = np.zeros(len(text) + 1, dtype=np.int32)
    try:
        for match in pattern.finditer(text, overlapped=True, timeout=timeout_s):
            start, end = match.span()
            if end > start:
                change[start] += 1
                change[end] -= 1
    except TimeoutError:
        raise PatternError(N_("The expression took too long on this text (over {seconds:g} seconds) and was "
                              "stopped; make it simpler: nested repeats like (a+)+ can take forever."),
                           seconds=timeout_s) from None
    return np.cumsum(change[:-1]) > 0
