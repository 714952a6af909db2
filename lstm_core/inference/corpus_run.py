"""A whole corpus through the NumPy engine, counted as it goes: what each unit does over millions
of characters, in memory that does not grow with the text (but for 1 bit per unit per position
for Match and one float per position for the n-gram comparison).

The text is cut into B contiguous streams that run side by side, so every step is one
(B, units)·(units, gates) product per layer instead of B vector products. The steps go by in
chunks; each chunk's values are counted (corpus_result) and dropped, and each stream's state is
carried to its next chunk.

Stream boundaries: a single-stream trace() reads the text from the zero state at character 0, but a
stream that starts at character s would start from the zero state there. So each stream first reads
the `warmup` characters before its start, whose values are not counted: from then on its state is
that of a reader who has read them. It cannot be exactly the single stream's (that one depends on
everything since character 0), but the pretrained models learnt on passages of 128 characters
read from the zero state, so what came before that hardly shows in their state; the default warm-up
is 256. Exactly: a stream that starts at s reads from r = max(0, s - warmup) and counts what
trace() of text[r:] gives from row s - r on. With warmup >= the text's length every stream reads
from character 0 and the counts are the single stream's (to float32 rounding); warmup=0 restarts
each stream from the zero state. The warm-up costs B·warmup characters more to run (3% of a
million characters with 128 streams).

Histogram bins (bin_index): logarithmic, read straight off a value's float32 bits (its exponent
and first 3 mantissa bits: 8 bins an octave, neighbours 9% apart in size), so binning costs a few
integer operations instead of a logarithm per value. A value over 0.5 of a gate, or of a tanh
quantity's size, is binned by its distance to 1 instead, so a gate at 0.999 is told from one at
0.9999 as one at 0.001 is from 0.0001. Sizes under 2^-12 (2^-20 near a gate's ends) and over 2^12
share the end bins. Values the bins cannot tell apart count as ties: CorpusResult reports the most
this can move each unit's AUC (on a text whose first-layer values cluster by character, up to
about 0.1 for some h and c units; a few thousandths for most gates).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import numpy as np

from lstm_core.data.vocab import CharVocab
from lstm_core.inference import engine
from lstm_core.inference.corpus_result import SHARES_HISTOGRAM, CorpusResult, LayerSums
from lstm_core.inference.netweights import Network
from lstm_core.inference.unit_stats import pattern_masks

LOW, HIGH = 0.1, 0.9  # unit_stats.saturation's thresholds
# How each quantity is moved to a line without bounds before binning (see the module's docstring).
_GATES = {"i", "f", "o", "z", "r"}
_TANH = {"g", "h", "hh"}


class Cancelled(Exception):
    """The caller's cancel check said stop."""


@dataclass(frozen=True)
class CorpusOptions:
    streams: int = 128  # texts run side by side
    warmup: int = 256  # characters read before a stream's start, not counted
    steps: int = 64  # steps per chunk: a chunk holds streams × steps positions
    on_threshold: float = 0.5  # h at or above it is "on" for Match
    match_bits: bool = True  # keep them: units/8 bytes per position and layer (32 MB a million for 256 units)

    def key(self) -> str:
        """The options as text, for a cache key."""
        return ",".join(f"{k}={v}" for k, v in asdict(self).items())


def _key(a: np.ndarray) -> np.ndarray:
    """Non-negative float32s as whole numbers in the same order: a float's sign, exponent and first
    mantissa bits, read as an integer, grow with it (IEEE 754), _SUBSTEPS to an octave."""
    return a.view(np.int32) >> (23 - _SUBSTEP_BITS)


_SUBSTEP_BITS = 3  # 8 bins per octave: neighbouring bins differ by 9% in size
_HALF = int(_key(np.float32(0.5)))
# Per kind of quantity: (fold, lowest key, highest key). Magnitudes under 2^-12 (2^-20 from a gate's
# ends) share the bins at the ends, as do free values over 2^12; "fold" measures a value over 0.5 by
# its distance to 1, which float32 holds exactly, so bins grow finer towards 1 as they do towards 0.
_GATE = (True, int(_key(np.float32(2.0 ** -20))), 2 * _HALF - int(_key(np.float32(2.0 ** -20))))
_TANH_RANGE = (True, int(_key(np.float32(2.0 ** -12))), 2 * _HALF - int(_key(np.float32(2.0 ** -20))))
_FREE = (False, int(_key(np.float32(2.0 ** -12))), int(_key(np.float32(2.0 ** 12))))
# Gates' bins start at 0; the others' are signed, about the middle bin.
BINS = max(_GATE[2] - _GATE[1] + 1, *(2 * (high - low) + 1 for _fold, low, high in (_TANH_RANGE, _FREE)))


