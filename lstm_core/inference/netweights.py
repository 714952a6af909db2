"""A recurrent network's weights as plain NumPy arrays, read from a live Keras model or a `.keras` file.

The file reader opens the zip (config.json + model.weights.h5) itself, so looking at a model never
imports TensorFlow. It is also the gate for models from strangers: only a short list of layer types
with their default behaviour is accepted, so nothing in a file can make us run code (a Keras Lambda
layer would) or silently compute something other than what Keras computes.

Accepted architecture: [InputLayer] -> Embedding -> 1+ LSTM / GRU / SimpleRNN layers, optionally
inside Bidirectional(merge_mode="concat"), with Dropout anywhere in between -> Dense (softmax or
sigmoid, or linear followed by an Activation layer). Instead of an Embedding, the first recurrent layer
may read tokens as the textbooks feed them: one-hot vectors (input width = the number of outputs) or
one feature, the token's id divided by the number of outputs. Either is an input table too (the
identity matrix, or a column of scaled ids), so the engine reads every form the same way: row `id` of
`Network.embedding` is what the first layer reads for token `id`.

Weights are kept in Keras' layout (gate order i,f,g,o for LSTM; z,r,h for GRU) for display;
`Network.prepared` holds a rearranged copy that makes the engine's steps fast.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import IO

import h5py
import numpy as np

from lstm_core.i18n import _
from lstm_core.inference.params import GATES

CELL_OF_CLASS = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}
HEAD_ACTIVATIONS = ("softmax", "sigmoid")
SUPPORTED_LAYERS = "Embedding, LSTM, GRU, SimpleRNN, Bidirectional, Dropout, Dense and Activation"
# How the first recurrent layer reads a token (Network.input_form): through a trained Embedding, as a
# one-hot vector, or as one number, its id divided by the vocabulary size (the Macbeth chapter's form).
INPUT_FORMS = ("embedding", "one-hot", "scaled-id")
# The logit of an output the model does not have (as_char_model): exp() of it is 0 in float32, and
# its log stays finite for the pages' entropy and surprise.
NEVER_LOGIT = -1e4

# Bounds on what a file may make us read: the largest model the Train page builds (3 x LSTM(1024))
# has ~25 M parameters, so these leave room while refusing absurd files before allocating anything.
MAX_CONFIG_BYTES = 4 << 20
MAX_WEIGHTS_BYTES = 512 << 20
MAX_PARAMETERS = 64_000_000
# A (vocab, gates*units) lookup table replaces one matrix product per step; above this size (big
# word vocabularies) it would cost more memory than it saves time.
MAX_TABLE_ELEMENTS = 4_000_000

class WeightsError(ValueError):
    """A model (object or file) that LSTM Lab cannot or will not run; the message names the reason."""


def _float32(array, shape: tuple[int, ...], what: str) -> np.ndarray:
    try:
        out = np.ascontiguousarray(array, dtype=np.float32)
    except (TypeError, ValueError, OSError) as exc:  # OSError: an HDF5 dataset that cannot be decoded
        raise WeightsError(_("{what} is not an array of numbers ({error})").format(what=what, error=exc)) from None
    if out.shape != shape:
        raise WeightsError(_("{what} has shape {shape}, expected {expected}").format(what=what, shape=out.shape,
                                                                                     expected=shape))
    if not np.isfinite(out).all():
        raise WeightsError(_("{what} contains NaN or infinite values").format(what=what))
    out.flags.writeable = False
    return out


def _freeze(array: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(array, dtype=np.float32)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class CellWeights:
    """One direction of a recurrent layer, in Keras' layout.

    kernel (m, G·n), recurrent_kernel (n, G·n), bias (G·n,) — except GRU (reset_after=True), whose
    bias is (2, 3n): row 0 is added to x·W, row 1 to h·U (inside the reset gate's product).
    G is 4 for LSTM (i, f, g, o), 3 for GRU (z, r, h), 1 for SimpleRNN.
    """

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray

    def checked(self, cell: str, units: int, input_dim: int, what: str) -> CellWeights:
        width = GATES[cell] * units
        bias_shape = (2, width) if cell == "gru" else (width,)
        return CellWeights(_float32(self.kernel, (input_dim, width), _("{part} kernel").format(part=what)),
                           _float32(self.recurrent_kernel, (units, width),
                                    _("{part} recurrent kernel").format(part=what)),
                           _float32(self.bias, bias_shape, _("{part} bias").format(part=what)))


@dataclass(frozen=True, eq=False)
class RecurrentLayer:
    cell: str
    units: int
    forward: CellWeights
    backward: CellWeights | None = None
    return_sequences: bool = True
    name: str = ""

    def __post_init__(self):
        if self.cell not in GATES:
            raise WeightsError(f"layer {self.name!r}: cell must be one of {', '.join(GATES)}, not {self.cell!r}")
        if not isinstance(self.units, int) or isinstance(self.units, bool) or self.units < 1:
            raise WeightsError(f"layer {self.name!r}: units must be a positive whole number")

    @property
    def bidirectional(self) -> bool:
        return self.backward is not None

    @property
    def kernel(self) -> np.ndarray:
        return self.forward.kernel

    @property
    def recurrent_kernel(self) -> np.ndarray:
        return self.forward.recurrent_kernel

    @property
    def bias(self) -> np.ndarray:
        return self.forward.bias

    @property
    def input_dim(self) -> int:
        return int(np.shape(self.forward.kernel)[0])

    @property
    def output_dim(self) -> int:
        # Bidirectional(merge_mode="concat") puts the forward and backward outputs side by side.
        return self.units * (2 if self.bidirectional else 1)

    @property
    def directions(self) -> tuple[CellWeights, ...]:
        return (self.forward,) if self.backward is None else (self.forward, self.backward)


@dataclass(frozen=True, eq=False)
class DenseHead:
    kernel: np.ndarray
    bias: np.ndarray
    activation: str = "softmax"

    def __post_init__(self):
        if self.activation not in HEAD_ACTIVATIONS:
            raise WeightsError(f"the output layer's activation must be softmax or sigmoid, not {self.activation!r}")


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
        (engine.Stepper), made when first asked for."""
        return _freeze(np.vstack([self.kernel, self.recurrent_kernel]))


@dataclass(frozen=True, eq=False)
class Network:
    """Embedding -> recurrent layers -> Dense head, all float32 and read-only."""

    embedding: np.ndarray  # the input table: row `id` is what the first layer reads for token `id`
    layers: tuple[RecurrentLayer, ...]
    head: DenseHead
    name: str = ""
    input_form: str = "embedding"  # INPUT_FORMS; only an "embedding" table is a weight of the Keras model
    prepared: tuple[tuple[PreparedCell, ...], ...] = field(init=False, repr=False)

    def __post_init__(self):
        layers = tuple(self.layers)
        if not layers:
            raise WeightsError(_("the model has no recurrent layer"))
        embedding = np.asarray(self.embedding)
        if embedding.ndim != 2 or 0 in embedding.shape:
            raise WeightsError(_("the embedding must be a (vocabulary, dimension) matrix, not {shape}")
                               .format(shape=embedding.shape))
        embedding = _float32(embedding, embedding.shape, _("the embedding"))
        checked, width = [], embedding.shape[1]
        for k, layer in enumerate(layers):
            name = repr(layer.name or k + 1)
            what = _("layer {name}").format(name=name)
            if k < len(layers) - 1 and not layer.return_sequences:
                raise WeightsError(_("{what} returns only its last step, but another recurrent layer follows it")
                                   .format(what=what))
            dirs = [d.checked(layer.cell, layer.units, width, _side(name, side) if layer.bidirectional else what)
                    for d, side in zip(layer.directions, ("forward", "backward"))]
            checked.append(RecurrentLayer(layer.cell, layer.units, dirs[0], dirs[1] if len(dirs) > 1 else None,
                                          layer.return_sequences, layer.name))
            width = checked[-1].output_dim
        kernel = np.asarray(self.head.kernel)
        outputs = kernel.shape[1] if kernel.ndim == 2 else -1
        head = DenseHead(_float32(kernel, (width, outputs), _("the output layer's kernel")),
                         _float32(self.head.bias, (outputs,), _("the output layer's bias")), self.head.activation)
        if outputs < 1 or (head.activation == "softmax" and outputs < 2):
            raise WeightsError(_("the output layer has {outputs} unit(s), too few for {activation}")
                               .format(outputs=outputs, activation=head.activation))
        object.__setattr__(self, "embedding", embedding)
        object.__setattr__(self, "layers", tuple(checked))
        object.__setattr__(self, "head", head)
        object.__setattr__(self, "prepared", tuple(
            tuple(_prepare(layer.cell, layer.units, d, embedding if k == 0 else None) for d in layer.directions)
            for k, layer in enumerate(checked)))

    @property
    def vocab_size(self) -> int:
        return self.embedding.shape[0]

    @property
    def embed_dim(self) -> int:
        return self.embedding.shape[1]

    @property
    def output_size(self) -> int:
        return self.head.bias.shape[0]

    @property
    def return_sequences(self) -> bool:
        """True for many-to-many (an output per step), False for many-to-one (one output per text)."""
        return self.layers[-1].return_sequences

    @property
    def bidirectional(self) -> bool:
        return any(layer.bidirectional for layer in self.layers)


def _side(name: str, side: str | None) -> str:
    """How messages name a layer (its name already quoted), or one half of a Bidirectional layer."""
    if side == "forward":
        return _("layer {name} forward").format(name=name)
    if side == "backward":
        return _("layer {name} backward").format(name=name)
    return _("layer {name}").format(name=name)


def _prepare(cell: str, n: int, weights: CellWeights, embedding: np.ndarray | None) -> PreparedCell:
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
        table = _freeze(embedding @ kernel + bias)
    return PreparedCell(cell, n, _freeze(kernel), _freeze(recurrent), _freeze(bias),
                        None if recurrent_bias is None else _freeze(recurrent_bias), table)


# ---------------------------------------------------------------- reading Keras configurations

# fetch(layer position in the config, part) -> that layer's weights in Keras order (arrays or h5py
# datasets); part is None, "forward_layer" or "backward_layer" (the halves of a Bidirectional layer).
Fetch = Callable[[int, str | None], list]


@dataclass(frozen=True)
class _Planned:
    """One weight-carrying layer as the configuration describes it, before its weights are read."""

    position: int
    name: str
    kind: str  # "embedding", "input" (one-hot or scaled ids: no weights), "recurrent" or "dense"
    shapes: tuple[tuple[int, ...], ...]
    cell: str = ""
    units: int = 0
    bidirectional: bool = False
    return_sequences: bool = True
    activation: str = ""


def _unsupported(name: str, message: str, **fields) -> WeightsError:
    """`message`: a whole translated sentence, with {layer} for the layer's name."""
    return WeightsError(message.format(layer=repr(name), **fields))


def _dict(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise WeightsError(_("This .keras file is damaged: {what} is not a JSON object").format(what=what))
    return value


def _size(cfg: dict, key: str, name: str) -> int:
    value = cfg.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise WeightsError(_("This .keras file is damaged: layer {layer} has an invalid {key} ({value})")
                           .format(layer=repr(name), key=key, value=repr(value)))
    return value


def _require(cfg: dict, key: str, wanted, name: str, default=None) -> None:
    value = cfg.get(key, default)
    if value != wanted:
        raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} uses {key}={value}; "
                                   "only {key}={wanted} is supported."),
                           key=key, value=repr(value), wanted=repr(wanted))


