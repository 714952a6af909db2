"""What a corpus run (corpus_run) counted: per unit of every quantity of every layer, over a whole
text, without keeping any (positions, units) array of values.

For each layer and quantity, per unit: how many positions, the sum and the sum of squares of the
values, how many lay below 0.1 and above 0.9 (unit_stats.saturation's thresholds), and a histogram
of the values on fixed bins (corpus_run.bin_index). For each pattern the same sums and histogram over
the positions inside it; outside is the whole minus inside.

AUC from histograms: a pair (inside, outside) in different bins is ordered by its bins, a pair in
the same bin counts half, as ties do in unit_stats.roc_auc. So the result differs from the exact AUC
by at most half the share of pairs that share a bin (`UnitAuc.resolution`, per unit).
The standard error is Hanley & McNeil's (1982) from the AUC and the two counts. It treats positions
as independent, which neighbouring characters are not: read it as a lower bound of the uncertainty.

The pre-activations z_* have no histograms of their own: a gate is an increasing function of its
pre-activation (i = sigmoid(z_i), g = tanh(z_g)), so they rank positions alike and share the gate's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_core.i18n import N_
from lstm_core.inference.unit_stats import Ranking, ranking_of
from lstm_core.said import Explained

# The quantity whose histogram a pre-activation shares.
SHARES_HISTOGRAM = {"z_i": "i", "z_f": "f", "z_g": "g", "z_o": "o"}


class CorpusError(Explained):
    """A question a corpus run cannot answer, explained for a person."""


@dataclass(frozen=True)
class UnitAuc:
    """Per unit: AUC for telling positions inside a pattern from the rest, its standard error, and
    how far the histogram may be from the exact value (`resolution`)."""

    auc: np.ndarray
    se: np.ndarray
    resolution: np.ndarray
    n_inside: int
    n_outside: int


@dataclass(frozen=True)
class LayerSums:
    """One layer's counts; arrays are stacked by quantity (q), pattern (p), unit (n) and bin (b).

    total/squares/below/above (q, n); hist (h, n, b) for the quantities in `binned` (h of them);
    inside_total/inside_squares (p, q, n); inside_hist (p, h, n, b).
    """

    quantities: tuple[str, ...]
    binned: tuple[str, ...]
    total: np.ndarray
    squares: np.ndarray
    below: np.ndarray
    above: np.ndarray
    hist: np.ndarray
    inside_total: np.ndarray
    inside_squares: np.ndarray
    inside_hist: np.ndarray
    bits: np.ndarray | None  # (T, ceil(n/8)) packed: h >= on_threshold at each position

    @property
    def units(self) -> int:
        return self.total.shape[1]


_LAYER_ARRAYS = ("total", "squares", "below", "above", "hist", "inside_total", "inside_squares", "inside_hist")


@dataclass(frozen=True)
class CorpusResult:
    characters: int
    patterns: tuple[str, ...]
    n_inside: np.ndarray  # (p,) positions inside each pattern
    layers: tuple[LayerSums, ...]
    log_probs: np.ndarray | None  # (T-1,) log p of character t+1 after reading 0..t; None for a classifier
    on_threshold: float

    # ------------------------------------------------------------ per quantity

    def _q(self, layer: int, quantity: str) -> tuple[LayerSums, int]:
        sums = self.layers[layer]
        if quantity not in sums.quantities:
            raise ValueError(f"layer {layer} has no quantity {quantity!r}; it has {', '.join(sums.quantities)}")
        return sums, sums.quantities.index(quantity)

    def mean(self, layer: int, quantity: str) -> np.ndarray:
        sums, q = self._q(layer, quantity)
        return sums.total[q] / self.characters

    def saturation(self, layer: int, quantity: str) -> tuple[np.ndarray, np.ndarray]:
        """Per unit, the fraction of positions below 0.1 and above 0.9, as unit_stats.saturation."""
        sums, q = self._q(layer, quantity)
        return sums.below[q] / self.characters, sums.above[q] / self.characters

    # ------------------------------------------------------------ per pattern

    def _p(self, pattern: str) -> int:
        if pattern not in self.patterns:
            raise ValueError(f"no pattern {pattern!r} was counted; there are {', '.join(self.patterns)}")
        p = self.patterns.index(pattern)
        n_in = int(self.n_inside[p])
        if n_in == 0:
            raise CorpusError(N_("The pattern matches no character of this text, so there is nothing to compare: "
                                 "choose another pattern or change the text."))
        if n_in == self.characters:
            raise CorpusError(N_("The pattern covers every character of this text, so there is nothing to compare "
                                 "it with: choose a smaller span or another pattern."))
        return p

    def auc(self, layer: int, quantity: str, pattern: str) -> UnitAuc:
        sums, _q = self._q(layer, quantity)
        p = self._p(pattern)
        h = sums.binned.index(SHARES_HISTOGRAM.get(quantity, quantity))
        inside = sums.inside_hist[p, h].astype(np.float64)
        outside = sums.hist[h] - inside
        n_in = int(self.n_inside[p])
        n_out = self.characters - n_in
        below = np.cumsum(outside, axis=1) - outside
        pairs = float(n_in) * n_out
        auc = (inside * (below + 0.5 * outside)).sum(axis=1) / pairs
        tied = (inside * outside).sum(axis=1) / pairs
        return UnitAuc(auc, hanley_mcneil_se(auc, n_in, n_out), 0.5 * tied, n_in, n_out)

    def ranking(self, layer: int, quantity: str, pattern: str) -> Ranking:
        """Units ordered as unit_stats.rank_units orders them, from the counts."""
        sums, q = self._q(layer, quantity)
        found = self.auc(layer, quantity, pattern)
        p = self._p(pattern)
        n_in, n_out = found.n_inside, found.n_outside
        s_in, s_all = sums.inside_total[p, q], sums.total[q]
        sq_in, sq_all = sums.inside_squares[p, q], sums.squares[q]
        mean_in, mean_out = s_in / n_in, (s_all - s_in) / n_out
        var_in = _sample_variance(sq_in, mean_in, n_in)
        var_out = _sample_variance(sq_all - sq_in, mean_out, n_out)
        return ranking_of(found.auc, mean_in, mean_out, var_in, var_out, n_in, n_out)

    # ------------------------------------------------------------ Match and the n-gram comparison

    def on(self, layer: int, start: int = 0, end: int | None = None) -> np.ndarray:
        """(end - start, units) booleans: where each unit's h was at or above `on_threshold` (Match's "on")."""
        sums = self.layers[layer]
        if sums.bits is None:
            raise ValueError(f"layer {layer}'s hidden states were not kept")
        return np.unpackbits(sums.bits[start:end], axis=1, count=sums.units).astype(bool)

    # ------------------------------------------------------------ as plain arrays (corpus_cache saves them)

    def to_arrays(self) -> dict[str, np.ndarray]:
        out = {"characters": np.array(self.characters), "patterns": np.array(self.patterns, dtype=str),
               "n_inside": self.n_inside, "on_threshold": np.array(self.on_threshold),
               "layer_count": np.array(len(self.layers))}
        if self.log_probs is not None:
            out["log_probs"] = self.log_probs
        for k, sums in enumerate(self.layers):
            out[f"{k}.quantities"] = np.array(sums.quantities, dtype=str)
            out[f"{k}.binned"] = np.array(sums.binned, dtype=str)
            for name in _LAYER_ARRAYS:
                out[f"{k}.{name}"] = getattr(sums, name)
            if sums.bits is not None:
                out[f"{k}.bits"] = sums.bits
        return out

    @classmethod
    def from_arrays(cls, arrays) -> CorpusResult:
        layers = []
        for k in range(int(arrays["layer_count"])):
            layers.append(LayerSums(tuple(str(q) for q in arrays[f"{k}.quantities"]),
                                    tuple(str(q) for q in arrays[f"{k}.binned"]),
                                    *(arrays[f"{k}.{name}"] for name in _LAYER_ARRAYS),
                                    arrays[f"{k}.bits"] if f"{k}.bits" in arrays else None))
        return cls(int(arrays["characters"]), tuple(str(p) for p in arrays["patterns"]), arrays["n_inside"],
                   tuple(layers), arrays["log_probs"] if "log_probs" in arrays else None,
                   float(arrays["on_threshold"]))


def hanley_mcneil_se(auc: np.ndarray, n_inside: int, n_outside: int) -> np.ndarray:
    """Standard error of an AUC (Hanley & McNeil 1982, eq. 2), from the AUC and the two counts."""
    q1, q2 = auc / (2 - auc), 2 * auc ** 2 / (1 + auc)
    var = (auc * (1 - auc) + (n_inside - 1) * (q1 - auc ** 2) + (n_outside - 1) * (q2 - auc ** 2)) \
        / (float(n_inside) * n_outside)
    return np.sqrt(np.maximum(var, 0.0))


def _sample_variance(squares: np.ndarray, mean: np.ndarray, n: int) -> np.ndarray:
    if n < 2:
        return np.zeros_like(mean)
    return np.maximum(squares - n * mean ** 2, 0.0) / (n - 1)