def _magnitude_bins(m: np.ndarray, fold: bool, low: int, high: int) -> np.ndarray:
    """Bins of non-negative float32s `m` (a new int32 array), with no branch per value: np.where on
    values in no order is several times slower than these few integer passes."""
    bits = m.view(np.int32)
    if fold:
        # min(m, 1 - m) is the distance to the nearer end; its key counts up from 0 or down from 1.
        other = np.subtract(np.float32(1), m).view(np.int32)
        near_one = np.subtract(other, bits)
        near_one >>= 31  # -1 where m > 0.5 (1 - m < m), else 0
        key = np.minimum(bits, other, out=other)
        key >>= 23 - _SUBSTEP_BITS
        key -= _HALF
        key ^= near_one  # negated where near one: _HALF - key, i.e. 2·_HALF - key once _HALF is added back
        key -= near_one
        key += _HALF - low
    else:
        key = np.right_shift(bits, 23 - _SUBSTEP_BITS)
        key -= low
    np.clip(key, 0, high - low, out=key)
    return key


def bin_index(values: np.ndarray, quantity: str) -> np.ndarray:
    """The bin (0..BINS-1) of each float32 value of `quantity`, never decreasing with the value."""
    values = np.asarray(values, dtype=np.float32)
    if quantity in _GATES:  # values in [0, 1]; adding 0 turns a -0.0 into 0.0
        return _magnitude_bins(values + np.float32(0), *_GATE)
    kind = _TANH_RANGE if quantity in _TANH else _FREE
    bits = values.view(np.int32)
    bins = _magnitude_bins(np.bitwise_and(bits, np.int32(0x7FFFFFFF)).view(np.float32), *kind)
    negative = np.right_shift(bits, 31)  # -1 where the sign bit is set (-0.0 too, whose bin is 0 either way)
    bins ^= negative
    bins -= negative
    bins += BINS // 2
    return bins


def run(net: Network, vocab: CharVocab, text: str, patterns: Mapping[str, np.ndarray] | None = None,
        options: CorpusOptions = CorpusOptions(), progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] | None = None) -> CorpusResult:
    """Count what every unit does over `text`: the built-in patterns that occur in it and `patterns`
    (name -> (T,) mask, e.g. regex_pattern.regex_mask) are counted as well. `progress` hears the
    fraction done after each chunk (1.0 at the end); `cancelled` is asked after each chunk, and
    Cancelled raised when it says True."""
    engine.initial_state(net)  # refuses a bidirectional network, in the engine's words
    ids = vocab.encode(text).ids
    masks = {**pattern_masks(text), **(patterns or {})}
    return _Counter(net, ids, masks, options).run(progress, cancelled)


