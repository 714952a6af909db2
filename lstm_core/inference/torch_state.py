"""Reading a PyTorch character model's state_dict, saved with safetensors, into a Network (no PyTorch).

The model LSTM Lab reads: an optional nn.Embedding, one nn.LSTM, nn.GRU or nn.RNN (any num_layers,
bidirectional or not; batch_first does not change the weights), then one nn.Linear, whose outputs
are logits (PyTorch's losses apply softmax themselves, so LSTM Lab does: netweights.DenseHead).
Without an Embedding the recurrent module reads one-hot vectors (or one number per character).

A state_dict names its arrays after the model's attributes (`embed.weight`, `lstm.weight_ih_l0`,
`fc.bias`), which differ from model to model, so each part is recognised by its suffix and its shape;
whatever is missing, left over or fits two parts is named in the message. What the arrays cannot say
is assumed to be PyTorch's default: nn.RNN's nonlinearity (tanh) and the order of the modules
(Embedding, then the recurrent module, then Linear, as their shapes require).
"""

from __future__ import annotations

import re

import numpy as np

from lstm_core.i18n import _
from lstm_core.inference.gate_order import TORCH_ORDER, keras_cell
from lstm_core.inference.keras_config import MAX_PARAMETERS, input_table, logits_head
from lstm_core.inference.netweights import Network, RecurrentLayer, WeightsError, checked_float32

