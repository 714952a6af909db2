"""One recurrent step computed in the open, and the parameter count of a recurrent network.

The engine (engine.py) is built for speed: its weights are rearranged, sigmoid gates are computed
through tanh, and a first layer looks its pre-activations up in a table. This module does the same
step the textbook way, in float64, from the weights exactly as Keras stores them, so that every
number on the Anatomy page can be traced back to a product of an input and a weight:

    LSTM       z = x·W + h_prev·U + b   (columns i, f, g, o)
               i, f, o = sigmoid(z_i, z_f, z_o),  g = tanh(z_g)
               c = f·c_prev + i·g,  h = o·tanh(c)
    GRU        (Keras' reset_after form: two bias rows, b_in added to x·W, b_rec to h·U)
               z = sigmoid(x·W_z + b_in_z + h_prev·U_z + b_rec_z),  r likewise
               h̃ = tanh(x·W_h + b_in_h + r·(h_prev·U_h + b_rec_h))
               h = z·h_prev + (1 − z)·h̃
    SimpleRNN  h = tanh(x·W + h_prev·U + b)

`layer_step` computes every unit of one layer at one position; `unit_step` breaks one unit's
pre-activations into their dot products; `engine_difference` compares with the engine's trace and
`keras_check` (which imports TensorFlow, lazily) with Keras' own layer. The second half counts
parameters per layer (W, U and biases separately) and checks the count with Keras.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lstm_core.i18n import _
from lstm_core.inference.netweights import CellWeights, Network
from lstm_core.inference.params import BIASES, GATES, recurrent_formula, recurrent_params
from lstm_core.spec import CELL_NAMES
from lstm_core.training.tf_runtime import retry_ast_race

# The pre-activations of each cell kind, in Keras' column order, and the function applied to each.
GATE_ORDER = {"lstm": ("i", "f", "g", "o"), "gru": ("z", "r", "hh"), "rnn": ("h",)}
ACTIVATION = {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid",
              "z": "sigmoid", "r": "sigmoid", "hh": "tanh", "h": "tanh"}


def sigmoid(z):
    """1 / (1 + e^−z), without overflow warnings for large |z|."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _act(name: str, z):
    return sigmoid(z) if ACTIVATION[name] == "sigmoid" else np.tanh(z)


# ---------------------------------------------------------------- a whole layer, one position


def layer_step(cell: str, weights: CellWeights, x, h_prev, c_prev=None) -> dict[str, np.ndarray]:
    """Every unit of one layer at one step, in float64, from Keras-layout weights.

    Returns the trace's quantities (engine.QUANTITIES) for this step: for LSTM the pre-activations
    z_i, z_f, z_g, z_o, the gates i, f, g, o and the states c, h; for GRU z, r, hh, h; for SimpleRNN h
    (plus its pre-activation z_h).
    """
    x = np.asarray(x, dtype=np.float64)
    h_prev = np.asarray(h_prev, dtype=np.float64)
    W = np.asarray(weights.kernel, dtype=np.float64)
    U = np.asarray(weights.recurrent_kernel, dtype=np.float64)
    b = np.asarray(weights.bias, dtype=np.float64)
    n = U.shape[0]
    if cell == "lstm":
        c_prev = np.zeros(n) if c_prev is None else np.asarray(c_prev, dtype=np.float64)
        z = x @ W + h_prev @ U + b
        out = {f"z_{g}": z[k * n:(k + 1) * n] for k, g in enumerate(GATE_ORDER["lstm"])}
        for g in GATE_ORDER["lstm"]:
            out[g] = _act(g, out[f"z_{g}"])
        out["c"] = out["f"] * c_prev + out["i"] * out["g"]
        out["h"] = out["o"] * np.tanh(out["c"])
        return out
    if cell == "gru":
        xw = x @ W + b[0]
        rec = h_prev @ U + b[1]
        z = sigmoid(xw[:n] + rec[:n])
        r = sigmoid(xw[n:2 * n] + rec[n:2 * n])
        hh = np.tanh(xw[2 * n:] + r * rec[2 * n:])
        return {"z": z, "r": r, "hh": hh, "h": z * h_prev + (1 - z) * hh}
    if cell == "rnn":
        z = x @ W + h_prev @ U + b
        return {"z_h": z, "h": np.tanh(z)}
    raise ValueError(f"unknown cell kind {cell!r}")