class _Counter:
    def __init__(self, net: Network, ids: np.ndarray, masks: Mapping[str, np.ndarray], options: CorpusOptions):
        self.net, self.ids, self.options = net, ids, options
        size = len(ids)
        if size == 0:
            raise ValueError("there is no text to run")
        self.names = tuple(masks)
        # Packed, a mask takes a bit per character: 2.5 MB for a 20 MB text.
        self.packed = np.stack([np.packbits(np.asarray(masks[name], dtype=bool)) for name in self.names]) \
            if masks else np.zeros((0, (size + 7) // 8), np.uint8)
        for name in self.names:
            if len(masks[name]) != size:
                raise ValueError(f"pattern {name!r} covers {len(masks[name])} positions but the text has {size}")
        self.n_inside = np.unpackbits(self.packed, axis=1, count=size).sum(axis=1, dtype=np.int64) \
            if masks else np.zeros(0, np.int64)
        self.cells = [cell for (cell,) in engine.prepared(net)]
        self.sums = [self._empty(layer.cell, layer.units) for layer in net.layers]
        self.next_char = net.head.activation == "softmax" and net.output_size == net.vocab_size
        self.log_probs = np.zeros(size - 1, np.float32) if self.next_char else None

    def _empty(self, cell: str, units: int) -> dict:
        quantities = engine.QUANTITIES[cell]
        binned = tuple(q for q in quantities if q not in SHARES_HISTOGRAM)
        q, h, p, b = len(quantities), len(binned), len(self.names), BINS
        return {"quantities": quantities, "binned": binned,
                "total": np.zeros((q, units)), "squares": np.zeros((q, units)),
                "below": np.zeros((q, units), np.int64), "above": np.zeros((q, units), np.int64),
                "hist": np.zeros((h, units, b), np.int32),
                "inside_total": np.zeros((p, q, units)), "inside_squares": np.zeros((p, q, units)),
                "inside_hist": np.zeros((p, h, units, b), np.int32),
                "bits": np.zeros((len(self.ids), (units + 7) // 8), np.uint8) if self.options.match_bits else None}

    def run(self, progress, cancelled) -> CorpusResult:
        size, opts = len(self.ids), self.options
        length = -(-size // opts.streams)  # characters per stream
        starts = np.arange(0, size, length)
        ends = np.minimum(starts + length, size)
        reads = np.maximum(starts - opts.warmup, 0)  # where each stream begins reading
        steps = int((ends - reads).max())
        h = [np.zeros((len(starts), c.units), np.float32) for c in self.cells]
        c = [np.zeros((len(starts), c.units), np.float32) if c.cell == "lstm" else None for c in self.cells]
        for first in range(0, steps, opts.steps):
            pos = reads + np.arange(first, min(first + opts.steps, steps))[:, None]  # (steps, streams)
            kept = ((pos >= starts) & (pos < ends)).ravel()
            where = pos.ravel()[kept]
            inside = self._inside(where)
            x = self.ids[np.minimum(pos, size - 1)]
            for k, cell in enumerate(self.cells):
                out = engine.run_cell(cell, engine.project(self.net, cell, k == 0, x), h0=h[k], c0=c[k])
                h[k] = out["h"][-1].copy()
                if c[k] is not None:
                    c[k] = out["c"][-1].copy()
                self._count(self.sums[k], out, kept, where, inside)
                x = out["h"]
            if self.log_probs is not None:
                self._log_probs(x.reshape(-1, x.shape[-1])[kept], where)
            if progress is not None:
                progress(min(first + opts.steps, steps) / steps)
            if cancelled is not None and cancelled():
                raise Cancelled()
        layers = tuple(LayerSums(**sums) for sums in self.sums)
        return CorpusResult(size, self.names, self.n_inside, layers, self.log_probs, opts.on_threshold)

    def _inside(self, where: np.ndarray) -> tuple[np.ndarray, list[tuple[np.ndarray, bool]]]:
        """For the counted positions: (patterns + 1, positions) float32 weights, a row of ones over
        one row per pattern (1 inside it), so one product sums a quantity over all of them; and per
        pattern the rows of its smaller side, and whether that side is the outside."""
        shift = (7 - (where & 7)).astype(np.uint8)
        inside = ((self.packed[:, where >> 3] >> shift) & 1).astype(bool)
        weights = np.ones((len(inside) + 1, len(where)), np.float32)
        weights[1:] = inside
        sides = []
        for mask in inside:
            outside = 2 * np.count_nonzero(mask) > len(mask)
            sides.append((np.flatnonzero(~mask if outside else mask), outside))
        return weights, sides

    def _count(self, sums: dict, out: Mapping[str, np.ndarray], kept: np.ndarray, where: np.ndarray,
               inside: tuple[np.ndarray, list[tuple[np.ndarray, bool]]]) -> None:
        every = kept.all()
        weights, sides = inside
        bins, n = BINS, sums["total"].shape[1]
        offsets = np.arange(n, dtype=np.int32) * bins
        for q, name in enumerate(sums["quantities"]):
            v = out[name].reshape(-1, n)
            if not every:
                v = v[kept]
            # Each chunk's sums in float32 (one product for the whole and every pattern), added up in float64.
            found = weights @ v
            sums["total"][q] += found[0]
            sums["inside_total"][:, q] += found[1:]
            found = weights @ np.square(v)
            sums["squares"][q] += found[0]
            sums["inside_squares"][:, q] += found[1:]
            sums["below"][q] += np.add.reduce((v < LOW).view(np.uint8), axis=0, dtype=np.int32)
            sums["above"][q] += np.add.reduce((v > HIGH).view(np.uint8), axis=0, dtype=np.int32)
            if name in SHARES_HISTOGRAM:
                continue
            hq = sums["binned"].index(name)
            cells = bin_index(v, name)
            cells += offsets
            whole = np.bincount(cells.ravel(), minlength=n * bins).reshape(n, bins)
            sums["hist"][hq] += whole
            for p, (rows, outside) in enumerate(sides):
                # Count the smaller side: inside is the whole minus outside.
                counted = np.bincount(cells[rows].ravel(), minlength=n * bins).reshape(n, bins)
                if outside:
                    sums["inside_hist"][p, hq] += whole
                    sums["inside_hist"][p, hq] -= counted
                else:
                    sums["inside_hist"][p, hq] += counted
        if sums["bits"] is not None:
            v = out["h"].reshape(-1, n)
            sums["bits"][where] = np.packbits((v if every else v[kept]) >= self.options.on_threshold, axis=1)

    def _log_probs(self, top: np.ndarray, where: np.ndarray) -> None:
        """log p of the character after each counted position (none after the last character)."""
        follows = where < len(self.ids) - 1
        top, where = top[follows], where[follows]
        logits = top @ self.net.head.kernel
        logits += self.net.head.bias
        logits -= logits.max(axis=1, keepdims=True)
        true = np.take_along_axis(logits, self.ids[where + 1][:, None].astype(np.intp), axis=1)[:, 0]
        self.log_probs[where] = true - np.log(np.exp(logits).sum(axis=1))