CELL_OF_GATES = {4: "lstm", 3: "gru", 1: "rnn"}
RECURRENT_KEY = re.compile(r"^(?P<module>.*?)\.?(?P<part>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                           r"_l(?P<layer>\d+)(?P<reverse>_reverse)?$")


def _cannot(message: str, **fields) -> WeightsError:
    return WeightsError(_("LSTM Lab cannot run this model: {problem}").format(problem=message.format(**fields)))


def _keys(names) -> str:
    return ", ".join(sorted(names))


def _recurrent(arrays: dict[str, np.ndarray]) -> tuple[str, list[RecurrentLayer], set[str]]:
    """The recurrent module's layers, and the keys they use."""
    found = {k: m for k in arrays if (m := RECURRENT_KEY.match(k))}
    modules = {m["module"] for m in found.values()}
    if not modules:
        raise _cannot(_("the file has no recurrent weights (keys such as lstm.weight_ih_l0); its keys are {keys}."),
                      keys=_keys(arrays))
    if len(modules) > 1:
        raise _cannot(_("the file holds several recurrent modules ({modules}); LSTM Lab reads a model with one "
                        "nn.LSTM, nn.GRU or nn.RNN (use its num_layers to stack layers)."), modules=_keys(modules))
    module = modules.pop()
    if any(m["part"] == "weight_hr" for m in found.values()):
        raise _cannot(_("its LSTM has projections ({key}, proj_size > 0), which LSTM Lab does not compute."),
                      key=next(k for k, m in found.items() if m["part"] == "weight_hr"))
    prefix = f"{module}." if module else ""
    layers = max(int(m["layer"]) for m in found.values()) + 1
    dirs = 2 if any(m["reverse"] for m in found.values()) else 1
    with_bias = any(m["part"].startswith("bias") for m in found.values())
    first_hh = f"{prefix}weight_hh_l0"
    if first_hh not in arrays or np.ndim(arrays[first_hh]) != 2 or not arrays[first_hh].shape[1]:
        raise _cannot(_("the key {key} is missing or is not a matrix."), key=first_hh)
    units = arrays[first_hh].shape[1]
    gates, rest = divmod(arrays[first_hh].shape[0], units)
    if rest or gates not in CELL_OF_GATES:
        raise _cannot(_("{key} has shape {shape}: not the recurrent weights of an LSTM (4 × units rows), GRU (3 ×) "
                        "or RNN (1 ×)."), key=first_hh, shape=tuple(arrays[first_hh].shape))
    cell = CELL_OF_GATES[gates]
    out, used, width = [], set(), None
    for k in range(layers):
        directions = []
        for suffix in ("", "_reverse")[:dirs]:
            names = [f"{prefix}{part}_l{k}{suffix}" for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            missing = [n for n in names[:4 if with_bias else 2] if n not in arrays]
            if missing:
                raise _cannot(_("the key {key} is missing."), key=missing[0])
            used.update(names[:4 if with_bias else 2])
            w_ih = arrays[names[0]]
            if width is None:
                width = np.shape(w_ih)[1] if np.ndim(w_ih) == 2 else 0
            g = gates * units
            w = checked_float32(w_ih, (g, width), names[0])
            r = checked_float32(arrays[names[1]], (g, units), names[1])
            b_ih, b_hh = (checked_float32(arrays[n], (g,), n) for n in names[2:]) if with_bias else \
                (np.zeros(g, np.float32), np.zeros(g, np.float32))
            directions.append(keras_cell(cell, TORCH_ORDER[cell], w, r, b_ih, b_hh))
        out.append(RecurrentLayer(cell, units, directions[0], directions[1] if dirs == 2 else None, True,
                                  f"{module or cell}.l{k}"))
        width = units * dirs
    return module, out, used


def _linear(arrays: dict[str, np.ndarray], unused: set[str], width: int) -> tuple[str, np.ndarray, np.ndarray]:
    """The nn.Linear after the recurrent module: a `.weight` (outputs, width) with its `.bias` (outputs,)."""
    fits = [k for k in unused if k.endswith("weight") and np.ndim(arrays[k]) == 2 and arrays[k].shape[1] == width
            and k.removesuffix("weight") + "bias" in unused]
    if len(fits) != 1:
        raise _cannot(_("it needs one nn.Linear output layer: a key ending in weight of shape (outputs, {width}) "
                        "with its bias; {found}."), width=width,
                      found=_("none fits") if not fits else _("{keys} all fit").format(keys=_keys(fits)))
    bias_key = fits[0].removesuffix("weight") + "bias"
    outputs = arrays[fits[0]].shape[0]
    kernel = checked_float32(arrays[fits[0]], (outputs, width), fits[0]).T
    return fits[0], kernel, checked_float32(arrays[bias_key], (outputs,), bias_key)


def network(arrays: dict[str, np.ndarray]) -> Network:
    """A Network from a state_dict's arrays (name -> NumPy array)."""
    parameters = sum(int(np.size(a)) for a in arrays.values())
    if parameters > MAX_PARAMETERS:
        raise WeightsError(_("LSTM Lab cannot run this model: it has {parameters:,} parameters, more than "
                             "the {most:,} it accepts.").format(parameters=parameters, most=MAX_PARAMETERS))
    module, layers, used = _recurrent(arrays)
    unused = set(arrays) - used
    head_key, kernel, bias = _linear(arrays, unused, layers[-1].output_dim)
    unused -= {head_key, head_key.removesuffix("weight") + "bias"}
    reads = layers[0].input_dim
    tables = [k for k in unused if k.endswith("weight") and np.ndim(arrays[k]) == 2 and arrays[k].shape[1] == reads]
    if len(tables) > 1:
        raise _cannot(_("the keys {keys} could each be the embedding."), keys=_keys(tables))
    unused -= set(tables)
    if unused:
        raise _cannot(_("the file holds weights LSTM Lab does not know what to do with: {keys}. It reads an "
                        "nn.Embedding, one nn.LSTM, nn.GRU or nn.RNN and one nn.Linear."), keys=_keys(unused))
    if tables:
        embedding, form = checked_float32(arrays[tables[0]], arrays[tables[0]].shape, tables[0]), "embedding"
    else:  # the recurrent module reads the characters as vectors
        embedding, form = input_table(reads, bias.shape[0], layers[0].name)
    return Network(embedding, tuple(layers), logits_head(kernel, bias), module, form)


def from_safetensors_bytes(data: bytes) -> Network:
    """Read a state_dict saved with safetensors (the bytes of a `.safetensors` file)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        arrays = load(data)
    except (SafetensorError, ValueError, TypeError, OverflowError, KeyError) as exc:  # KeyError: bfloat16
        raise WeightsError(_("This .safetensors file is damaged or holds numbers NumPy cannot read ({error}).")
                           .format(error=exc)) from None
    return network(arrays)
