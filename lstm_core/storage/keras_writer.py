"""A Network written as a Keras 3 `.keras` file, without TensorFlow: how a model opened from ONNX or
safetensors gets the `model.keras` every model folder keeps, so that folders, their zips and the
published copies stay one format.

The file holds what Keras itself writes for a Sequential model (config.json, metadata.json and
model.weights.h5), with each layer's settings given explicitly where LSTM Lab's reader checks them
(keras_config) and left to Keras' defaults otherwise; Keras loads it like one of its own.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timezone

import h5py

from lstm_core.inference.netweights import Network

CLASS_OF_CELL = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
# The Keras version whose files LSTM Lab reads and writes (requirements.txt).
KERAS_VERSION = "3.15.1"


def _layer(cls: str, name: str, input_shape: list | None, **config) -> dict:
    entry = {"module": "keras.layers", "class_name": cls, "config": {"name": name, **config}, "registered_name": None}
    if input_shape is not None:
        entry["build_config"] = {"input_shape": input_shape}
    return entry


def keras_bytes(net: Network) -> bytes:
    """The `.keras` file of a network whose layers all read left to right (an imported character model)."""
    if net.bidirectional:
        raise ValueError("a bidirectional network is not written as a Sequential .keras file")
    layers, weights, counts = [], [], {}

    def name(base: str) -> str:
        # Keras' own naming of weight groups: lstm, lstm_1, ... (keras_file reads them by these names).
        counts[base] = counts.get(base, -1) + 1
        return base if counts[base] == 0 else f"{base}_{counts[base]}"

    if net.input_form == "embedding":
        shape = [None, None]
        layers.append(_layer("InputLayer", "input_layer", None, batch_shape=shape, dtype="int32"))
        layers.append(_layer("Embedding", name("embedding"), shape, input_dim=net.vocab_size,
                             output_dim=net.embed_dim, mask_zero=False))
        weights.append((f"layers/{layers[-1]['config']['name']}/vars", [net.embedding]))
    else:  # one-hot vectors or scaled ids: the model reads the input table's rows directly
        layers.append(_layer("InputLayer", "input_layer", None, batch_shape=[None, None, net.embed_dim],
                             dtype="float32"))
    width = net.embed_dim
    for layer in net.layers:
        cls = CLASS_OF_CELL[layer.cell]
        config = {"units": layer.units, "return_sequences": layer.return_sequences, "activation": "tanh",
                  "use_bias": True}
        if layer.cell != "rnn":
            config["recurrent_activation"] = "sigmoid"
        if layer.cell == "gru":
            config["reset_after"] = True
        layers.append(_layer(cls, name(cls.lower() if cls != "SimpleRNN" else "simple_rnn"), [None, None, width],
                             **config))
        group = f"layers/{layers[-1]['config']['name']}"
        weights += [(f"{group}/vars", []), (f"{group}/cell/vars", [layer.kernel, layer.recurrent_kernel, layer.bias])]
        width = layer.units
    activation = "linear" if net.head.from_logits else net.head.activation
    head_input = [None, None, width] if net.return_sequences else [None, width]
    layers.append(_layer("Dense", name("dense"), head_input, units=net.output_size, activation=activation,
                         use_bias=True))
    weights.append((f"layers/{layers[-1]['config']['name']}/vars", [net.head.kernel, net.head.bias]))

    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "imported", "trainable": True, "layers": layers},
              "build_config": {"input_shape": layers[0]["config"]["batch_shape"]}}
    h5 = io.BytesIO()
    with h5py.File(h5, "w") as f:
        f.create_group("vars")
        for path, arrays in weights:
            group = f.create_group(path)
            for k, array in enumerate(arrays):
                group.create_dataset(str(k), data=array)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": KERAS_VERSION, "date_saved": datetime.now(
            timezone.utc).strftime("%Y-%m-%d@%H:%M:%S")}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", h5.getvalue())
    return out.getvalue()
