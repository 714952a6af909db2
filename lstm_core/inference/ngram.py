"""A character n-gram language model with interpolated Kneser-Ney smoothing, as a baseline for an LSTM.

Karpathy, Johnson & Fei-Fei (2015), "Visualizing and Understanding Recurrent Networks", compare an
LSTM with an n-gram model character by character: where log p(LSTM) - log p(n-gram) is large, the
LSTM uses context longer than n-1 characters (closing a bracket, ending a quote). The Gates page
does the same, so this model predicts over exactly the ids of an LSTM Lab `CharVocab`: id 0 is the
unknown slot, the vocabulary's characters are ids 1..n.

Smoothing is interpolated Kneser-Ney (Chen & Goodman 1998), one absolute discount per order:

    p(w | h) = max(c(h w) - D, 0) / c(h)  +  D * N1+(h .) / c(h) * p(w | h')

where h' is h without its oldest character, c(h) = sum_w c(h w) and N1+(h .) the number of distinct
characters seen after h. The highest order uses raw counts; lower orders use continuation counts
N1+(. h w) (how many different characters precede h w), so a character that is frequent only
inside one word does not get a large "anywhere" probability. Below the unigram sits the uniform
distribution over all ids, so every probability is > 0. An unseen context (c(h) = 0) passes the
lower order through unchanged. D = n1 / (n1 + 2 n2) for each order, n1 and n2 being how many of
that order's n-grams have count exactly 1 and 2. Near the start of a text, a context shorter than
order - 1 uses the lower-order (continuation) distribution of its own length.

How counts are stored: every distinct m-gram gets a dense id, the (m+1)-gram "x + g" being keyed by
id(g) * size + x (its oldest character prepended to an m-gram). Keys are then plain int64, counting
is sorting and look-ups are `np.searchsorted`, vectorised over a whole text: no Python dicts of
tuples, and ids stay small whatever the vocabulary (a Chinese one has thousands of characters).

Measured on 2 CPU cores (AVX2) with a model training in the background, order 7 on `shakespeare3`
(392k characters, 65 in the vocabulary): fit 0.5-1.4 s, `text_log_probs` of 2,000 characters
5-10 ms (57 ms at worst), `probs` 0.3-0.5 ms, 14 MB of arrays. Held out (Othello), 2.39 bits per
character at order 5 and 2.40 at order 7: this little text cannot feed longer contexts.
`shakespeare-train` (4.6M characters): fit 17 s, peak memory 410 MB.

Pure Python + NumPy: no Streamlit, no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_ORDER = 7
# With no n-gram seen exactly once (a short periodic text) the estimate gives D = 0, which would
# leave nothing for unseen characters; a mid-range discount keeps every probability positive.
_FALLBACK_DISCOUNT = 0.5


def _find(keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of `queries` in the sorted array `keys`, and whether each was there."""
    at = np.minimum(np.searchsorted(keys, queries), max(len(keys) - 1, 0))
    found = keys[at] == queries if len(keys) else np.zeros(len(queries), dtype=bool)
    return at, found


def _groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values (sorted), how often each occurs, and each value's rank among them.

    Written out with one argsort: `np.unique` would sort again for each output, and on NumPy 2.3+
    its hash-based path is several times slower than sorting these int64 keys."""
    order = np.argsort(values)
    ranked = values[order]
    new = np.empty(len(ranked), dtype=bool)
    new[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.cumsum(new) - 1
    return ranked[starts], np.diff(np.append(starts, len(ranked))), rank


class _Level:
    """The counts of one context length m: next-character counts after each m-gram context."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray, n_contexts: int, size: int):
        self.keys, self.counts = keys, counts  # keys = context id * size + next id, sorted
        context = keys // size
        self.totals = np.bincount(context, weights=counts, minlength=n_contexts)  # c(h)
        self.types = np.bincount(context, minlength=n_contexts).astype(np.float64)  # N1+(h .)
        n1, n2 = int(np.sum(counts == 1)), int(np.sum(counts == 2))
        self.discount = n1 / (n1 + 2 * n2) if n1 else _FALLBACK_DISCOUNT


