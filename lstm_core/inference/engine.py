"""Running a Network in NumPy: a whole-text trace for the pictures, single steps for typing and generation.

trace() and step() share the per-step cell arithmetic, so stepping through a text reproduces the
trace's first layer bit for bit; deeper layers agree to float32 rounding (the trace computes x·W for
all positions in one matrix product, a step for one position).

The engine runs its own copy of a network's weights (prepared(): sigmoid columns halved, LSTM gates
reordered to i,f,o,g), so one tanh call covers every gate of a step: sigmoid(z) = (1 + tanh(z/2)) / 2,
which saturates cleanly for extreme pre-activations where 1 / (1 + exp(-z)) would overflow with a warning.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits

from lstm_core.i18n import _
from lstm_core.inference.netweights import CellWeights, Network

# The engine's products are small (per character, a vector by a 256×1024 matrix for each layer): a
# second BLAS thread costs more in handing the work over than it saves (bench/bench_inference.py). So
# this process keeps BLAS to one thread; the other cores serve other sessions, or the training's own.
threadpool_limits(1, user_api="blas")

# Per-layer quantities a trace records for each cell kind, each (T, units).
# LSTM z_* are the pre-activations (x·W + h·U + b) of the input, forget, candidate and output gates.
QUANTITIES = {
    "lstm": ("z_i", "z_f", "z_g", "z_o", "i", "f", "g", "o", "c", "h"),
    "gru": ("z", "r", "hh", "h"),
    "rnn": ("h",),
}


@dataclass(frozen=True, eq=False)
class LayerTrace:
    """Everything one recurrent layer computed over a text.

    forward[q] is (T, units) for q in QUANTITIES[cell]. For a bidirectional layer, backward[q] is
    aligned with the text too: row t is the backward half's state after it read position t (having
    read t..T-1 from the end). `output` (T, units or 2·units) is what the next layer reads at each
    position; `final` is the layer's output with return_sequences=False: h after the last position,
    or for a bidirectional layer concat(forward h at the end, backward h after reading everything).
    """

    name: str
    cell: str
    units: int
    forward: Mapping[str, np.ndarray]
    backward: Mapping[str, np.ndarray] | None
    output: np.ndarray
    final: np.ndarray

    @property
    def bidirectional(self) -> bool:
        return self.backward is not None

    def __getitem__(self, quantity: str) -> np.ndarray:
        return self.forward[quantity]


@dataclass(frozen=True, eq=False)
class Trace:
    """A whole text run from the zero state.

    logits/probs (T, K) are the head applied at every position: for a left-to-right model, exactly
    what the model outputs if the text ended there (next-char distributions, or a classifier's
    trajectory); after a bidirectional last layer they use each position's output, whose backward
    half has already read the rest of the text. final_logits/final_probs (K,) are the model's output
    for the whole text as Keras computes it; for an empty text, the head applied to the zero state.
    """

    ids: np.ndarray
    layers: tuple[LayerTrace, ...]
    logits: np.ndarray
    probs: np.ndarray
    final_logits: np.ndarray
    final_probs: np.ndarray

    @property
    def length(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, eq=False)
class State:
    """Recurrent state between steps, per layer: h, and c for LSTM layers (None otherwise). Read-only."""

    h: tuple[np.ndarray, ...]
    c: tuple[np.ndarray | None, ...]


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


# ---------------------------------------------------------------- the engine's copy of the weights

# A (vocab, gates*units) lookup table replaces one matrix product per step; above this size (big
# word vocabularies) it would cost more memory than it saves time.
MAX_TABLE_ELEMENTS = 4_000_000


@dataclass(frozen=True, eq=False)
class PreparedCell:
    """One direction's weights rearranged so a step needs a single tanh call over all gates.

    Sigmoid gates come first and their columns are halved, because sigmoid(z) = (1 + tanh(z/2)) / 2
    and halving by a power of two is exact. LSTM columns are reordered from Keras' i,f,g,o to
    i,f,o,g so the three sigmoid gates are contiguous; GRU's z,r,h already are.
    `table` = embedding · kernel + bias for a first layer (one row per token), or None.
    """

    cell: str
    units: int
    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    recurrent_bias: np.ndarray | None  # GRU only: added to h·U before the reset gate multiplies it
    table: np.ndarray | None

    @cached_property
    def stacked(self) -> np.ndarray:
        """The kernel over the recurrent kernel: one step's x·W + h·U as one product [x, h]·[W; U]
        (Stepper), made when first asked for."""
        return _frozen_float32(np.vstack([self.kernel, self.recurrent_kernel]))


def _frozen_float32(array: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(array, dtype=np.float32)
    out.flags.writeable = False
    return out


def _prepare_cell(cell: str, n: int, weights: CellWeights, embedding: np.ndarray | None) -> PreparedCell:
    kernel, recurrent, bias = (np.array(a, dtype=np.float32) for a in
                               (weights.kernel, weights.recurrent_kernel, weights.bias))
    recurrent_bias = None
    if cell == "lstm":
        order = np.r_[0:2 * n, 3 * n:4 * n, 2 * n:3 * n]  # i,f,g,o -> i,f,o,g
        kernel, recurrent, bias = kernel[:, order], recurrent[:, order], bias[order]
        sigmoid_width = 3 * n
    elif cell == "gru":
        bias, recurrent_bias = bias[0], bias[1]
        recurrent_bias[:2 * n] *= 0.5
        sigmoid_width = 2 * n
    else:
        sigmoid_width = 0
    for a in (kernel, recurrent):
        a[:, :sigmoid_width] *= 0.5
    bias[:sigmoid_width] *= 0.5
    table = None
    if embedding is not None and embedding.shape[0] * kernel.shape[1] <= MAX_TABLE_ELEMENTS:
        table = _frozen_float32(embedding @ kernel + bias)
    return PreparedCell(cell, n, _frozen_float32(kernel), _frozen_float32(recurrent), _frozen_float32(bias),
                        None if recurrent_bias is None else _frozen_float32(recurrent_bias), table)


# Made the first time a network is run and dropped with the network: a network that is only kept (a
# training snapshot nobody looks at) carries no second copy of its weights. Networks are immutable, so
# one copy serves every session. No lock: get and setdefault are one dict operation each, and
# step() looks here once per character; two threads preparing one network at once keep the first copy.
_PREPARED: weakref.WeakKeyDictionary[Network, tuple[tuple[PreparedCell, ...], ...]] = weakref.WeakKeyDictionary()


def prepared(net: Network) -> tuple[tuple[PreparedCell, ...], ...]:
    """`net`'s weights rearranged for the engine: per layer, one PreparedCell per direction."""
    cells = _PREPARED.get(net)
    if cells is None:
        cells = _PREPARED.setdefault(net, tuple(
            tuple(_prepare_cell(layer.cell, layer.units, d, net.embedding if k == 0 else None)
                  for d in layer.directions) for k, layer in enumerate(net.layers)))
    return cells


