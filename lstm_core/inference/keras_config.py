"""Reading a Keras model's configuration into a Network: the gate for models from strangers.

Only a short list of layer types with their default behaviour is accepted, so nothing in a model can
make us run code (a Keras Lambda layer would) or silently compute something other than what Keras
computes. A live model (from_keras_model) and a `.keras` file (keras_file) both come through here.

Accepted architecture: [InputLayer] -> Embedding -> 1+ LSTM / GRU / SimpleRNN layers, optionally
inside Bidirectional(merge_mode="concat"), with Dropout anywhere in between -> Dense (softmax or
sigmoid, or linear followed by an Activation layer, or linear alone: logits, see logits_head). Instead of an Embedding, the first recurrent layer
may read tokens as one-hot vectors or scaled ids (netweights).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from lstm_core.i18n import _
from lstm_core.inference.netweights import (HEAD_ACTIVATIONS, CellWeights, DenseHead, Network, RecurrentLayer,
                                            WeightsError, checked_float32, layer_name)
from lstm_core.inference.params import GATES

CELL_OF_CLASS = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}
SUPPORTED_LAYERS = "Embedding, LSTM, GRU, SimpleRNN, Bidirectional, Dropout, Dense and Activation"
# The largest model the Train page builds (3 x LSTM(1024)) has ~25 M parameters: this leaves room
# while refusing absurd models before their weights are read.
MAX_PARAMETERS = 64_000_000

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


def json_object(value, what: str) -> dict:
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
    cfg = json_object(entry.get("config"), _("the configuration of layer {name}").format(name=repr(name)))
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
        inner = json_object(cfg.get("layer"), _("the wrapped layer of {name}").format(name=repr(name)))
        cell, units, sequences = _recurrent_config(inner, name, backwards=False)
        if "backward_layer" in cfg:
            # Keras writes the backward copy explicitly; it must be the mirror image of the forward one.
            back = json_object(cfg["backward_layer"], _("the backward layer of {name}").format(name=repr(name)))
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
            history = json_object(node.get("config"), _("a layer input")).get("keras_history")
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
    config = json_object(config, _("the model configuration"))
    entries = config.get("layers")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries) or not entries:
        raise WeightsError(_("This .keras file is damaged: the model configuration lists no layers"))
    names = [str(json_object(e.get("config"), _("a layer configuration")).get("name", f"#{k}"))
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
                                           "{activation}; the output layer must use softmax, sigmoid or none (logits)."),
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
            if not plan:  # tokens go in as one-hot vectors or scaled ids: build decides which from the widths
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
            if activation not in HEAD_ACTIVATIONS + ("linear",):  # linear: logits, or an Activation layer follows
                raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} uses activation="
                                           "{activation}; the output layer must use softmax, sigmoid or none (logits)."),
                                   activation=repr(activation))
            units = _size(cfg, "units", name)
            plan.append(_Planned(position, name, "dense", ((width, units), (units,)), activation=activation))
        else:
            raise _unsupported(name, _("LSTM Lab cannot run this model: layer {layer} is a {cls}; LSTM Lab reads "
                                       "only {supported} layers."), cls=cls, supported=SUPPORTED_LAYERS)
    if not plan or plan[-1].kind != "dense":
        raise WeightsError(_("LSTM Lab cannot run this model: it must end with a Dense output layer."))
    parameters = sum(int(np.prod(s)) * (2 if p.bidirectional else 1) for p in plan if p.kind != "input"
                     for s in p.shapes)
    if parameters > MAX_PARAMETERS:
        raise WeightsError(_("LSTM Lab cannot run this model: it has {parameters:,} parameters, more than "
                             "the {most:,} it accepts.").format(parameters=parameters, most=MAX_PARAMETERS))
    return str(config.get("name", "")), plan


def build(model_class: str, config: dict, fetch: Fetch) -> Network:
    name, plan = _plan(model_class, config)

    def arrays(p: _Planned, part: str | None) -> list[np.ndarray]:
        got = fetch(p.position, part)
        what = layer_name(repr(p.name), part.split("_")[0] if part else None)
        if len(got) != len(p.shapes):
            raise WeightsError(_("This .keras file is damaged: {what} has {got} weight arrays, expected {expected}")
                               .format(what=what, got=len(got), expected=len(p.shapes)))
        for i, (a, s) in enumerate(zip(got, p.shapes)):
            if tuple(np.shape(a)) != s:
                raise WeightsError(_("This .keras file is damaged: {what} weight {index} has shape {shape}, but the "
                                     "model's configuration needs {expected}")
                                   .format(what=what, index=i, shape=tuple(np.shape(a)), expected=s))
        return [checked_float32(a, s, _("{part} weight {index}").format(part=what, index=i))
                for i, (a, s) in enumerate(zip(got, p.shapes))]

    layers = []
    for p in plan[1:-1]:
        parts = ("forward_layer", "backward_layer") if p.bidirectional else (None,)
        dirs = [CellWeights(*arrays(p, part)) for part in parts]
        layers.append(RecurrentLayer(p.cell, p.units, dirs[0], dirs[1] if p.bidirectional else None,
                                     p.return_sequences, p.name))
    kernel, bias = arrays(plan[-1], None)
    head = logits_head(kernel, bias) if plan[-1].activation == "linear" else DenseHead(kernel, bias, plan[-1].activation)
    if plan[0].kind == "embedding":
        (embedding,) = arrays(plan[0], None)
        form = "embedding"
    else:
        embedding, form = input_table(plan[0].shapes[0][0], bias.shape[0], plan[1].name)
    return Network(embedding, tuple(layers), head, name, form, _input_length(config) if form == "embedding" else None)


def _input_length(config: dict) -> int | None:
    """The steps an Embedding model's input shape fixes, (None, maxlen): by its InputLayer, or the shape a
    Sequential model was built with."""
    first = config["layers"][0]
    shape = (first.get("config", {}).get("batch_shape") if first.get("class_name") == "InputLayer"
             else config.get("build_input_shape"))
    if isinstance(shape, (list, tuple)) and len(shape) == 2 and isinstance(shape[1], int) \
            and not isinstance(shape[1], bool) and shape[1] > 0:
        return shape[1]
    return None


def logits_head(kernel: np.ndarray, bias: np.ndarray) -> DenseHead:
    """An output layer that stops at the logits (a model trained with from_logits=True): the engine
    applies softmax to them, or sigmoid to a single output, as the loss did in training."""
    return DenseHead(kernel, bias, "sigmoid" if np.shape(bias) == (1,) else "softmax", from_logits=True)


def input_table(width: int, outputs: int, name: str) -> tuple[np.ndarray, str]:
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

    return build(type(model).__name__, config, fetch)