class NGramModel:
    """Interpolated Kneser-Ney over character ids; build one with `NGramModel.fit`."""

    def __init__(self, order: int, chars: tuple[str, ...], levels: list[_Level], extend: list[np.ndarray]):
        self.order = order
        self.chars = chars
        self.size = len(chars) + 1  # the unknown slot, id 0, included
        self._levels = levels  # levels[m]: contexts of m characters, m = 0 .. order-1
        self._extend = extend  # extend[m]: keys id(g) * size + x of the m-grams "x + g"; index = id

    @classmethod
    def fit(cls, text: str, order: int, chars: Sequence[str]) -> NGramModel:
        """Count `text` for a model of `order` (1..7) over `chars`; other characters count as id 0."""
        if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
            raise ValueError(f"The n-gram order must be a whole number from 1 to {MAX_ORDER}, not {order!r}.")
        if not text:
            raise ValueError("Cannot fit an n-gram model on an empty text.")
        chars = tuple(chars)
        if len(set(chars)) != len(chars):
            raise ValueError("The character list names a character twice.")
        index = {c: i + 1 for i, c in enumerate(chars)}
        x = np.fromiter((index.get(c, 0) for c in text), dtype=np.int64, count=len(text))
        size, n = len(chars) + 1, len(x)
        levels: list[_Level] = []
        extend: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        gid = np.zeros(n + 1, dtype=np.int64)  # gid[s]: id of the m-gram starting at s (m = 0: all 0)
        n_grams = 1
        for m in range(order):
            rest = max(n - m, 0)  # m-grams followed by a character (none if the text is shorter)
            followed = gid[:rest] * size + x[m:]  # context starting at s, then the id at s + m
            if m == order - 1:  # highest order: how often w follows h
                keys, counts, _ = _groups(followed)
            else:  # lower orders: after how many different characters "h w" occurs
                pairs = _groups(followed[1:] * size + x[: max(rest - 1, 0)])[0]
                keys, counts, _ = _groups(pairs // size)
            levels.append(_Level(keys, counts.astype(np.float64), n_grams, size))
            if m < order - 1:  # the (m+1)-grams: prepend x[s] to the m-gram starting at s + 1
                ext, _, gid = _groups(gid[1: rest + 1] * size + x[:rest])
                extend.append(ext)
                n_grams = len(ext)
        return cls(order, chars, levels, extend)

    def _check(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise ValueError(f"Character ids must be from 0 to {self.size - 1} for this vocabulary.")
        return ids

    def probs(self, context_ids: Sequence[int]) -> np.ndarray:
        """p(next id | context) for every id 0..len(chars); only the last order-1 ids are used."""
        context = self._check(np.asarray(context_ids, dtype=np.int64))[::-1][: self.order - 1]
        p = np.full(self.size, 1.0 / self.size)
        g = 0  # id of the context's last m characters, grown one older character at a time
        for m, level in enumerate(self._levels):
            if m > 0:
                if m > len(context):
                    break
                at, found = _find(self._extend[m], np.array([g * self.size + context[m - 1]]))
                if not found[0]:
                    break  # never seen: no longer context was seen either
                g = int(at[0])
            total = level.totals[g]
            if total == 0:
                continue  # seen only where nothing follows it: the lower order stands
            lo, hi = np.searchsorted(level.keys, [g * self.size, (g + 1) * self.size])
            p *= level.discount * level.types[g] / total
            p[level.keys[lo:hi] - g * self.size] += np.maximum(level.counts[lo:hi] - level.discount, 0) / total
        return p

    def text_log_probs(self, ids: np.ndarray) -> np.ndarray:
        """Natural log of p(ids[t+1] | ids[..t]) for t = 0..T-2: aligned with an LSTM trace's probs[t]."""
        ids = self._check(ids)
        if len(ids) < 2:
            return np.zeros(0)
        t = np.arange(len(ids) - 1)
        nxt = ids[1:]
        p = np.full(len(t), 1.0 / self.size)
        g = np.zeros(len(t), dtype=np.int64)
        alive = np.ones(len(t), dtype=bool)  # positions whose context of m characters was seen
        for m, level in enumerate(self._levels):
            if not len(level.keys):
                break  # a text shorter than the order: no longer n-gram was counted either
            if m > 0:
                start = t - m + 1  # oldest character of the context
                alive &= start >= 0
                at, found = _find(self._extend[m], g * self.size + ids[np.maximum(start, 0)])
                alive &= found
                g = np.where(alive, at, 0)
            total = np.where(alive, level.totals[g], 0.0)
            use = total > 0
            at, found = _find(level.keys, g * self.size + nxt)
            count = np.where(found, level.counts[at], 0.0)
            safe = np.where(use, total, 1.0)
            mixed = (np.maximum(count - level.discount, 0) + level.discount * level.types[g] * p) / safe
            p = np.where(use, mixed, p)
        return np.log(p)