# ---------------------------------------------------------------- one step of each cell
# `pre`/`xw` arrive as x·W + b (prepared layout); results are written into the out arrays. Gates are
# sliced on the last axis, so one call steps a single text (n,) or many side by side (B, n).

def _lstm_gates(act: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Views of act: the three sigmoid gates together, then i, f, o, g."""
    return act[..., :3 * n], act[..., :n], act[..., n:2 * n], act[..., 2 * n:3 * n], act[..., 3 * n:]


def _lstm_update(pre: np.ndarray, act: np.ndarray, c_prev: np.ndarray, c_out: np.ndarray,
                 h_out: np.ndarray, n: int) -> None:
    """pre = x·W + h·U + b in order i,f,o (halved), g; act receives the gates i,f,o,g."""
    _lstm_cell(pre, act, _lstm_gates(act, n), c_prev, c_out, h_out)


def _lstm_cell(pre: np.ndarray, act: np.ndarray, gates: tuple[np.ndarray, ...], c_prev: np.ndarray,
               c_out: np.ndarray, h_out: np.ndarray) -> None:
    """_lstm_update with act's gate views already made (_lstm_gates): the Stepper makes them once, not per step."""
    sig, i, f, o, g = gates
    np.tanh(pre, out=act)
    sig *= 0.5
    sig += 0.5
    np.multiply(f, c_prev, out=c_out)  # f * c_{t-1}
    c_out += i * g
    np.tanh(c_out, out=h_out)
    h_out *= o  # h = o * tanh(c)


def _gru_update(xw: np.ndarray, rec: np.ndarray, act: np.ndarray, h_prev: np.ndarray,
                h_out: np.ndarray, n: int) -> None:
    """rec = h·U + recurrent bias; act receives z, r, hh (Keras reset_after=True). act may be rec."""
    zr = act[..., :2 * n]
    np.add(xw[..., :2 * n], rec[..., :2 * n], out=zr)
    np.tanh(zr, out=zr)
    zr *= 0.5
    zr += 0.5
    hh = act[..., 2 * n:]
    np.multiply(act[..., n:2 * n], rec[..., 2 * n:], out=hh)  # r * (h·U_h + b_rec)
    hh += xw[..., 2 * n:]
    np.tanh(hh, out=hh)
    np.multiply(act[..., :n], h_prev, out=h_out)  # z * h_{t-1}
    h_out += (1 - act[..., :n]) * hh  # + (1 - z) * hh


# ---------------------------------------------------------------- whole-sequence trace

def _ids(net: Network, ids) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.size == 0:
        return np.zeros(0, dtype=np.intp)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise ValueError("ids must be a one-dimensional sequence of whole numbers")
    if arr.min() < 0 or arr.max() >= net.vocab_size:
        raise ValueError(f"ids must lie between 0 and {net.vocab_size - 1} (the embedding's size)")
    return arr.astype(np.intp, copy=False)


def project(net: Network, p: PreparedCell, first: bool, inputs: np.ndarray) -> np.ndarray:
    """x·W + b for every position in one product (a table lookup for the first layer): `inputs` is
    ids (...) for the first layer, else the layer below's output (..., width)."""
    if first:
        if p.table is not None:
            return p.table[inputs]
        inputs = net.embedding[inputs]
    out = inputs @ p.kernel
    out += p.bias
    return out


def run_cell(p: PreparedCell, xw: np.ndarray, reverse: bool = False, h0: np.ndarray | None = None,
             c0: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """One direction over a text, from the zero state or from (h0, c0); xw (T, G·n), or (T, B, G·n) for
    B texts side by side (corpus_run), is overwritten with the pre-activations. Returns the layer's
    QUANTITIES, each (T, n) or (T, B, n)."""
    n = p.units
    lead = xw.shape[:-1]  # (T,) or (T, B)
    h_all = np.empty((*lead, n), np.float32)
    h = np.zeros(lead[1:] + (n,), np.float32) if h0 is None else h0
    rec = np.empty(xw.shape[1:], np.float32)

    def rows(*arrays: np.ndarray):
        # Row views in reading order; the backward half reads from the end but writes row t for position t.
        return zip(*(a[::-1] for a in arrays)) if reverse else zip(*arrays)

    if p.cell == "lstm":
        act, c_all = np.empty_like(xw), np.empty((*lead, n), np.float32)
        c = np.zeros(lead[1:] + (n,), np.float32) if c0 is None else c0
        for pre, a, c_out, h_out in rows(xw, act, c_all, h_all):
            np.matmul(h, p.recurrent_kernel, out=rec)
            pre += rec
            _lstm_update(pre, a, c, c_out, h_out, n)
            h, c = h_out, c_out
        sig_z = xw[..., :3 * n] * 2  # undo the halving of the sigmoid gates' pre-activations
        return {"z_i": sig_z[..., :n], "z_f": sig_z[..., n:2 * n], "z_g": xw[..., 3 * n:],
                "z_o": sig_z[..., 2 * n:], "i": act[..., :n], "f": act[..., n:2 * n], "g": act[..., 3 * n:],
                "o": act[..., 2 * n:3 * n], "c": c_all, "h": h_all}
    if p.cell == "gru":
        act = np.empty_like(xw)
        for x, a, h_out in rows(xw, act, h_all):
            np.matmul(h, p.recurrent_kernel, out=rec)
            rec += p.recurrent_bias
            _gru_update(x, rec, a, h, h_out, n)
            h = h_out
        return {"z": act[..., :n], "r": act[..., n:2 * n], "hh": act[..., 2 * n:], "h": h_all}
    for pre, h_out in rows(xw, h_all):
        np.matmul(h, p.recurrent_kernel, out=rec)
        pre += rec
        np.tanh(pre, out=h_out)
        h = h_out
    return {"h": h_all}


def _logits(net: Network, x: np.ndarray) -> np.ndarray:
    logits = x @ net.head.kernel
    logits += net.head.bias
    return logits


def softmax(logits: np.ndarray) -> np.ndarray:
    """A softmax head's probabilities for `logits`, exactly as step(), feed() and trace() compute them."""
    probs = logits - logits.max(axis=-1, keepdims=True)
    np.exp(probs, out=probs)
    probs /= probs.sum(axis=-1, keepdims=True)
    return probs


def _probs(net: Network, logits: np.ndarray) -> np.ndarray:
    if net.head.activation == "softmax":
        return softmax(logits)
    # exp(-|z|) never overflows: sigmoid(z) = 1/(1+e) for z >= 0 and e/(1+e) below.
    e = np.exp(-np.abs(logits))
    return np.where(logits >= 0, np.float32(1), e) / (1 + e)


def _head(net: Network, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    logits = _logits(net, x)
    return logits, _probs(net, logits)


def trace(net: Network, ids: Sequence[int] | np.ndarray) -> Trace:
    """Run `ids` from the zero state, recording every gate and state of every layer at every position."""
    arr = _ids(net, ids)
    steps = len(arr)
    inputs, layers = arr, []
    for k, (layer, cells) in enumerate(zip(net.layers, prepared(net))):
        runs = [run_cell(p, project(net, p, k == 0, inputs), reverse) for p, reverse in zip(cells, (False, True))]
        for run in runs:
            for a in run.values():
                _frozen(a)
        forward, backward = runs[0], runs[1] if layer.bidirectional else None
        if backward is None:
            output = forward["h"]
            final = output[-1] if steps else np.zeros(layer.units, np.float32)
        else:
            output = _frozen(np.concatenate([forward["h"], backward["h"]], axis=1))
            final = (np.concatenate([forward["h"][-1], backward["h"][0]]) if steps
                     else np.zeros(2 * layer.units, np.float32))
        layers.append(LayerTrace(layer.name, layer.cell, layer.units, MappingProxyType(forward),
                                 None if backward is None else MappingProxyType(backward), output, final))
        inputs = output
    logits, probs = _head(net, inputs)
    final_logits, final_probs = _head(net, layers[-1].final)
    return Trace(_frozen(arr.copy()), tuple(layers), _frozen(logits), _frozen(probs),
                 _frozen(final_logits), _frozen(final_probs))


# ---------------------------------------------------------------- incremental API

def _require_left_to_right(net: Network) -> None:
    for layer in net.layers:
        if layer.bidirectional:
            raise ValueError(_("Layer {name} is bidirectional: its backward half must read the whole text first, "
                               "so this model cannot be run one character at a time; use trace().")
                             .format(name=repr(layer.name)))


def initial_state(net: Network) -> State:
    """The zero state every text starts from."""
    _require_left_to_right(net)
    zeros = [_frozen(np.zeros(layer.units, np.float32)) for layer in net.layers]
    return State(tuple(zeros), tuple(z if layer.cell == "lstm" else None for z, layer in zip(zeros, net.layers)))


def _check_state(net: Network, state: State) -> None:
    if not isinstance(state, State) or len(state.h) != len(net.layers):
        raise ValueError("state must come from initial_state(), step() or feed() of this network")


def step(net: Network, token_id: int, state: State) -> tuple[np.ndarray, np.ndarray, State]:
    """Read one token: (logits, probs) for what comes next, and the new state (the old one is untouched)."""
    stepper = Stepper(net, state)  # checks the network and the state
    token = operator.index(token_id)
    if not 0 <= token < net.vocab_size:
        raise ValueError(f"token id {token} is outside 0..{net.vocab_size - 1}")
    logits = stepper.step(token)
    return logits, _probs(net, logits), stepper.state


class _StepLayer(NamedTuple):
    """A layer's weights and its views of the Stepper's buffers."""

    p: PreparedCell
    x: np.ndarray  # what the layer reads besides h: the layer below's h, the token's embedding, or nothing (table)
    h: np.ndarray
    xh: np.ndarray  # x and h side by side, for the fused product
    c: np.ndarray | None  # LSTM's cell state
    pre: np.ndarray  # pre-activations (GRU: x·W + b)
    rec: np.ndarray | None  # GRU: h·U + its recurrent bias
    stacked: np.ndarray | None  # [W; U] where one product serves both
    gates: tuple[np.ndarray, ...] | None  # LSTM: pre's gate views (_lstm_gates)


class Stepper:
    """Reads one id after another, going on from `state` (left as it was): step(), feed() and
    generation's hot loop all run through it.

    Every buffer and view is made once. The layers' h lie side by side in one array, after the
    token's embedding when the first layer has no table: a layer's input and its own h are then one
    slice [x, h], which the layer below has already brought up to date, and where the cell allows,
    a layer's two products are one, [x, h]·[W; U] (GRU keeps h·U apart for its reset gate). No
    checks per step: the caller checks ids once."""

    def __init__(self, net: Network, state: State):
        _require_left_to_right(net)
        _check_state(net, state)
        self._net = net
        cells = [p for (p,) in prepared(net)]
        width = 0 if cells[0].table is not None else net.embed_dim
        hs = np.zeros(width + sum(p.units for p in cells), np.float32)
        self._layers = []
        start = 0
        for p, h, c in zip(cells, state.h, state.c):
            xh = hs[start:start + width + p.units]
            xh[width:] = h
            pre = np.empty(p.recurrent_kernel.shape[1], np.float32)
            gru = p.cell == "gru"
            self._layers.append(_StepLayer(p, xh[:width], xh[width:], xh, None if c is None else c.copy(), pre,
                                           np.empty_like(pre) if gru else None,
                                           p.stacked if width and not gru else None,
                                           _lstm_gates(pre, p.units) if p.cell == "lstm" else None))
            start, width = start + width, p.units

    def step(self, token: int) -> np.ndarray:
        """Read `token`; the logits for what comes next (a new array: a caller may keep it)."""
        layers = self._layers
        embedded = layers[0].x
        if embedded.size:
            embedded[:] = self._net.embedding[token]
        for p, x, h, xh, c, pre, rec, stacked, gates in layers:
            if p.cell == "gru":
                if x.size:
                    np.matmul(x, p.kernel, out=pre)
                    pre += p.bias
                else:
                    pre[:] = p.table[token]
                np.matmul(h, p.recurrent_kernel, out=rec)
                rec += p.recurrent_bias
                _gru_update(pre, rec, rec, h, h, p.units)
                continue
            if stacked is not None:
                np.matmul(xh, stacked, out=pre)
                pre += p.bias
            else:
                np.matmul(h, p.recurrent_kernel, out=pre)
                pre += p.table[token]
            if gates is not None:
                _lstm_cell(pre, pre, gates, c, c, h)
            else:
                np.tanh(pre, out=h)
        return _logits(self._net, layers[-1].h)

    @property
    def state(self) -> State:
        """Where it has got to, as a State of its own (for step() or feed())."""
        hs = tuple(_frozen(layer.h.copy()) for layer in self._layers)
        cs = tuple(None if layer.c is None else _frozen(layer.c.copy()) for layer in self._layers)
        return State(hs, cs)


def feed(net: Network, ids: Sequence[int] | np.ndarray, state: State) -> tuple[np.ndarray, np.ndarray, State]:
    """Read a whole prime; returns the output after its last token (the head of `state` if ids is empty)."""
    tokens = _ids(net, ids).tolist()
    if not tokens:
        _require_left_to_right(net)
        _check_state(net, state)
        return *_head(net, state.h[-1]), state
    stepper = Stepper(net, state)
    for token in tokens:
        logits = stepper.step(token)
    return logits, _probs(net, logits), stepper.state