def _builtin(entry: dict, name: str) -> str:
    cls = entry.get("class_name")
    # Built-in layers serialise as module "keras.layers" with no registered name; anything else is
    # custom code that we neither have nor want to run.
    if entry.get("module") != "keras.layers" or entry.get("registered_name") not in (None, cls):
        raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} is a custom layer "
                                   "({cls} from {module})."), cls=repr(cls), module=repr(entry.get("module")))
    if not isinstance(cls, str):
        raise WeightsError(_("This .keras file is damaged: layer {layer} has no class name").format(layer=repr(name)))
    return cls


def _recurrent_config(entry: dict, name: str, backwards: bool) -> tuple[str, int, bool]:
    cls = _builtin(entry, name)
    if cls not in CELL_OF_CLASS:
        raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} wraps a {cls} layer; "
                                   "Bidirectional must wrap an LSTM, GRU or SimpleRNN."), cls=cls)
    cfg = _dict(entry.get("config"), _("the configuration of layer {name}").format(name=repr(name)))
    cell = CELL_OF_CLASS[cls]
    _require(cfg, "activation", "tanh", name)
    if cell != "rnn":
        _require(cfg, "recurrent_activation", "sigmoid", name)
    if cell == "gru":
        _require(cfg, "reset_after", True, name)
    _require(cfg, "use_bias", True, name)
    _require(cfg, "go_backwards", backwards, name, default=False)
    _require(cfg, "stateful", False, name, default=False)
    _require(cfg, "return_state", False, name, default=False)
    return cell, _size(cfg, "units", name), bool(cfg.get("return_sequences", False))


