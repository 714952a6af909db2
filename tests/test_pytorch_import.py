"""PyTorch character models opened like a .keras file: an ONNX graph or a safetensors state_dict with its
vocabulary becomes a model folder (its weights written as the .keras file they equal), from an upload or
the command line, and gives the probabilities onnxruntime computes; Keras loads the folder's model.keras."""

import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from helpers_onnx import graph, random_weights, run, softmax
from safetensors.numpy import save
from test_torch_state import state_dict

from lstm_core.inference.engine import trace
from lstm_core.storage.keras_import import import_keras, open_uploaded
from lstm_core.storage.model_folder import MODEL_FILE
from lstm_core.storage.persistence import ModelFileError, load_model_folder

CHARS = list("ab cde.")
V, E, H = len(CHARS), 5, 6
TEXT = "a bad cab. a dead bee"
VOCAB = json.dumps(CHARS).encode()


def files(form: str, op: str = "LSTM", layers: int = 2, dirs: int = 1, embedded: bool = True
          ) -> tuple[str, bytes, np.ndarray]:
    """A model file of `form` and the probabilities onnxruntime gives for TEXT from the same weights."""
    w = random_weights(op, layers, V, E if embedded else None, H, dirs=dirs, seed=layers)
    model = graph(w, head="softmax" if form == "onnx" else "logits", input_form="gather" if embedded else "float")
    ids = np.array([CHARS.index(c) for c in TEXT])
    out = run(model, ids if embedded else np.eye(V, dtype=np.float32)[ids])
    data = model.SerializeToString() if form == "onnx" else save(state_dict(w))
    return f"charlm.{form}", data, out if form == "onnx" else softmax(out)


@pytest.mark.parametrize("form,op,embedded", [("onnx", "LSTM", True), ("safetensors", "GRU", True),
                                              ("onnx", "RNN", False), ("safetensors", "LSTM", False)])
def test_a_pytorch_model_opens_as_a_model_folder(form, op, embedded, tmp_path):
    name, data, expected = files(form, op, embedded=embedded)
    loaded = import_keras(data, VOCAB, tmp_path, model_name=name, vocab_name="chars.json")
    assert loaded.meta.imported.file == name and loaded.net.head.from_logits == (form == "safetensors")
    assert loaded.net.input_form == ("embedding" if embedded else "one-hot")
    ids = loaded.vocab.encode(TEXT).ids
    probs = trace(loaded.net, ids).probs
    np.testing.assert_allclose(probs[:, 1:], expected, atol=1e-5, rtol=0)
    assert probs[:, 0].max() < 1e-30  # no unknown slot in the model: never predicted
    assert (loaded.folder / MODEL_FILE).read_bytes()[:2] == b"PK"  # a .keras zip, like every folder's
    np.testing.assert_array_equal(trace(load_model_folder(loaded.folder).net, ids).probs, probs)


@pytest.mark.parametrize("embedded", [True, False])
def test_keras_loads_the_folder_of_an_opened_pytorch_model(embedded, tmp_path):
    from lstm_core.storage.persistence import load_keras_model

    name, data, expected = files("safetensors", "LSTM", embedded=embedded)
    loaded = import_keras(data, VOCAB, tmp_path, model_name=name)
    model = load_keras_model(loaded.folder)
    ids = np.array([CHARS.index(c) for c in TEXT])
    logits = model.predict(ids[None] if embedded else np.eye(V, dtype=np.float32)[ids][None], verbose=0)[0]
    np.testing.assert_allclose(softmax(logits), expected, atol=1e-5, rtol=0)


def test_an_upload_pairs_a_pytorch_model_with_its_vocabulary(tmp_path):
    name, data, expected = files("onnx")
    loaded = open_uploaded([("chars.json", VOCAB), (name, data)], tmp_path)
    assert loaded.meta.imported.vocabulary_file == "chars.json"
    both = io.BytesIO()
    with zipfile.ZipFile(both, "w") as zf:
        zf.writestr(name, data)
        zf.writestr("chars.json", VOCAB)
    again = open_uploaded([("model.zip", both.getvalue())], tmp_path)
    ids = again.vocab.encode(TEXT).ids
    np.testing.assert_allclose(trace(again.net, ids).probs[:, 1:], expected, atol=1e-5, rtol=0)
    with pytest.raises(ModelFileError, match="charlm.safetensors needs its vocabulary"):
        open_uploaded([("charlm.safetensors", files("safetensors")[1])], tmp_path)


def test_a_bidirectional_or_unreadable_model_is_refused_naming_the_file(tmp_path):
    _name, data, _expected = files("onnx", dirs=2)
    with pytest.raises(ModelFileError, match="bi.onnx has a bidirectional layer"):
        import_keras(data, VOCAB, tmp_path, model_name="bi.onnx")
    with pytest.raises(ModelFileError, match="broken.safetensors: This .safetensors file is damaged"):
        import_keras(b"\x00" * 20, VOCAB, tmp_path, model_name="broken.safetensors")


@pytest.mark.parametrize("command", [["sample", "--prime", "a b", "--length", "20", "--seed", "1"],
                                     ["gates", "--text", "a bad cab"], ["evaluate", "--text-file", "text.txt"]])
def test_the_command_line_opens_a_pytorch_model_with_its_vocabulary(command, tmp_path):
    name, data, _expected = files("safetensors")
    (tmp_path / name).write_bytes(data)
    (tmp_path / "chars.json").write_bytes(VOCAB)
    (tmp_path / "text.txt").write_text(TEXT)
    run = subprocess.run([sys.executable, "-m", "lstm_core", command[0], str(tmp_path / name), "--vocab",
                          str(tmp_path / "chars.json"),
                          *[str(tmp_path / a) if a.endswith(".txt") else a for a in command[1:]], "--json"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    json.loads(run.stdout)