# ---------------------------------------------------------------- one unit, in the open


@dataclass(frozen=True, eq=False)
class Term:
    """One pre-activation of one unit, as the sum it is.

    pre = x_dot + h_dot + bias for every gate, except the GRU candidate, where
    pre = x_dot + bias + reset·(h_dot + recurrent_bias). (For the GRU's z and r, `bias` is the sum
    of the input and recurrent biases, which Keras keeps apart; both are listed.)
    x_products[j] = x_j·W[j, column] and h_products[j] = h_prev_j·U[j, column]: the dot products'
    terms, so x_dot = x_products.sum() and h_dot = h_products.sum().
    """

    gate: str
    column: int
    x_products: np.ndarray
    h_products: np.ndarray
    x_dot: float
    h_dot: float
    bias: float
    pre: float
    value: float
    input_bias: float | None = None  # GRU: the two bias parts
    recurrent_bias: float | None = None
    reset: float | None = None  # GRU candidate: r multiplies (h_dot + recurrent_bias)

    @property
    def activation(self) -> str:
        return ACTIVATION[self.gate]


@dataclass(frozen=True, eq=False)
class UnitStep:
    """One unit of one layer at one position: its inputs, pre-activations, gates and new state.

    `x` is the layer's whole input vector (the character's embedding for the first layer, the
    layer below's h otherwise), `h_prev` and `c_prev` the layer's whole previous state (every unit:
    they all feed every unit through U). `layer_out` is the full step of every unit (layer_step).
    """

    cell: str
    unit: int
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray | None
    terms: Mapping[str, Term]
    layer_out: Mapping[str, np.ndarray]
    w_x: Mapping[str, np.ndarray] = field(repr=False)  # gate -> the unit's kernel column (m,)
    w_h: Mapping[str, np.ndarray] = field(repr=False)  # gate -> its recurrent kernel column (n,)

    @property
    def units(self) -> int:
        return int(self.h_prev.shape[0])

    @property
    def h(self) -> float:
        return float(self.layer_out["h"][self.unit])

    @property
    def c(self) -> float | None:
        return float(self.layer_out["c"][self.unit]) if self.cell == "lstm" else None

    @property
    def h_prev_unit(self) -> float:
        return float(self.h_prev[self.unit])

    @property
    def c_prev_unit(self) -> float | None:
        return None if self.c_prev is None else float(self.c_prev[self.unit])

    def wire_values(self) -> dict[str, float]:
        """The numbers for ui.figures.cell_diagram (keys as lstm_cell_svg / gru_cell_svg / rnn_cell_svg read them)."""
        v = {"h_prev": self.h_prev_unit, "h": self.h}
        if self.cell == "lstm":
            v.update({g: self.terms[g].value for g in "ifgo"})
            v.update({f"z_{g}": self.terms[g].pre for g in "ifgo"})
            v.update({"c_prev": self.c_prev_unit, "c": self.c, "tanh_c": float(np.tanh(self.c))})
        elif self.cell == "gru":
            v.update({g: self.terms[g].value for g in ("z", "r", "hh")})
        else:
            v["z_h"] = self.terms["h"].pre
        return v