def _recurrent_plan(position: int, cls: str, entry: dict, cfg: dict, name: str, width: int) -> _Planned:
    if cls == "Bidirectional":
        _require(cfg, "merge_mode", "concat", name)
        inner = _dict(cfg.get("layer"), _("the wrapped layer of {name}").format(name=repr(name)))
        cell, units, sequences = _recurrent_config(inner, name, backwards=False)
        if "backward_layer" in cfg:
            # Keras writes the backward copy explicitly; it must be the mirror image of the forward one.
            back = _dict(cfg["backward_layer"], _("the backward layer of {name}").format(name=repr(name)))
            b_cell, b_units, _b_sequences = _recurrent_config(back, name, backwards=True)
            if (b_cell, b_units) != (cell, units):
                raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} has different forward "
                                           "and backward layers."))
    else:
        cell, units, sequences = _recurrent_config(entry, name, backwards=False)
    g = GATES[cell] * units
    one = ((width, g), (units, g), (2, g) if cell == "gru" else (g,))
    return _Planned(position, name, "recurrent", one, cell, units, cls == "Bidirectional", sequences)


def _sources(node) -> list:
    """Names of the layers whose outputs a serialised call node consumes."""
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__":
            history = _dict(node.get("config"), _("a layer input")).get("keras_history")
            return [history[0] if isinstance(history, (list, tuple)) and history else None]
        return [s for v in node.values() for s in _sources(v)]
    if isinstance(node, (list, tuple)):
        return [s for v in node for s in _sources(v)]
    return []


