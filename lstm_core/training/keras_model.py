"""Building the character language model in Keras (training side only)."""

from __future__ import annotations

from lstm_core.training.precision import keras_policy
from lstm_core.spec import ModelSpec
from lstm_core.training.tf_runtime import keras

RNN_CLASSES = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}


def build_char_model(spec: ModelSpec, seed: int | None = None, precision: str = "float32"):
    """Embedding -> recurrent layers (every step returned) -> Dense softmax over the vocabulary.

    Many-to-many: the model predicts the next character at every position of a window, so one
    window of T characters gives T training targets instead of one.

    With `precision="bfloat16"` the layers compute in bfloat16 while their weights stay float32,
    so the weights of the two kinds of model are interchangeable; the float32 one is saved and
    compared with the NumPy engine.
    """
    k = keras()
    if seed is not None:
        k.utils.set_random_seed(seed)
    policy = keras_policy(precision)
    inputs = k.Input(shape=(None,), dtype="int32", name="chars")
    x = k.layers.Embedding(spec.vocab_size, spec.embed_dim, name="embedding", dtype=policy)(inputs)
    layer_class = getattr(k.layers, RNN_CLASSES[spec.cell])
    for i in range(spec.layers):
        x = layer_class(spec.units, return_sequences=True, dtype=policy, name=f"{spec.cell}_{i + 1}")(x)
        if spec.dropout > 0:
            # Dropout between layers only (not on the recurrent path), as in Zaremba et al. 2014.
            x = k.layers.Dropout(spec.dropout, name=f"dropout_{i + 1}", dtype=policy)(x)
    # The softmax and the loss stay in float32 whatever the layers before compute in.
    outputs = k.layers.Dense(spec.vocab_size, activation="softmax", name="next_char", dtype="float32")(x)
    return k.Model(inputs, outputs, name=f"char_{spec.cell}")