def unit_step(cell: str, weights: CellWeights, unit: int, x, h_prev, c_prev=None) -> UnitStep:
    """One unit's step with every pre-activation split into its dot products and bias."""
    x = np.asarray(x, dtype=np.float64)
    h_prev = np.asarray(h_prev, dtype=np.float64)
    W = np.asarray(weights.kernel, dtype=np.float64)
    U = np.asarray(weights.recurrent_kernel, dtype=np.float64)
    b = np.asarray(weights.bias, dtype=np.float64)
    n = U.shape[0]
    if not 0 <= unit < n:
        raise ValueError(f"unit must lie between 0 and {n - 1}")
    if cell == "lstm" and c_prev is None:
        c_prev = np.zeros(n)
    c_prev = None if cell != "lstm" else np.asarray(c_prev, dtype=np.float64)
    out = layer_step(cell, weights, x, h_prev, c_prev)
    terms, w_x, w_h = {}, {}, {}
    for k, gate in enumerate(GATE_ORDER[cell]):
        col = k * n + unit
        w_x[gate], w_h[gate] = W[:, col], U[:, col]
        xp, hp = x * W[:, col], h_prev * U[:, col]
        x_dot, h_dot = float(xp.sum()), float(hp.sum())
        if cell == "gru":
            b_in, b_rec = float(b[0, col]), float(b[1, col])
            if gate == "hh":
                r = float(out["r"][unit])
                pre = x_dot + b_in + r * (h_dot + b_rec)
                terms[gate] = Term(gate, col, xp, hp, x_dot, h_dot, b_in, pre, float(np.tanh(pre)),
                                   input_bias=b_in, recurrent_bias=b_rec, reset=r)
            else:
                pre = x_dot + h_dot + b_in + b_rec
                terms[gate] = Term(gate, col, xp, hp, x_dot, h_dot, b_in + b_rec, pre, float(sigmoid(pre)),
                                   input_bias=b_in, recurrent_bias=b_rec)
        else:
            pre = x_dot + h_dot + float(b[col])
            terms[gate] = Term(gate, col, xp, hp, x_dot, h_dot, float(b[col]), pre, float(_act(gate, pre)))
    return UnitStep(cell, int(unit), x, h_prev, c_prev, terms, out, w_x, w_h)


# ---------------------------------------------------------------- where the inputs come from