def _check_chain(entries: list[dict], names: list[str], config: dict) -> None:
    """A functional model must be a plain chain, or reading its layers in order would be wrong."""
    for k in range(1, len(entries)):
        nodes = entries[k].get("inbound_nodes")
        if not isinstance(nodes, list) or len(nodes) != 1 or _sources(nodes) != [names[k - 1]]:
            raise _unsupported(names[k], _("LSTM Lab cannot run this model: layer {layer} is not fed by exactly "
                                           "the layer before it ({previous}); only a straight chain of layers is "
                                           "supported."), previous=repr(names[k - 1]))
    if set(_flatten_names(config.get("input_layers"))) != {names[0]} or \
            set(_flatten_names(config.get("output_layers"))) != {names[-1]}:
        raise WeightsError(_("LSTM Lab cannot run this model: it must have one input and one output, "
                             "at the two ends of its chain of layers."))


def _flatten_names(spec) -> list:
    # input_layers/output_layers are [name, 0, 0] or a list of those (tuples in a live model's config).
    if isinstance(spec, (list, tuple)) and spec and isinstance(spec[0], str):
        return [spec[0]]
    return [n for item in spec for n in _flatten_names(item)] if isinstance(spec, (list, tuple)) else [spec]


def _plan(model_class: str, config: dict) -> tuple[str, list[_Planned]]:
    if model_class not in ("Functional", "Sequential"):
        raise WeightsError(_("LSTM Lab cannot run this model: it is a {cls}, not a Sequential or functional "
                             "Keras model.").format(cls=repr(model_class)))
    config = _dict(config, _("the model configuration"))
    entries = config.get("layers")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries) or not entries:
        raise WeightsError(_("This .keras file is damaged: the model configuration lists no layers"))
    names = [str(_dict(e.get("config"), _("a layer configuration")).get("name", f"#{k}"))
             for k, e in enumerate(entries)]
    for entry, name in zip(entries, names):
        # Checked first because mask_zero makes Keras insert mask operations into the graph, and an
        # error naming those would not tell the user what to change.
        if entry.get("class_name") == "Embedding":
            _require(entry["config"], "mask_zero", False, name, default=False)
    if model_class == "Functional":
        _check_chain(entries, names, config)

    plan: list[_Planned] = []
    width = 0
    input_width = None  # the last axis of the InputLayer's shape: what a first recurrent layer reads
    for position, (entry, name) in enumerate(zip(entries, names)):
        cls = _builtin(entry, name)
        cfg = entry["config"]
        if cls in ("InputLayer", "Dropout"):
            # InputLayer holds no weights; Dropout is the identity at inference time.
            if cls == "InputLayer" and position != 0:
                raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} is an input in the "
                                           "middle of the model."))
            if cls == "InputLayer":
                shape = cfg.get("batch_shape", cfg.get("batch_input_shape"))
                if isinstance(shape, (list, tuple)) and len(shape) == 3 and isinstance(shape[-1], int):
                    input_width = shape[-1]
            continue
        if cls == "Activation" and plan and plan[-1].kind == "dense" and plan[-1].activation == "linear":
            # The textbooks' head: Dense(len(chars)) then Activation('softmax').
            activation = cfg.get("activation")
            if activation not in HEAD_ACTIVATIONS:
                raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} uses activation="
                                           "{activation}; the output layer must use softmax or sigmoid."),
                                   activation=repr(activation))
            plan[-1] = replace(plan[-1], activation=activation)
            continue
        if plan and plan[-1].kind == "dense":
            raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} comes after the output "
                                       "layer."))
        if cls == "Embedding":
            if plan:
                raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} is an embedding that is "
                                           "not the first layer."))
            _require(cfg, "quantization_config", None, name)
            vocab, width = _size(cfg, "input_dim", name), _size(cfg, "output_dim", name)
            plan.append(_Planned(position, name, "embedding", ((vocab, width),)))
        elif not plan and cls not in CELL_OF_CLASS and cls != "Bidirectional":
            raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} is a {cls}; the model must "
                                       "start with an Embedding or a recurrent layer."), cls=cls)
        elif cls in CELL_OF_CLASS or cls == "Bidirectional":
            if not plan:  # tokens go in as one-hot vectors or scaled ids: _build decides which from the widths
                if input_width is None:
                    raise _unsupported(name, _("LSTM Lab cannot run this model: it has no Embedding and its input "
                                               "shape is not recorded, so LSTM Lab cannot tell how it reads "
                                               "characters."))
                width = input_width
                plan.append(_Planned(position, name, "input", ((width,),)))
            if plan[-1].kind == "recurrent" and not plan[-1].return_sequences:
                raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} follows a recurrent "
                                           "layer that returns only its last step."))
            plan.append(_recurrent_plan(position, cls, entry, cfg, name, width))
            width = plan[-1].units * (2 if plan[-1].bidirectional else 1)
        elif cls == "Dense":
            if plan[-1].kind != "recurrent":
                raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} is an output layer with "
                                           "no recurrent layer before it."))
            _require(cfg, "use_bias", True, name)
            _require(cfg, "quantization_config", None, name)
            if cfg.get("lora_rank"):
                raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} uses LoRA weights."))
            activation = cfg.get("activation")
            if activation not in HEAD_ACTIVATIONS + ("linear",):  # linear: an Activation layer must follow
                raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} uses activation="
                                           "{activation}; the output layer must use softmax or sigmoid."),
                                   activation=repr(activation))
            units = _size(cfg, "units", name)
            plan.append(_Planned(position, name, "dense", ((width, units), (units,)), activation=activation))
        else:
            raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} is a {cls}; LSTM Lab reads "
                                       "only {supported} layers."), cls=cls, supported=SUPPORTED_LAYERS)
    if not plan or plan[-1].kind != "dense":
        raise WeightsError(_("LSTM Lab cannot run this model: it must end with a Dense output layer."))
    if plan[-1].activation == "linear":
        raise _unsupported(plan[-1].name, _("LSTM Lab cannot run this model: layer {layer} uses activation="
                                            "'linear'; the output layer must use softmax or sigmoid."))
    parameters = sum(int(np.prod(s)) * (2 if p.bidirectional else 1) for p in plan if p.kind != "input"
                     for s in p.shapes)
    if parameters > MAX_PARAMETERS:
        raise WeightsError(_("LSTM Lab cannot run this model: it has {parameters:,} parameters, more than "
                             "the {most:,} it accepts.").format(parameters=parameters, most=MAX_PARAMETERS))
    return str(config.get("name", "")), plan


