"""Vanishing gradients, measured: how much the last hidden state h_T still depends on the input
k steps back, ||∂h_T/∂x_{T−k}||, for SimpleRNN, GRU and LSTM layers, by backpropagation through
time in NumPy (no TensorFlow; the tests check it against TensorFlow's GradientTape).

By the chain rule, ∂h_T/∂x_{T−k} = (∂h_T/∂h_{T−1}) ⋯ (∂h_{T−k+1}/∂h_{T−k}) · ∂h_{T−k}/∂x_{T−k}: a
product of k step Jacobians. For a SimpleRNN each is diag(1 − h_t²)·Uᵀ (tanh' times the recurrent
matrix), so the product shrinks (or grows) roughly geometrically with k. An LSTM also carries the
cell state, whose step Jacobian along its own path is simply diag(f): with forget gates near 1 the
gradient passes almost unchanged, however long the way.

The norm is the Frobenius norm of the (units × inputs) Jacobian. It is exact when the last layer
has at most `max_rows` units (one backward pass per unit, all at once as the rows of a matrix);
above that it is estimated from `max_rows` random directions v: E‖vᵀJ‖² = ‖J‖² for v ~ N(0, I).

Weights are in Keras' layout (netweights.CellWeights: gate order i, f, g, o for LSTM; z, r, h and
two bias rows for GRU). `keras_default_weights` draws weights the way Keras initialises a new
layer (Glorot-uniform W, orthogonal U, zero biases, LSTM forget-gate bias 1), for "untrained" curves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lstm_core.i18n import _
from lstm_core.inference.netweights import CellWeights, Network
from lstm_core.inference.backprop import Layer
from lstm_core.inference.params import GATES

CELLS = ("rnn", "gru", "lstm")


def run(cell: str, weights: CellWeights, xs) -> np.ndarray:
    """A layer over a batch of sequences, xs (B, T, m) -> every hidden state (B, T, n), in float64."""
    return Layer(cell, weights).forward(np.asarray(xs, dtype=np.float64))


def last_state(cell: str, weights: CellWeights, xs) -> np.ndarray:
    """Only the final hidden state (B, n) of a layer over xs (B, T, m): the lean forward pass for
    predictions (nothing kept for a backward pass). sigmoid(z) = (1 + tanh(z/2)) / 2."""
    xs = np.asarray(xs, dtype=np.float64)
    W = np.asarray(weights.kernel, dtype=np.float64)
    U = np.asarray(weights.recurrent_kernel, dtype=np.float64)
    b = np.asarray(weights.bias, dtype=np.float64)
    n = U.shape[0]
    B, T, _ = xs.shape
    h = np.zeros((B, n))
    if cell == "lstm":
        c = np.zeros((B, n))
        xw = xs @ W + b
        for t in range(T):
            z = xw[:, t] + h @ U
            gates = np.tanh(z * np.r_[np.full(2 * n, 0.5), np.ones(n), np.full(n, 0.5)])
            i, f, o = ((gates[:, k * n:(k + 1) * n] + 1) * 0.5 for k in (0, 1, 3))
            c = f * c + i * gates[:, 2 * n:3 * n]
            h = o * np.tanh(c)
        return h
    if cell == "gru":
        xw = xs @ W + b[0]
        for t in range(T):
            rec = h @ U + b[1]
            zr = (np.tanh(0.5 * (xw[:, t, :2 * n] + rec[:, :2 * n])) + 1) * 0.5
            z, r = zr[:, :n], zr[:, n:]
            hh = np.tanh(xw[:, t, 2 * n:] + r * rec[:, 2 * n:])
            h = z * h + (1 - z) * hh
        return h
    if cell == "rnn":
        xw = xs @ W + b
        for t in range(T):
            h = np.tanh(xw[:, t] + h @ U)
        return h
    raise ValueError(f"unknown cell kind {cell!r}")


def input_gradient_norms(layers: Sequence[tuple[str, CellWeights]], xs, *, max_rows: int = 64,
                         seed: int = 0) -> np.ndarray:
    """||∂h_T/∂x_{T−1−k}||_F for k = 0 … T−1, where h_T is the last layer's final hidden state and
    x the first layer's inputs; layers are (cell, weights) from the input upwards.

    xs is (T, m) for one sequence (returns (T,)) or (B, T, m) for a batch (returns (B, T)).
    Index k counts steps back: [0] is the last input, [T−1] the first.
    """
    xs = np.asarray(xs, dtype=np.float64)
    single = xs.ndim == 2
    if single:
        xs = xs[None]
    if xs.ndim != 3 or xs.shape[1] == 0:
        raise ValueError("xs must be (T, inputs) or (batch, T, inputs) with T ≥ 1")
    stack = [Layer(cell, w) for cell, w in layers]
    if not stack:
        raise ValueError("there must be at least one recurrent layer")
    feed = xs
    for layer in stack:
        if feed.shape[-1] != layer.m:
            raise ValueError(f"a {layer.cell} layer expects {layer.m} inputs, not {feed.shape[-1]}")
        feed = layer.forward(feed)
    B, T, m = xs.shape
    top = stack[-1]
    if top.n <= max_rows:
        probes, scale = np.eye(top.n), 1.0
    else:
        probes, scale = np.random.default_rng(seed).standard_normal((max_rows, top.n)), 1.0 / max_rows
    R = probes.shape[0]
    a_h = [np.zeros((B, R, layer.n)) for layer in stack]
    a_c = [np.zeros((B, R, layer.n)) if layer.cell == "lstm" else None for layer in stack]
    a_h[-1] += probes
    norms = np.empty((B, T))
    for t in range(T - 1, -1, -1):
        for depth in range(len(stack) - 1, -1, -1):
            dx, a_h[depth], a_c[depth] = stack[depth].backward_step(t, a_h[depth], a_c[depth])
            if depth > 0:
                a_h[depth - 1] += dx  # the layer below's output at t feeds this layer at t
            else:
                norms[:, T - 1 - t] = np.sqrt(np.einsum("brm,brm->b", dx, dx) * scale)
    return norms[0] if single else norms


def network_gradient_norms(net: Network, ids, *, max_rows: int = 64, seed: int = 0) -> np.ndarray:
    """For a character model: ||∂h_T/∂x_{T−1−k}|| of its last recurrent layer with respect to the
    embedded characters (the model's first inputs), k = 0 … len(ids)−1."""
    if net.bidirectional:
        raise ValueError(_("This model reads the text in both directions, so its last state depends on "
                           "the text from both ends; the gradient curve is only drawn for left-to-right models."))
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError("ids must be a non-empty sequence of character ids")
    xs = net.embedding[ids]
    return input_gradient_norms([(layer.cell, layer.forward) for layer in net.layers], xs,
                                max_rows=max_rows, seed=seed)


def exact(net_or_units: Network | int, max_rows: int = 64) -> bool:
    """Whether the norms are exact (True) or estimated from random directions (False)."""
    units = net_or_units.layers[-1].units if isinstance(net_or_units, Network) else int(net_or_units)
    return units <= max_rows


# ---------------------------------------------------------------- untrained weights, as Keras draws them


def _orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """Keras' Orthogonal initializer for a (rows, cols) matrix (gain 1)."""
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    return q.T if rows < cols else q


def keras_default_weights(cell: str, m: int, n: int, rng: np.random.Generator | int = 0, *,
                          forget_bias: float = 1.0, recurrent_scale: float = 1.0) -> CellWeights:
    """Weights as a fresh Keras layer gets them: W Glorot-uniform, U orthogonal, biases zero, and
    (LSTM, unit_forget_bias=True) the forget gate's bias 1. `forget_bias` and `recurrent_scale`
    change those two defaults, to see what each does to the gradient."""
    rng = np.random.default_rng(rng)
    g = GATES[cell] * n
    limit = np.sqrt(6.0 / (m + g))
    kernel = rng.uniform(-limit, limit, (m, g))
    recurrent = _orthogonal(rng, n, g) * recurrent_scale
    if cell == "gru":
        bias = np.zeros((2, g))
    else:
        bias = np.zeros(g)
        if cell == "lstm":
            bias[n:2 * n] = forget_bias
    return CellWeights(kernel, recurrent, bias)


# ---------------------------------------------------------------- reading a curve


def geometric_mean(norms: np.ndarray) -> np.ndarray:
    """The typical curve of a batch (B, T) -> (T,): the mean of the logarithms, so that one
    sequence with huge norms does not hide the others."""
    norms = np.asarray(norms, dtype=np.float64)
    with np.errstate(divide="ignore"):
        logs = np.log(np.maximum(norms, 1e-300))
    return np.exp(logs.mean(axis=0))


def decay_per_step(norms, start: int = 1, stop: int | None = None) -> float:
    """The factor by which the gradient norm is multiplied per step back (a least-squares fit of
    log norm against k over k = start … stop−1): below 1 it vanishes, above 1 it explodes."""
    y = np.asarray(norms, dtype=np.float64)[start:stop]
    k = np.arange(start, start + len(y))
    ok = np.isfinite(y) & (y > 0)
    if ok.sum() < 2:
        return float("nan")
    slope = np.polyfit(k[ok], np.log(y[ok]), 1)[0]
    return float(np.exp(slope))