def step_inputs(net: Network, trace, layer: int, position: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(x_t, h_{t−1}, c_{t−1}) of a layer's forward direction at a position, from an engine trace.

    x_t is the character's embedding for the first layer and the layer below's output otherwise;
    the previous state is the trace's state at t−1, or zeros at the first position.
    """
    if not 0 <= position < trace.length:
        raise ValueError(f"position must lie between 0 and {trace.length - 1}")
    lt = trace.layers[layer]
    x = net.embedding[trace.ids[position]] if layer == 0 else trace.layers[layer - 1].output[position]
    n = lt.units
    if position == 0:
        h_prev = np.zeros(n, np.float32)
        c_prev = np.zeros(n, np.float32) if lt.cell == "lstm" else None
    else:
        h_prev = lt.forward["h"][position - 1]
        c_prev = lt.forward["c"][position - 1] if lt.cell == "lstm" else None
    return x, h_prev, c_prev


def open_step(net: Network, trace, layer: int, position: int, unit: int) -> UnitStep:
    """The step of one unit computed in the open, with its inputs taken from the engine's trace."""
    x, h_prev, c_prev = step_inputs(net, trace, layer, position)
    lt = net.layers[layer]
    return unit_step(lt.cell, lt.forward, unit, x, h_prev, c_prev)


def engine_difference(step: UnitStep, trace, layer: int, position: int) -> float:
    """Largest |difference| between this open step (all units, every quantity) and the engine's trace."""
    forward = trace.layers[layer].forward
    worst = 0.0
    for name, values in step.layer_out.items():
        if name in forward:
            worst = max(worst, float(np.max(np.abs(values - forward[name][position]))))
    return worst


# ---------------------------------------------------------------- the proof with Keras itself


@dataclass(frozen=True)
class KerasCheck:
    """Keras' own layer run over the text up to the chosen position, against the open step.

    source: "file" (the model's saved .keras file, loaded with Keras) or "weights" (a fresh Keras
    layer given this layer's weights, fed the engine's inputs: for models that have no file yet).
    h_keras/c_keras are Keras' h_t and c_t (c only for LSTM) for every unit.
    """

    source: str
    h_keras: np.ndarray
    c_keras: np.ndarray | None
    h_difference: float
    c_difference: float | None

    @property
    def difference(self) -> float:
        return max(self.h_difference, self.c_difference or 0.0)


def keras_frozen():
    """Keras (imports TensorFlow), then gc.freeze(): TensorFlow adds some 300,000 objects that live as
    long as the process, and Streamlit runs a full garbage collection after every script run (also
    every fragment rerun, each second while something trains). Walking them takes most of a second
    with the GIL held, which would stall training threads and every rerun; frozen, they are skipped.
    Objects freed by reference counting are still freed."""
    import gc

    from lstm_core.training.tf_runtime import keras

    k = keras()
    gc.freeze()
    return k


def _same_weights(net: Network, other: Network) -> bool:
    if net.embedding.shape != other.embedding.shape or len(net.layers) != len(other.layers):
        return False
    if not np.array_equal(net.embedding, other.embedding):
        return False
    for a, b in zip(net.layers, other.layers):
        if (a.cell, a.units, a.bidirectional) != (b.cell, b.units, b.bidirectional):
            return False
        for da, db in zip(a.directions, b.directions):
            for name in ("kernel", "recurrent_kernel", "bias"):
                if not np.array_equal(getattr(da, name), getattr(db, name)):
                    return False
    return True


def _recurrent_layers(model) -> list:
    names = {"LSTM", "GRU", "SimpleRNN", "Bidirectional"}
    return [layer for layer in model.layers if type(layer).__name__ in names]


def _with_state(layer):
    """A copy of a Keras recurrent layer that returns its final state (h, and c for an LSTM)."""
    inner = layer.forward_layer if type(layer).__name__ == "Bidirectional" else layer
    config = dict(inner.get_config(), return_state=True, return_sequences=False)
    config.pop("name", None)
    return type(inner).from_config(config), inner.get_weights()


def _run_with_state(copy, weights, inputs: np.ndarray):
    copy.build((1, None, inputs.shape[-1]))
    copy.set_weights(weights)
    outputs = copy(inputs[None].astype(np.float32), training=False)
    h = np.asarray(outputs[1])[0]
    c = np.asarray(outputs[2])[0] if len(outputs) > 2 else None
    return h, c


def keras_check(net: Network, trace, layer: int, position: int, step: UnitStep,
                model_file: str | Path | None = None) -> KerasCheck:
    """Run Keras' own layer over the text up to `position` and compare its h_t (and c_t) with `step`.

    With `model_file` (a saved .keras whose weights are this network's), Keras loads the file in
    safe mode and computes the layer's input itself, from the characters: the whole chain is Keras'.
    Otherwise a fresh Keras layer gets this layer's weights and the engine's inputs. Imports
    TensorFlow (seconds, the first time).
    """
    from lstm_core.inference.keras_config import from_keras_model

    k = keras_frozen()
    ids = np.asarray(trace.ids[:position + 1], dtype=np.int32)
    loaded = None
    if model_file is not None and Path(model_file).is_file():
        try:
            candidate = retry_ast_race(lambda: k.saving.load_model(model_file, safe_mode=True))
            if _same_weights(net, from_keras_model(candidate)):
                loaded = candidate
        except Exception:  # an unreadable file: fall back to the weights, which the page reads anyway
            logging.getLogger(__name__).warning("Keras could not load %s; the check uses a model built from its "
                                                "weights", model_file, exc_info=True)
            loaded = None

    def run():
        if loaded is not None:
            rec = _recurrent_layers(loaded)[layer]
            source_layer = _recurrent_layers(loaded)[layer - 1] if layer > 0 else \
                next(layer for layer in loaded.layers if type(layer).__name__ == "Embedding")
            sub = k.Model(loaded.inputs, source_layer.output)
            inputs = np.asarray(sub([ids[None]], training=False))[0]
            copy, weights = _with_state(rec)
            return ("file",) + _run_with_state(copy, weights, inputs)
        lw = net.layers[layer]
        inputs = net.embedding[ids] if layer == 0 else np.asarray(trace.layers[layer - 1].output[:position + 1])
        cls = {"lstm": k.layers.LSTM, "gru": k.layers.GRU, "rnn": k.layers.SimpleRNN}[lw.cell]
        copy = cls(lw.units, return_state=True)
        weights = [lw.forward.kernel, lw.forward.recurrent_kernel, lw.forward.bias]
        return ("weights",) + _run_with_state(copy, weights, inputs)

    source, h, c = retry_ast_race(run)
    h_diff = float(np.max(np.abs(h - step.layer_out["h"])))
    c_diff = None if c is None or "c" not in step.layer_out else float(np.max(np.abs(c - step.layer_out["c"])))
    return KerasCheck(source, h, c, h_diff, c_diff)


# ---------------------------------------------------------------- counting parameters


@dataclass(frozen=True)
class CountRow:
    """One layer's parameters: `kernel` (input weights W), `recurrent` (U) and `biases`, and the
    formula that gives their sum."""

    name: str
    kind: str  # "embedding", "lstm", "gru", "rnn" or "dense"
    formula: str
    kernel: int
    recurrent: int
    biases: int

    @property
    def count(self) -> int:
        return self.kernel + self.recurrent + self.biases


def recurrent_row(cell: str, m: int, n: int, name: str | None = None) -> CountRow:
    g, nb = GATES[cell], BIASES[cell]
    row = CountRow(name or CELL_NAMES[cell], cell, recurrent_formula(cell, m, n), g * m * n, g * n * n, g * nb * n)
    assert row.count == recurrent_params(cell, m, n)
    return row


def count_rows(cell: str, *, input_size: int, units: int, layers: int = 1, vocab: int | None = None,
               outputs: int | None = None) -> list[CountRow]:
    """Every weight-carrying layer of: [Embedding(vocab → input_size)] → `layers` recurrent layers of
    `units` → [Dense(outputs)]. With vocab=None the input vectors (input_size numbers) are fed in
    directly; with outputs=None (or 0) there is no output layer."""
    for name, value in (("input size", input_size), ("units", units), ("layers", layers)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"the {name} must be a whole number of at least 1")
    rows = []
    if vocab:
        rows.append(CountRow(_("Embedding"), "embedding", f"V·E = {vocab}·{input_size}", vocab * input_size, 0, 0))
    m = input_size
    for k in range(layers):
        rows.append(recurrent_row(cell, m, units, f"{CELL_NAMES[cell]} {k + 1}" if layers > 1 else CELL_NAMES[cell]))
        m = units
    if outputs:
        rows.append(CountRow(_("Dense (output)"), "dense", f"(n + 1)·K = ({units} + 1)·{outputs}",
                             units * outputs, 0, outputs))
    return rows


def keras_counts(cell: str, *, input_size: int, units: int, layers: int = 1, vocab: int | None = None,
                 outputs: int | None = None) -> list[int]:
    """count_params() of each weight-carrying layer of the same network built in Keras (imports TF)."""
    from lstm_core.training.keras_model import RNN_CLASSES

    k = keras_frozen()

    def build():
        if vocab:
            inputs = k.Input(shape=(None,), dtype="int32")
            x = k.layers.Embedding(vocab, input_size)(inputs)
        else:
            inputs = k.Input(shape=(None, input_size))
            x = inputs
        layer_class = getattr(k.layers, RNN_CLASSES[cell])
        for _layer in range(layers):
            x = layer_class(units, return_sequences=True)(x)
        if outputs:
            x = k.layers.Dense(outputs, activation="softmax")(x)
        model = k.Model(inputs, x)
        return [layer.count_params() for layer in model.layers if layer.weights]

    return retry_ast_race(build)


def total(rows: Sequence[CountRow]) -> int:
    return sum(r.count for r in rows)