def _build(model_class: str, config: dict, fetch: Fetch) -> Network:
    name, plan = _plan(model_class, config)

    def arrays(p: _Planned, part: str | None) -> list[np.ndarray]:
        got = fetch(p.position, part)
        what = _side(repr(p.name), part.split("_")[0] if part else None)
        if len(got) != len(p.shapes):
            raise WeightsError(_("This .keras file is damaged: {what} has {got} weight arrays, expected {expected}")
                               .format(what=what, got=len(got), expected=len(p.shapes)))
        for i, (a, s) in enumerate(zip(got, p.shapes)):
            if tuple(np.shape(a)) != s:
                raise WeightsError(_("This .keras file is damaged: {what} weight {index} has shape {shape}, but the "
                                     "model's configuration needs {expected}")
                                   .format(what=what, index=i, shape=tuple(np.shape(a)), expected=s))
        return [_float32(a, s, _("{part} weight {index}").format(part=what, index=i))
                for i, (a, s) in enumerate(zip(got, p.shapes))]

    layers = []
    for p in plan[1:-1]:
        parts = ("forward_layer", "backward_layer") if p.bidirectional else (None,)
        dirs = [CellWeights(*arrays(p, part)) for part in parts]
        layers.append(RecurrentLayer(p.cell, p.units, dirs[0], dirs[1] if p.bidirectional else None,
                                     p.return_sequences, p.name))
    kernel, bias = arrays(plan[-1], None)
    if plan[0].kind == "embedding":
        (embedding,) = arrays(plan[0], None)
        form = "embedding"
    else:
        embedding, form = _input_table(plan[0].shapes[0][0], bias.shape[0], plan[1].name)
    return Network(embedding, tuple(layers), DenseHead(kernel, bias, plan[-1].activation), name, form)


