"""Looking for meaning in single units: saturation, text patterns, and which units follow a pattern.

Everything here is plain NumPy over `values`, a (T, n) array of one quantity (a gate, the cell
state, the hidden state, ...) of one layer at every position of a text: row t is the value *after*
the network has read character t. A pattern is a boolean mask (T,) over the same positions.

Masks describe the reader's situation after reading a character, which is what a unit's value at
that position can know: e.g. "inside quotes" is True at the opening quote (having read it, we are
inside) and at everything after it, and False at the closing quote (having read it, we are out).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lstm_core.i18n import N_, _

# ---------------------------------------------------------------- saturation


def saturation(values: np.ndarray, low: float = 0.1, high: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, the fraction of positions below `low` (left-saturated) and above `high` (right-saturated).

    For a gate (0..1) the defaults follow Karpathy, Johnson & Fei-Fei (2015): a gate under 0.1 is
    practically shut, over 0.9 practically open. Returns (left_frac (n,), right_frac (n,)).
    """
    v = _values(values)
    if v.shape[0] == 0:
        raise ValueError(_("There are no positions to measure saturation on (the text is empty)."))
    if not low < high:
        raise ValueError(f"low ({low}) must be below high ({high})")
    return (v < low).mean(axis=0), (v > high).mean(axis=0)


# ---------------------------------------------------------------- patterns over a text

_OPEN_QUOTES = {'"': '"', "\u201c": "\u201d"}
_CLOSE_QUOTES = {'"', "\u201d"}
_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_VOWELS = set("aeiouAEIOU")


def inside_quotes(text: str) -> np.ndarray:
    """True from an opening double quote (" or “) up to, not including, the quote that closes it."""
    mask = np.zeros(len(text), dtype=bool)
    inside = False
    for t, ch in enumerate(text):
        if not inside and ch in _OPEN_QUOTES:
            inside = True
        elif inside and ch in _CLOSE_QUOTES:
            inside = False
        mask[t] = inside
    return mask


def inside_brackets(text: str) -> np.ndarray:
    """True from an opening bracket ( [ { up to, not including, its closing bracket (nesting counts)."""
    mask = np.zeros(len(text), dtype=bool)
    depth = 0
    for t, ch in enumerate(text):
        if ch in _BRACKETS:
            depth += 1
        elif ch in _CLOSERS and depth > 0:
            depth -= 1
        mask[t] = depth > 0
    return mask


def line_start(text: str) -> np.ndarray:
    """True at the first character of every line (the first character of the text, and after each newline)."""
    mask = np.zeros(len(text), dtype=bool)
    if text:
        mask[0] = True
        nl = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == ord("\n")
        mask[1:] = nl[:-1]
    return mask


def uppercase(text: str) -> np.ndarray:
    """True at capital letters."""
    return np.fromiter((c.isupper() for c in text), dtype=bool, count=len(text))


def inside_word(text: str) -> np.ndarray:
    """True at letters, and at an apostrophe or hyphen with letters on both sides (wish'd, heart-ache)."""
    letters = np.fromiter((c.isalpha() for c in text), dtype=bool, count=len(text))
    mask = letters.copy()
    for t in range(1, len(text) - 1):
        if text[t] in "'-\u2019" and letters[t - 1] and letters[t + 1]:
            mask[t] = True
    return mask


def vowel(text: str) -> np.ndarray:
    """True at the vowels a, e, i, o, u (either case)."""
    return np.fromiter((c in _VOWELS for c in text), dtype=bool, count=len(text))


def speaker_line(text: str) -> np.ndarray:
    """True on lines written in capitals with at least two letters (a speaker's name in a play), newline excluded."""
    mask = np.zeros(len(text), dtype=bool)
    start = 0
    for line in text.split("\n"):
        letters = [c for c in line if c.isalpha()]
        if len(letters) >= 2 and all(c.isupper() for c in letters):
            mask[start:start + len(line)] = True
        start += len(line) + 1
    return mask


