"""The sentiment classifier's shape, and building it in Keras (training side only).

Many-to-one, as in the textbooks: Embedding -> recurrent layer(s) -> Dense(1, sigmoid). Only the
last recurrent layer's final state reaches the output. The layers are ones the NumPy engine reads
(keras_config), so a trained classifier is looked at and scored without TensorFlow.

Padding: training batches hold reviews of exactly the same length (see training.py), so nothing is
padded and no mask is needed; the model computes on a review exactly what the engine computes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from lstm_core.i18n import N_
from lstm_core.said import Explained

ARCHS: dict[str, str] = {
    "lstm": "LSTM",
    "gru": "GRU",
    "rnn": "SimpleRNN",
    "lstm2": N_("Stacked LSTM (2 layers)"),
    "bilstm": N_("Bidirectional LSTM"),
}
CELL_OF_ARCH = {"lstm": "lstm", "gru": "gru", "rnn": "rnn", "lstm2": "lstm", "bilstm": "lstm"}
MAX_UNITS = 256
MAX_EMBED = 256


class SentimentSpecError(Explained):
    """Settings that do not describe a classifier we can build."""


@dataclass(frozen=True)
class SentimentSpec:
    vocab_size: int
    arch: str = "lstm"
    units: int = 64
    embed_dim: int = 32
    dropout: float = 0.3

    def __post_init__(self):
        if self.arch not in ARCHS:
            raise SentimentSpecError(N_("architecture must be one of {archs}, not {arch!r}"),
                                     archs=", ".join(ARCHS), arch=self.arch)
        for name, value, low, high in (("units", self.units, 1, MAX_UNITS), ("embed_dim", self.embed_dim, 1, MAX_EMBED),
                                       ("vocab_size", self.vocab_size, 3, 200_000)):
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise SentimentSpecError(N_("{name} must be a whole number from {low} to {high}, not {value!r}"),
                                         name=name, low=low, high=high, value=value)
        if not isinstance(self.dropout, (int, float)) or not 0.0 <= float(self.dropout) < 1.0:
            raise SentimentSpecError(N_("dropout must be at least 0 and below 1, not {value!r}"), value=self.dropout)

    @property
    def arch_name(self) -> str:
        """The architecture's English name (stored in model labels); `_()` it where it is shown."""
        return ARCHS[self.arch]

    @property
    def cell(self) -> str:
        return CELL_OF_ARCH[self.arch]

    @property
    def layers(self) -> int:
        return 2 if self.arch == "lstm2" else 1

    @property
    def bidirectional(self) -> bool:
        return self.arch == "bilstm"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SentimentSpec:
        if not isinstance(data, dict):
            raise SentimentSpecError(N_("the model description is not a JSON object"))
        known = {k: data[k] for k in ("vocab_size", "arch", "units", "embed_dim", "dropout") if k in data}
        try:
            return cls(**known)
        except TypeError as exc:
            raise SentimentSpecError(N_("incomplete model description: {problem}"), problem=exc) from None


def parameter_count(spec: SentimentSpec) -> int:
    """Trainable parameters: embedding, recurrent layer(s), output (matches Keras)."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[spec.cell]
    n = spec.units

    def layer(m: int) -> int:
        extra = 2 * gates * n if spec.cell == "gru" else gates * n  # GRU reset_after: two biases
        return gates * (m + n) * n + extra

    total = spec.vocab_size * spec.embed_dim
    if spec.bidirectional:
        total += 2 * layer(spec.embed_dim)
        width = 2 * n
    else:
        total += layer(spec.embed_dim)
        width = n
        if spec.layers == 2:
            total += layer(n)
    return total + width + 1


def build_classifier(spec: SentimentSpec, seed: int | None = None, embedding_init=None):
    """The Keras model (uncompiled). `embedding_init` (vocab_size, embed_dim) sets the starting embedding."""
    from lstm_core.training.tf_runtime import keras

    k = keras()
    if seed is not None:
        k.utils.set_random_seed(seed)
    inputs = k.Input(shape=(None,), dtype="int32", name="words")
    x = k.layers.Embedding(spec.vocab_size, spec.embed_dim, name="embedding")(inputs)
    cls = {"lstm": k.layers.LSTM, "gru": k.layers.GRU, "rnn": k.layers.SimpleRNN}[spec.cell]
    if spec.bidirectional:
        x = k.layers.Bidirectional(cls(spec.units, name=f"{spec.cell}_1"), name="bidirectional")(x)
    else:
        for i in range(spec.layers):
            last = i == spec.layers - 1
            x = cls(spec.units, return_sequences=not last, name=f"{spec.cell}_{i + 1}")(x)
    if spec.dropout > 0:
        x = k.layers.Dropout(spec.dropout, name="dropout_final")(x)
    outputs = k.layers.Dense(1, activation="sigmoid", name="positive")(x)
    model = k.Model(inputs, outputs, name=f"sentiment_{spec.arch}")
    if embedding_init is not None:
        layer = model.get_layer("embedding")
        layer.set_weights([embedding_init.astype("float32")])
    return model