def _input_table(width: int, outputs: int, name: str) -> tuple[np.ndarray, str]:
    """The input table of a model without an Embedding, from the width its first layer reads: as
    wide as the output (one probability per token), a one-hot vector; one number, a scaled id."""
    if width == outputs:
        return np.eye(outputs, dtype=np.float32), "one-hot"
    if width == 1:
        return (np.arange(outputs, dtype=np.float32) / outputs)[:, None], "scaled-id"
    raise _unsupported(name, _("LSTM Lab cannot run this model: its first layer {layer} reads vectors of {width} "
                               "numbers, but it has no Embedding and predicts {outputs} tokens. Without an "
                               "Embedding, LSTM Lab reads a token as a one-hot vector ({outputs} numbers) or as "
                               "one number, its id divided by {outputs}."), width=width, outputs=outputs)


def weights_list(net: Network) -> list[np.ndarray]:
    """The network's arrays in Keras' get_weights() order: embedding, each layer's directions
    (kernel, recurrent kernel, bias), the head's kernel and bias."""
    arrays = [net.embedding] if net.input_form == "embedding" else []
    for layer in net.layers:
        for d in layer.directions:
            arrays += [d.kernel, d.recurrent_kernel, d.bias]
    return arrays + [net.head.kernel, net.head.bias]


