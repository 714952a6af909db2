"""A recurrent network's weights as plain NumPy arrays: the types the engine, the pages and the readers share.

A `Network` is Embedding -> 1+ recurrent layers (LSTM, GRU or SimpleRNN, optionally bidirectional)
-> Dense head; it checks its shapes and numbers when made, whether it comes from a live Keras model
(keras_config), a `.keras` file (keras_file) or a test. Instead of an Embedding, the first recurrent
layer may read tokens as the textbooks feed them: one-hot vectors (input width = the number of
outputs) or one feature, the token's id divided by the number of outputs. Either is an input table
too (the identity matrix, or a column of scaled ids), so the engine reads every form the same way:
row `id` of `Network.embedding` is what the first layer reads for token `id`.

Weights are kept in Keras' layout (gate order i,f,g,o for LSTM; z,r,h for GRU) for display; the
engine rearranges its own copy when it first runs a network (engine.prepared).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from lstm_core.i18n import _
from lstm_core.inference.params import GATES

HEAD_ACTIVATIONS = ("softmax", "sigmoid")
# How the first recurrent layer reads a token (Network.input_form): through a trained Embedding, as a
# one-hot vector, or as one number, its id divided by the vocabulary size (the Macbeth chapter's form).
INPUT_FORMS = ("embedding", "one-hot", "scaled-id")
# The logit of an output the model does not have (as_char_model): exp() of it is 0 in float32, and
# its log stays finite for the pages' entropy and surprise.
NEVER_LOGIT = -1e4


class WeightsError(ValueError):
    """A model (object or file) that LSTM Lab cannot or will not run; the message names the reason."""


def checked_float32(array, shape: tuple[int, ...], what: str) -> np.ndarray:
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
        return CellWeights(checked_float32(self.kernel, (input_dim, width), _("{part} kernel").format(part=what)),
                           checked_float32(self.recurrent_kernel, (units, width),
                                           _("{part} recurrent kernel").format(part=what)),
                           checked_float32(self.bias, bias_shape, _("{part} bias").format(part=what)))


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
    # The model's own output layer stops at the logits (Dense with no activation, trained with
    # from_logits=True, or PyTorch's Linear); `activation` is what LSTM Lab applies to them.
    from_logits: bool = False

    def __post_init__(self):
        if self.activation not in HEAD_ACTIVATIONS:
            raise WeightsError(f"the output layer's activation must be softmax or sigmoid, not {self.activation!r}")


@dataclass(frozen=True, eq=False)
class Network:
    """Embedding -> recurrent layers -> Dense head, all float32 and read-only."""

    embedding: np.ndarray  # the input table: row `id` is what the first layer reads for token `id`
    layers: tuple[RecurrentLayer, ...]
    head: DenseHead
    name: str = ""
    input_form: str = "embedding"  # INPUT_FORMS; only an "embedding" table is a weight of the Keras model
    # The number of steps the model's input shape fixes (Input(shape=(maxlen,))): the length its texts were
    # padded to. None when it takes any length or does not say.
    input_length: int | None = None

    def __post_init__(self):
        layers = tuple(self.layers)
        if not layers:
            raise WeightsError(_("the model has no recurrent layer"))
        embedding = np.asarray(self.embedding)
        if embedding.ndim != 2 or 0 in embedding.shape:
            raise WeightsError(_("the embedding must be a (vocabulary, dimension) matrix, not {shape}")
                               .format(shape=embedding.shape))
        embedding = checked_float32(embedding, embedding.shape, _("the embedding"))
        checked, width = [], embedding.shape[1]
        for k, layer in enumerate(layers):
            name = repr(layer.name or k + 1)
            what = _("layer {name}").format(name=name)
            if k < len(layers) - 1 and not layer.return_sequences:
                raise WeightsError(_("{what} returns only its last step, but another recurrent layer follows it")
                                   .format(what=what))
            dirs = [d.checked(layer.cell, layer.units, width, layer_name(name, side) if layer.bidirectional else what)
                    for d, side in zip(layer.directions, ("forward", "backward"))]
            checked.append(RecurrentLayer(layer.cell, layer.units, dirs[0], dirs[1] if len(dirs) > 1 else None,
                                          layer.return_sequences, layer.name))
            width = checked[-1].output_dim
        kernel = np.asarray(self.head.kernel)
        outputs = kernel.shape[1] if kernel.ndim == 2 else -1
        head = replace(self.head, kernel=checked_float32(kernel, (width, outputs), _("the output layer's kernel")),
                       bias=checked_float32(self.head.bias, (outputs,), _("the output layer's bias")))
        if outputs < 1 or (head.activation == "softmax" and outputs < 2):
            raise WeightsError(_("the output layer has {outputs} unit(s), too few for {activation}")
                               .format(outputs=outputs, activation=head.activation))
        object.__setattr__(self, "embedding", embedding)
        object.__setattr__(self, "layers", tuple(checked))
        object.__setattr__(self, "head", head)

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


def layer_name(name: str, side: str | None) -> str:
    """How messages name a layer (its name already quoted), or one half of a Bidirectional layer."""
    if side == "forward":
        return _("layer {name} forward").format(name=name)
    if side == "backward":
        return _("layer {name} backward").format(name=name)
    return _("layer {name}").format(name=name)


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
    return Network(embedding, tuple(layers), replace(net.head, kernel=kernel, bias=bias), net.name, net.input_form,
                   net.input_length)


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
    return Network(table, tuple(layers), replace(net.head, kernel=kernel, bias=bias), net.name, net.input_form)
