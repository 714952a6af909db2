"""Many reviews of the same length through a classifier at once, in NumPy.

engine.trace() reads one text and records everything; evaluating thousands of test reviews, or
the word-importance view (the review again without each of its words), needs only the final
probability of many texts, which one batched pass per length computes far faster. The arithmetic
is the engine's (its prepared weights: sigmoid via tanh of halved pre-activations, LSTM gates in the
order i,f,o,g), so the two agree to float32 rounding; a test checks it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from lstm_core.inference.engine import PreparedCell, prepared
from lstm_core.inference.netweights import Network

# Rows per pass: bounds the (rows, length, gates) temporaries of deeper layers to a few MB.
MAX_BATCH_ELEMENTS = 2_000_000


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, np.float32(1), e) / (1 + e)


def _direction(net: Network, p: PreparedCell, first: bool, inputs: np.ndarray, reverse: bool,
               keep_all: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """One direction of one layer over a (B, T) id matrix (first layer) or (B, T, w) inputs.

    Returns the state after the last step read and, with keep_all, (B, T, n) states aligned with
    the positions (row t: after reading position t)."""
    b, steps = inputs.shape[0], inputs.shape[1]
    n = p.units
    h = np.zeros((b, n), np.float32)
    c = np.zeros((b, n), np.float32) if p.cell == "lstm" else None
    out = np.empty((b, steps, n), np.float32) if keep_all else None
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    embedding = net.embedding
    for t in order:
        if first:
            ids = inputs[:, t]
            xw = p.table[ids] if p.table is not None else embedding[ids] @ p.kernel + p.bias
        else:
            xw = inputs[:, t] @ p.kernel
            xw += p.bias
        if p.cell == "lstm":
            act = h @ p.recurrent_kernel
            act += xw
            np.tanh(act, out=act)
            sig = act[:, :3 * n]
            sig *= 0.5
            sig += 0.5
            c = act[:, n:2 * n] * c + act[:, :n] * act[:, 3 * n:]
            h = np.tanh(c) * act[:, 2 * n:3 * n]
        elif p.cell == "gru":
            rec = h @ p.recurrent_kernel
            rec += p.recurrent_bias
            zr = np.tanh(xw[:, :2 * n] + rec[:, :2 * n])
            zr *= 0.5
            zr += 0.5
            hh = np.tanh(xw[:, 2 * n:] + zr[:, n:] * rec[:, 2 * n:])
            h = zr[:, :n] * h + (1 - zr[:, :n]) * hh
        else:
            pre = h @ p.recurrent_kernel
            pre += xw
            h = np.tanh(pre)
        if keep_all:
            out[:, t] = h
    return h, out


def _final_probs_same_length(net: Network, ids: np.ndarray) -> np.ndarray:
    """(B,) probability of the positive class (first output) for B texts of one length T (T may be 0)."""
    b, steps = ids.shape
    inputs: np.ndarray = ids
    final = None
    for k, (layer, cells) in enumerate(zip(net.layers, prepared(net))):
        last = k == len(net.layers) - 1
        if steps == 0:
            final = np.zeros((b, layer.output_dim), np.float32)
            break
        runs = [_direction(net, p, k == 0, inputs, reverse, keep_all=not last)
                for p, reverse in zip(cells, (False, True))]
        if last:
            final = np.concatenate([h for h, _ in runs], axis=1) if len(runs) > 1 else runs[0][0]
        else:
            inputs = np.concatenate([o for _, o in runs], axis=2) if len(runs) > 1 else runs[0][1]
    logits = final @ net.head.kernel + net.head.bias
    if net.head.activation == "softmax":
        logits = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return (e / e.sum(axis=1, keepdims=True))[:, -1]
    return _sigmoid(logits)[:, 0]


def final_probs_same_length(net: Network, ids: np.ndarray) -> np.ndarray:
    """Like engine.trace(net, row).final_probs[0] for every row of a (B, T) id matrix."""
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError("ids must be a (texts, length) matrix")
    if ids.size and (ids.min() < 0 or ids.max() >= net.vocab_size):
        raise ValueError(f"ids must lie between 0 and {net.vocab_size - 1}")
    b, steps = ids.shape
    width = max(g.kernel.shape[1] for pair in prepared(net) for g in pair)
    rows = max(1, MAX_BATCH_ELEMENTS // max(1, steps * width))
    return np.concatenate([_final_probs_same_length(net, ids[i:i + rows]) for i in range(0, b, rows)]) \
        if b else np.zeros(0, np.float32)


def final_probs(net: Network, sequences: Sequence[np.ndarray]) -> np.ndarray:
    """The classifier's probability for each of many texts of any lengths (grouped by length)."""
    groups: dict[int, list[int]] = defaultdict(list)
    for i, seq in enumerate(sequences):
        groups[len(seq)].append(i)
    out = np.empty(len(sequences), np.float32)
    for length, members in groups.items():
        matrix = np.array([sequences[i] for i in members], dtype=np.intp).reshape(len(members), length)
        out[members] = final_probs_same_length(net, matrix)
    return out


def without_each(ids: np.ndarray) -> np.ndarray:
    """(T, T-1): row t is `ids` with position t left out."""
    ids = np.asarray(ids)
    steps = len(ids)
    if steps == 0:
        return np.zeros((0, 0), ids.dtype)
    cols = np.arange(steps - 1)[None, :]
    return ids[cols + (cols >= np.arange(steps)[:, None])]