def with_weights(net: Network, arrays: Sequence[np.ndarray]) -> Network:
    """A network of `net`'s shape with other weights (in weights_list order), e.g. a snapshot from
    the model's own training; shapes are checked as for any model read from a file."""
    arrays = list(arrays)
    if len(arrays) != len(weights_list(net)):
        raise WeightsError(_("This .keras file is damaged: a snapshot has {got} weight arrays, the model {expected}")
                           .format(got=len(arrays), expected=len(weights_list(net))))
    it = iter(arrays)
    embedding = next(it) if net.input_form == "embedding" else net.embedding
    layers = []
    for layer in net.layers:
        dirs = [CellWeights(next(it), next(it), next(it)) for _ in layer.directions]
        layers.append(RecurrentLayer(layer.cell, layer.units, dirs[0], dirs[1] if layer.bidirectional else None,
                                     layer.return_sequences, layer.name))
    kernel, bias = next(it), next(it)
    return Network(embedding, tuple(layers), DenseHead(kernel, bias, net.head.activation), net.name, net.input_form)


def as_char_model(net: Network, rows: Sequence[int | None]) -> Network:
    """A model trained elsewhere, re-indexed for LSTM Lab's vocabulary (id 0: unknown, then the
    characters): `rows[k]` is the model's own id for LSTM Lab's id k, or None where the model has no
    such id. The input table and the head's columns are reordered; an unknown slot the model lacks
    reads zeros and is never predicted. A model that outputs only after its last step (the textbooks'
    windows) gets its head applied after every character, as if each prefix were a window."""
    size = net.output_size
    if net.vocab_size != size or any(r is not None and not (isinstance(r, int) and 0 <= r < size) for r in rows) \
            or len({r for r in rows if r is not None}) != sum(r is not None for r in rows) or None in rows[1:]:
        raise WeightsError(_("the id order recorded for this model does not fit its weights"))
    picked = [r if r is not None else 0 for r in rows]
    missing = np.array([r is None for r in rows])
    table = net.embedding[picked].copy()
    table[missing] = 0.0
    kernel = net.head.kernel[:, picked].copy()
    kernel[:, missing] = 0.0
    bias = net.head.bias[picked].copy()
    bias[missing] = NEVER_LOGIT
    layers = list(net.layers)
    layers[-1] = replace(layers[-1], return_sequences=True)
    return Network(table, tuple(layers), DenseHead(kernel, bias, net.head.activation), net.name, net.input_form)


# ---------------------------------------------------------------- the two entry points

def from_keras_model(model) -> Network:
    """Copy a live Keras Sequential/functional model's weights (the only place a Keras object is touched)."""
    try:
        config = model.get_config()
    except NotImplementedError:
        raise WeightsError(_("LSTM Lab cannot run this model: it is a subclassed Keras model whose "
                             "layers cannot be listed.")) from None

    def fetch(position: int, part: str | None) -> list[np.ndarray]:
        layer = model.get_layer(config["layers"][position]["config"]["name"])
        return (getattr(layer, part) if part else layer).get_weights()

    return _build(type(model).__name__, config, fetch)


