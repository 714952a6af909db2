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

Cost: per character, an LSTM layer of n units gives 10·n values, every one summed, squared, compared
with LOW and HIGH, and (but the pre-activations, which share their gates' histograms) binned and
counted in a histogram for the whole and for each pattern's smaller side. So the counting is laid out
for few passes over memory: an LSTM layer runs in buffers made once (_LstmChunks) that hold the
pre-activations side by side and the gates and states side by side, so one float32 product sums a
whole buffer over every pattern at once; the counting goes a few hundred rows at a time, which stay
in the cache from one pass to the next; bins are integer passes without branches; and histograms
fill 32 units at a time, so each stays in the cache. bench/bench_corpus.py measures it.
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


_ROWS = 512  # rows counted at a time: a few hundred kB of each quantity


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


def _magnitude_bins(m: np.ndarray, fold: bool, low: int, high: int, out: np.ndarray | None = None) -> np.ndarray:
    """Bins of non-negative float32s `m` (into `out`, int32, or a new array), with no branch per value:
    np.where on values in no order is several times slower than these few integer passes."""
    bits = m.view(np.int32)
    if fold:
        # min(m, 1 - m) is the distance to the nearer end; its key counts up from 0 or down from 1.
        other = np.subtract(np.float32(1), m).view(np.int32)
        near_one = np.subtract(other, bits)
        near_one >>= 31  # -1 where m > 0.5 (1 - m < m), else 0
        key = np.minimum(bits, other, out=out)
        key >>= 23 - _SUBSTEP_BITS
        key -= _HALF
        key ^= near_one  # negated where near one: _HALF - key, i.e. 2·_HALF - key once _HALF is added back
        key -= near_one
        key += _HALF - low
    else:
        key = np.right_shift(bits, 23 - _SUBSTEP_BITS, out=out)
        key -= low
    np.clip(key, 0, high - low, out=key)
    return key


def bin_index(values: np.ndarray, quantity: str, out: np.ndarray | None = None) -> np.ndarray:
    """The bin (0..BINS-1) of each float32 value of `quantity`, never decreasing with the value
    (into `out`, an int32 array of the values' shape, when given)."""
    values = np.asarray(values, dtype=np.float32)
    if quantity in _GATES:  # values in [0, 1]; adding 0 turns a -0.0 into 0.0
        return _magnitude_bins(values + np.float32(0), *_GATE, out=out)
    kind = _TANH_RANGE if quantity in _TANH else _FREE
    bits = values.view(np.int32)
    bins = _magnitude_bins(np.bitwise_and(bits, np.int32(0x7FFFFFFF)).view(np.float32), *kind, out=out)
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
        chunk = min(opts.steps, steps)
        layers = [_LstmChunks(cell, chunk, len(starts)) if cell.cell == "lstm" else None for cell in self.cells]
        for first in range(0, steps, opts.steps):
            pos = reads + np.arange(first, min(first + opts.steps, steps))[:, None]  # (steps, streams)
            kept = ((pos >= starts) & (pos < ends)).ravel()
            where = pos.ravel()[kept]
            inside = self._inside(where)
            x = self.ids[np.minimum(pos, size - 1)]
            for k, cell in enumerate(self.cells):
                if layers[k] is not None:
                    x, blocks = layers[k].run(self.net, k == 0, x, h[k], c[k])
                else:
                    out = engine.run_cell(cell, engine.project(self.net, cell, k == 0, x), h0=h[k])
                    x = out["h"]
                    blocks = [(out[name], (name,), (1.0,)) for name in engine.QUANTITIES[cell.cell]]
                h[k][...] = x[-1]
                self._count(self.sums[k], blocks, x, kept, where, inside)
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

    def _count(self, sums: dict, blocks, top: np.ndarray, kept: np.ndarray, where: np.ndarray,
               inside: tuple[np.ndarray, list[tuple[np.ndarray, bool]]]) -> None:
        """Count a chunk's values. Each block is (array (steps, streams, k·n), its k quantities side
        by side, and the factor each one's stored values are to be multiplied by): a block is counted
        with a few operations whatever its width."""
        every = kept.all()
        weights, sides = inside
        n = sums["total"].shape[1]
        for values, names, scale in blocks:
            k = len(names)
            v = values.reshape(-1, k * n)
            if not every:
                v = v[kept]
            qs = [sums["quantities"].index(name) for name in names]
            total, squares = np.zeros((len(weights), k * n)), np.zeros((len(weights), k * n))
            below, above = np.zeros(k * n, np.int64), np.zeros(k * n, np.int64)
            # Scaling by a power of two is exact: 2·z < LOW exactly where z < LOW / 2.
            low, high = (np.repeat([np.float32(limit) / np.float32(f) for f in scale], n).astype(np.float32)
                         for limit in (LOW, HIGH))
            # A few hundred rows at a time, so that each pass after the first finds them in the cache.
            squared, beyond = np.empty((min(_ROWS, len(v)), k * n), np.float32), np.empty((min(_ROWS, len(v)), k * n), bool)
            for r in range(0, len(v), _ROWS):
                rows, w = v[r:r + _ROWS], weights[:, r:r + _ROWS]
                squared, beyond = squared[:len(rows)], beyond[:len(rows)]
                # Sums in float32 (one product for the whole and every pattern), added up in float64.
                total += w @ rows
                squares += w @ np.square(rows, out=squared)
                below += np.add.reduce(np.less(rows, low, out=beyond).view(np.uint8), axis=0, dtype=np.int32)
                above += np.add.reduce(np.greater(rows, high, out=beyond).view(np.uint8), axis=0, dtype=np.int32)
            factor = np.repeat(np.float64(scale), n)
            total *= factor
            squares *= factor ** 2
            sums["total"][qs] += total[0].reshape(k, n)
            sums["inside_total"][:, qs] += total[1:].reshape(-1, k, n)
            sums["squares"][qs] += squares[0].reshape(k, n)
            sums["inside_squares"][:, qs] += squares[1:].reshape(-1, k, n)
            sums["below"][qs] += below.reshape(k, n)
            sums["above"][qs] += above.reshape(k, n)
            if names[0] in SHARES_HISTOGRAM:
                continue
            # One quantity, and a group of units, at a time: the group's histogram (g·BINS counts, a
            # hundred kB for 32 units) stays in the cache as it fills, which makes bincount twice as fast.
            groups, g = _unit_groups(n)
            offsets = np.arange(g, dtype=np.int32) * BINS
            cells = np.empty((groups, len(v), g), np.int32)
            for j, name in enumerate(names):
                hq = sums["binned"].index(name)
                for r in range(0, len(v), _ROWS):
                    bins = bin_index(v[r:r + _ROWS, j * n:(j + 1) * n], name)
                    np.add(bins.reshape(-1, groups, g).transpose(1, 0, 2), offsets, out=cells[:, r:r + _ROWS])
                for group, units in enumerate(cells):
                    part = slice(group * g, (group + 1) * g)
                    whole = np.bincount(units.ravel(), minlength=g * BINS).reshape(g, BINS)
                    sums["hist"][hq, part] += whole
                    for p, (side, outside) in enumerate(sides):
                        # Count the smaller side: inside is the whole minus outside.
                        counted = np.bincount(units[side].ravel(), minlength=g * BINS).reshape(g, BINS)
                        if outside:
                            sums["inside_hist"][p, hq, part] += whole
                            sums["inside_hist"][p, hq, part] -= counted
                        else:
                            sums["inside_hist"][p, hq, part] += counted
        if sums["bits"] is not None:
            v = top.reshape(-1, n)
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


def _unit_groups(n: int) -> tuple[int, int]:
    """(groups, units in each) for counting n units' histograms: groups of up to 32 units, or all
    n at once when n splits into no groups of at least 8."""
    size = next((g for g in range(32, 7, -1) if n % g == 0), n)
    return n // size, size


class _LstmChunks:
    """An LSTM layer over chunks of steps, in buffers made once: the pre-activations (as the engine
    keeps them: i, f, o halved, g) and, side by side in one array, the gates i, f, o, g, h and c, so
    each is counted as one block. The per-step arithmetic is engine.run_cell's."""

    def __init__(self, p: engine.PreparedCell, steps: int, streams: int):
        n = p.units
        self.p = p
        self.pre = np.empty((steps, streams, 4 * n), np.float32)
        self.values = np.empty((steps, streams, 6 * n), np.float32)
        self.rec = np.empty((streams, 4 * n), np.float32)

    def run(self, net: Network, first: bool, x: np.ndarray, h: np.ndarray, c: np.ndarray):
        """Steps through x (ids, or the layer below's h) from (h, c), which are left at the chunk's
        end. Returns this layer's h (steps, streams, n) and the blocks to count."""
        p, n, steps = self.p, self.p.units, len(x)
        pre, values = self.pre[:steps], self.values[:steps]
        if first and p.table is not None:
            # mode="clip" (ids are the vocabulary's) writes straight into `pre`: the default checks a copy first.
            np.take(p.table, x, axis=0, out=pre, mode="clip")
        else:
            inputs = net.embedding[x] if first else x
            np.matmul(inputs, p.kernel, out=pre)
            pre += p.bias
        state_h, state_c = h, c
        for t in range(steps):
            np.matmul(state_h, p.recurrent_kernel, out=self.rec)
            pre[t] += self.rec
            row = values[t]
            engine._lstm_update(pre[t], row[:, :4 * n], state_c, row[:, 5 * n:], row[:, 4 * n:5 * n], n)
            state_h, state_c = row[:, 4 * n:5 * n], row[:, 5 * n:]
        c[...] = state_c
        # z_i, z_f, z_o were halved (engine.prepared): their values are twice what is stored.
        blocks = [(pre, ("z_i", "z_f", "z_o", "z_g"), (2.0, 2.0, 2.0, 1.0)),
                  (values, ("i", "f", "o", "g", "h", "c"), (1.0,) * 6)]
        return values[:, :, 4 * n:5 * n], blocks