# Chinese punctuation that closes a half-line of verse: a 五言 line is "床前明月光，疑是地上霜。".
_HALF_LINE_END = set("，。？！；：、")


def _ideograph(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def half_line_start(text: str) -> np.ndarray:
    """True at a Chinese character that opens a half-line: first in the text, after a line break or after ，。"""
    mask = np.zeros(len(text), dtype=bool)
    for t, ch in enumerate(text):
        mask[t] = _ideograph(ch) and (t == 0 or text[t - 1] == "\n" or text[t - 1] in _HALF_LINE_END)
    return mask


def before_punctuation(text: str) -> np.ndarray:
    """True at a character just before ，。？！: in a poem, the fifth (or seventh) of its half-line. A unit
    that follows this has to count: nothing in the character itself says the half-line ends next."""
    mask = np.zeros(len(text), dtype=bool)
    for t in range(len(text) - 1):
        mask[t] = text[t + 1] in _HALF_LINE_END and text[t] not in _HALF_LINE_END
    return mask


def half_line_end(text: str) -> np.ndarray:
    """True at the punctuation that closes a half-line (，。？！；：、)."""
    return np.fromiter((c in _HALF_LINE_END for c in text), dtype=bool, count=len(text))


# Names (the keys, also the widgets' values) and descriptions are English, marked for the catalog:
# translate them with _() where they are shown.
PREDICATES: dict[str, tuple[str, Callable[[str], np.ndarray]]] = {
    N_("inside quotes"): (N_("from an opening double quote up to its closing quote"), inside_quotes),
    N_("inside brackets"): (N_("from an opening ( [ or { up to its closing bracket, e.g. a stage direction"), inside_brackets),
    N_("after a newline"): (N_("the first character of every line"), line_start),
    N_("uppercase"): (N_("capital letters"), uppercase),
    N_("inside a word"): (N_("letters, and ' or - between letters"), inside_word),
    N_("vowel"): (N_("the vowels a e i o u"), vowel),
    N_("speaker's name"): (N_("lines written in capitals, like HAMLET"), speaker_line),
    N_("half-line start"): (N_("the first character of a half-line of a Chinese poem"), half_line_start),
    N_("before punctuation"): (N_("the character just before ， or 。, the fifth or seventh of a half-line"),
                               before_punctuation),
    N_("half-line end"): (N_("the punctuation that closes a half-line: ，。？！"), half_line_end),
}


def pattern_masks(text: str) -> dict[str, np.ndarray]:
    """The masks of the built-in patterns that mark some of `text` but not all (a poem has no
    capitals, a play no ，), by name."""
    found = {}
    for name, (_description, predicate) in PREDICATES.items():
        mask = predicate(text)
        if mask.any() and not mask.all():
            found[name] = mask
    return found


def patterns_in(text: str) -> list[str]:
    """The names of the built-in patterns that mark some of `text` but not all."""
    return list(pattern_masks(text))


def span_mask(length: int, start: int, end: int) -> np.ndarray:
    """True at positions start..end-1 (a half-open span, clipped to the text)."""
    if length < 0:
        raise ValueError("length must not be negative")
    mask = np.zeros(length, dtype=bool)
    start, end = max(0, int(start)), min(length, int(end))
    if end > start:
        mask[start:end] = True
    return mask


def substring_mask(text: str, needle: str, case_sensitive: bool = False) -> np.ndarray:
    """True at every character of every (possibly overlapping) occurrence of `needle` in `text`."""
    mask = np.zeros(len(text), dtype=bool)
    if not needle:
        return mask
    hay, pin = (text, needle) if case_sensitive else (text.lower(), needle.lower())
    if len(hay) != len(text) or len(pin) != len(needle):  # lower() changed a length (e.g. "İ"): match exactly
        hay, pin = text, needle
    at = hay.find(pin)
    while at != -1:
        mask[at:at + len(pin)] = True
        at = hay.find(pin, at + 1)
    return mask


# ---------------------------------------------------------------- ranking units by a pattern


@dataclass(frozen=True)
class Ranking:
    """Units ordered by how well their value alone separates positions inside a pattern from outside.

    order (n,) unit indices, best first; the other arrays are indexed by *unit* (not by rank).
    auc: ROC AUC of the unit's value as a score for "inside" (1: every inside position is higher
    than every outside one, 0: every one lower, 0.5: no separation). score = max(auc, 1 - auc),
    0.5..1. sign: +1 when the unit is higher inside the pattern, -1 when lower, 0 when neither.
    """

    order: np.ndarray
    score: np.ndarray
    auc: np.ndarray
    sign: np.ndarray
    mean_inside: np.ndarray
    mean_outside: np.ndarray
    effect_size: np.ndarray  # standardized mean difference (Cohen's d, pooled standard deviation)
    n_inside: int
    n_outside: int

    def top(self, k: int = 10) -> np.ndarray:
        return self.order[:k]


def _sorted_average_ranks(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, ranks in sorted order): per column, the argsort and the 1-based rank of each sorted
    value, ties sharing the average of their ranks."""
    T = v.shape[0]
    order = np.argsort(v, axis=0, kind="stable")
    s = np.take_along_axis(v, order, axis=0)
    starts = np.ones(v.shape, dtype=bool)
    np.not_equal(s[1:], s[:-1], out=starts[1:])
    ends = np.ones(v.shape, dtype=bool)
    ends[:-1] = starts[1:]
    idx = np.arange(T, dtype=np.int64)[:, None]
    first = np.maximum.accumulate(np.where(starts, idx, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends, idx, T - 1)[::-1], axis=0)[::-1]
    return order, (first + last) / 2.0 + 1.0


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Per column, 1-based ranks of the values, ties sharing the average of their ranks (vectorised)."""
    v = _values(values)
    order, sorted_ranks = _sorted_average_ranks(v)
    ranks = np.empty(v.shape)
    np.put_along_axis(ranks, order, sorted_ranks, axis=0)
    return ranks


def roc_auc(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per unit, the ROC AUC of its value for telling mask positions (positives) from the rest.

    Equal to the probability that a random inside position has a higher value than a random outside
    one (ties count half): the Mann-Whitney U statistic divided by n_inside · n_outside.
    """
    v, m = _values(values), _mask(mask, values)
    n_pos, n_neg = int(m.sum()), int((~m).sum())
    _require_both(n_pos, n_neg)
    order, sorted_ranks = _sorted_average_ranks(v)
    rank_sum = np.where(m[order], sorted_ranks, 0.0).sum(axis=0)
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def rank_units(values: np.ndarray, mask: np.ndarray) -> Ranking:
    """Rank units by how cleanly their value separates positions inside `mask` from positions outside.

    The score is the ROC AUC of the unit's value, folded so that a unit that is reliably *lower*
    inside counts as much as one that is reliably higher: score = max(AUC, 1 - AUC), with the
    direction kept in `sign`. AUC depends only on the order of the values, so it treats a gate
    (0..1) and an unbounded cell state alike and is not swayed by a few extreme values. Ties in the
    score are broken by the size of the standardized mean difference, then by unit index.

    Raises ValueError (with a message meant for a person) when the mask is all True or all False:
    there is then nothing to separate.
    """
    v, m = _values(values), _mask(mask, values)
    auc = roc_auc(v, m)
    inside, outside = v[m], v[~m]
    n_in, n_out = len(inside), len(outside)
    var_in = inside.var(axis=0, ddof=1) if n_in > 1 else np.zeros(v.shape[1])
    var_out = outside.var(axis=0, ddof=1) if n_out > 1 else np.zeros(v.shape[1])
    return ranking_of(auc, inside.mean(axis=0), outside.mean(axis=0), var_in, var_out, n_in, n_out)


def ranking_of(auc: np.ndarray, mean_in: np.ndarray, mean_out: np.ndarray, var_in: np.ndarray,
               var_out: np.ndarray, n_in: int, n_out: int) -> Ranking:
    """The Ranking rank_units makes, from per-unit summaries (AUC, and the mean and sample variance
    inside and outside) wherever they came from: one text's values, or a whole corpus streamed past."""
    score = np.maximum(auc, 1.0 - auc)
    dof = max(n_in + n_out - 2, 1)
    pooled = np.sqrt(((n_in - 1) * var_in + (n_out - 1) * var_out) / dof)
    diff = mean_in - mean_out
    with np.errstate(divide="ignore", invalid="ignore"):
        effect = np.where(pooled > 1e-12, diff / np.where(pooled > 1e-12, pooled, 1.0), 0.0)
    sign = np.where(auc > 0.5, 1, np.where(auc < 0.5, -1, 0)).astype(np.int8)
    n = auc.shape[0]
    # lexsort: the last key is the primary one.
    order = np.lexsort((np.arange(n), -np.abs(effect), -np.round(score, 12)))
    return Ranking(order=order, score=score, auc=auc, sign=sign, mean_inside=mean_in, mean_outside=mean_out,
                   effect_size=effect, n_inside=n_in, n_outside=n_out)


# ---------------------------------------------------------------- sorting units for a heatmap

SORTS = {
    "index": "in their order in the layer",
    "variance": "most changing first (variance over the text)",
    "saturation": "most often near an end of their range first",
    "correlation": "most in step with the chosen pattern first (|correlation|)",
}


def correlation(values: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """Per unit, the Pearson correlation of its value with `pattern` (T,); 0 for a constant unit or pattern."""
    v = _values(values)
    p = np.asarray(pattern, dtype=np.float64).reshape(-1)
    if p.shape[0] != v.shape[0]:
        raise ValueError(f"the pattern has {p.shape[0]} positions but the values have {v.shape[0]}")
    vc = v - v.mean(axis=0)
    pc = p - p.mean()
    denom = np.sqrt((vc ** 2).sum(axis=0) * (pc ** 2).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(denom > 1e-12, (pc @ vc) / np.where(denom > 1e-12, denom, 1.0), 0.0)
    return r


def sort_units(values: np.ndarray, by: str = "variance", *, pattern: np.ndarray | None = None,
               low: float = 0.1, high: float = 0.9) -> np.ndarray:
    """Unit indices in display order.

    by: "index" (0, 1, 2, ...), "variance" (largest first), "saturation" (largest fraction of
    positions below `low` or above `high` first) or "correlation" (largest |Pearson correlation|
    with `pattern`, a (T,) mask or signal, first; needs `pattern`). Ties keep index order.
    """
    v = _values(values)
    n = v.shape[1]
    idx = np.arange(n)
    if by == "index":
        return idx
    if v.shape[0] == 0:
        return idx
    if by == "variance":
        key = v.var(axis=0)
    elif by == "saturation":
        left, right = saturation(v, low, high)
        key = left + right
    elif by == "correlation":
        if pattern is None:
            raise ValueError(_("Sorting by correlation needs a pattern: choose one under “Find units for a pattern”."))
        key = np.abs(correlation(v, pattern))
    else:
        raise ValueError(f"unknown sort {by!r}; choose one of {', '.join(SORTS)}")
    return np.lexsort((idx, -key))


# ---------------------------------------------------------------- helpers


def _values(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"values must be a (positions, units) array, not shape {v.shape}")
    return v


def _mask(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    m = np.asarray(mask, dtype=bool).reshape(-1)
    if m.shape[0] != np.shape(values)[0]:
        raise ValueError(f"the pattern covers {m.shape[0]} positions but the text has {np.shape(values)[0]}")
    return m


def _require_both(n_inside: int, n_outside: int) -> None:
    if n_inside == 0 and n_outside == 0:
        raise ValueError(_("The text is empty, so there is nothing to compare."))
    if n_inside == 0:
        raise ValueError(_("The pattern matches no character of this text, so there is nothing to compare: "
                           "choose another pattern or change the text."))
    if n_outside == 0:
        raise ValueError(_("The pattern covers every character of this text, so there is nothing to compare "
                           "it with: choose a smaller span or another pattern."))