def _snake(class_name: str) -> str:
    # Keras' own naming.to_snake_case: weight groups in model.weights.h5 are named after classes.
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _read_entry(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise WeightsError(_("This .keras file is damaged: it has no {name}.").format(name=name)) from None
    if info.file_size > limit:
        raise WeightsError(_("LSTM Lab will not read this .keras file: its {name} is {size} MB, more than the "
                             "{limit} MB limit.").format(name=name, size=info.file_size >> 20, limit=limit >> 20))
    try:
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:
        raise WeightsError(_("This .keras file is damaged: its {name} cannot be unpacked ({error}).")
                           .format(name=name, error=exc)) from None
    if len(data) > limit:
        raise WeightsError(_("LSTM Lab will not read this .keras file: its {name} is larger than the "
                             "{limit} MB limit.").format(name=name, limit=limit >> 20))
    return data


def _h5_node(h5: h5py.File, path: str):
    """Follow `path` through hard links only: an external link could make us read another file on disk."""
    node = h5
    for part in path.split("/"):
        link = node.get(part, getlink=True) if isinstance(node, h5py.Group) else None
        if link is None:
            raise WeightsError(_("This .keras file is damaged: model.weights.h5 has no {path}.").format(path=path))
        if not isinstance(link, h5py.HardLink):
            raise WeightsError(_("This .keras file is damaged: {path} in model.weights.h5 is a link, which LSTM Lab "
                                 "does not follow.").format(path=path))
        node = node[part]
    return node


def _h5_datasets(h5: h5py.File, path: str) -> list[h5py.Dataset]:
    # Datasets, not arrays: their shapes are checked before anything is read (a compressed dataset
    # could otherwise unpack to far more than the file's size).
    group = _h5_node(h5, path)
    keys = sorted(group.keys(), key=lambda k: (len(k), k)) if isinstance(group, h5py.Group) else []
    if keys != [str(i) for i in range(len(keys))]:
        raise WeightsError(_("This .keras file is damaged: model.weights.h5 has unexpected entries under {path}.")
                           .format(path=path))
    out = []
    for key in keys:
        ds = _h5_node(h5, f"{path}/{key}")
        if not isinstance(ds, h5py.Dataset) or ds.external or ds.is_virtual or ds.dtype.kind != "f":
            raise WeightsError(_("This .keras file is damaged: {path} in model.weights.h5 is not a plain array of "
                                 "numbers.").format(path=f"{path}/{key}"))
        out.append(ds)
    return out


def from_keras_file(source: str | os.PathLike | IO[bytes]) -> Network:
    """Read a Keras 3 `.keras` file (a path or a binary file object such as an upload) without Keras."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise WeightsError(_("This .keras file is damaged: it is not a complete zip archive, which every .keras "
                             "file is ({error}).").format(error=exc)) from None
    with archive:
        raw_config = _read_entry(archive, "config.json", MAX_CONFIG_BYTES)
        raw_weights = _read_entry(archive, "model.weights.h5", MAX_WEIGHTS_BYTES)
    try:
        top = json.loads(raw_config)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise WeightsError(_("This .keras file is damaged: its config.json is not valid JSON ({error}).")
                           .format(error=exc)) from None
    top = _dict(top, "config.json")
    model_class, config = top.get("class_name"), top.get("config")
    entries = _dict(config, _("the model configuration")).get("layers")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise WeightsError(_("This .keras file is damaged: the model configuration lists no layers"))

    # Keras names each layer's weight group after its class in snake case, numbering repeats in
    # layer order (lstm, lstm_1, ...), whatever the layer's own name.
    paths, seen = [], {}
    for entry in entries:
        base = _snake(str(entry.get("class_name")))
        paths.append(base if base not in seen else f"{base}_{seen[base]}")
        seen[base] = seen.get(base, 0) + 1

    try:
        h5 = h5py.File(io.BytesIO(raw_weights), "r")
    except OSError as exc:
        raise WeightsError(_("This .keras file is damaged: its model.weights.h5 is not a readable HDF5 file "
                             "({error}).").format(error=exc)) from None

    def fetch(position: int, part: str | None) -> list[h5py.Dataset]:
        # Recurrent weights live one level down, in the layer's cell.
        cell = part is not None or entries[position].get("class_name") in CELL_OF_CLASS
        return _h5_datasets(h5, "/".join(p for p in ("layers", paths[position], part, "cell" if cell else None,
                                                      "vars") if p))

    with h5:
        return _build(str(model_class), config, fetch)
