"""Character models trained elsewhere: each input form (Embedding, one-hot, scaled id) and each
vocabulary form opens, and the engine equals Keras on it; what does not fit is said in one message."""

import json
import subprocess
import sys

import numpy as np
import pytest

from lstm_core.data.vocab_forms import read_vocabulary
from lstm_core.inference.engine import trace
from lstm_core.storage.keras_import import import_keras
from lstm_core.storage.persistence import ModelFileError, load_model_folder

TEXT = "to be, or not to be: that is the question.\nwhether 'tis nobler in the mind to suffer\n"
CHARS = sorted(set(TEXT))  # the textbooks' vocabulary: sorted(set(text)), ids from 0
V = len(CHARS)


@pytest.fixture(scope="module")
def keras():
    from lstm_core.training.tf_runtime import keras as k
    return k()


def build(keras, form: str, cell: str = "LSTM", outputs: int = V, many_to_one: bool = False, activation=True):
    k = keras
    layer = getattr(k.layers, cell)
    k.utils.set_random_seed(4)
    if form == "embedding":
        body = [k.Input((None,)), k.layers.Embedding(outputs, 6)]
    elif form == "one-hot":
        body = [k.Input((None, outputs))]
    else:  # scaled id, the Macbeth chapter's form
        body = [k.Input((None, 1))]
    body += [layer(10, return_sequences=True), k.layers.Dropout(0.2), layer(9, return_sequences=not many_to_one)]
    if activation:  # the textbooks' head: Dense then Activation('softmax')
        body += [k.layers.Dense(outputs), k.layers.Activation("softmax")]
    else:
        body += [k.layers.Dense(outputs, activation="softmax")]
    model = k.Sequential(body)
    # Weights away from their initial values, so a mistaken order would show.
    model.set_weights([w + np.random.default_rng(1).normal(0, 0.3, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def keras_input(form: str, ids: np.ndarray, outputs: int = V) -> np.ndarray:
    if form == "embedding":
        return ids[None, :]
    if form == "one-hot":
        return np.eye(outputs, dtype=np.float32)[ids][None]
    return (ids.astype(np.float32) / outputs)[None, :, None]


def saved(model, tmp_path) -> bytes:
    path = tmp_path / "model.keras"
    model.save(path)
    return path.read_bytes()


VOCABS = {
    "list": lambda: json.dumps(CHARS).encode(),
    "char_indices": lambda: json.dumps({c: i for i, c in enumerate(CHARS)}).encode(),
    "indices_char": lambda: json.dumps({str(i): c for i, c in enumerate(CHARS)}).encode(),
    "text": lambda: TEXT.encode(),
}


@pytest.mark.parametrize("form,cell,many_to_one,vocab_form", [
    ("embedding", "LSTM", False, "list"),
    ("one-hot", "LSTM", True, "char_indices"),  # the textbook's Shakespeare generator
    ("scaled-id", "LSTM", True, "text"),  # the Macbeth chapter
    ("one-hot", "GRU", False, "indices_char"),
    ("embedding", "SimpleRNN", True, "text"),
])
def test_each_input_form_opens_and_equals_keras(keras, tmp_path, form, cell, many_to_one, vocab_form):
    model = build(keras, form, cell, many_to_one=many_to_one, activation=form != "embedding")
    loaded = import_keras(saved(model, tmp_path), VOCABS[vocab_form](), tmp_path / "uploads",
                          model_name="shakespeare.keras", vocab_name="vocab")
    assert loaded.net.input_form == form and loaded.meta.imported.vocabulary == vocab_form
    assert [loaded.vocab.char_of(i) for i in range(1, loaded.vocab.size)] == CHARS
    text = "whether to be the question"
    ours = loaded.vocab.encode(text).ids
    theirs = np.array([CHARS.index(c) for c in text])
    probs = trace(loaded.net, ours).probs
    assert probs[:, 0].max() < 1e-30  # the model has no unknown slot: LSTM Lab never predicts one
    for end in (len(text) // 2, len(text)):  # a window ending there, as Keras reads it
        expected = model.predict(keras_input(form, theirs[:end]), verbose=0)[0]
        expected = expected[-1] if expected.ndim == 2 else expected
        np.testing.assert_allclose(probs[end - 1, 1:], expected, atol=1e-5)
    # The folder reads back as any model folder.
    again = load_model_folder(loaded.folder)
    np.testing.assert_array_equal(trace(again.net, ours).probs, probs)


def test_a_model_that_outputs_logits_opens_and_its_card_says_so(keras, tmp_path):
    from ui.models import describe

    k = keras
    k.utils.set_random_seed(6)
    model = k.Sequential([k.Input((None,)), k.layers.Embedding(V, 6), k.layers.LSTM(8, return_sequences=True),
                          k.layers.Dense(V)])  # trained with from_logits=True: no softmax in the model
    loaded = import_keras(saved(model, tmp_path), VOCABS["list"](), tmp_path / "uploads")
    text = "to be or not"
    logits = model.predict(np.array([[CHARS.index(c) for c in text]]), verbose=0)[0].astype(np.float64)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(trace(loaded.net, loaded.vocab.encode(text).ids).probs[:, 1:],
                               expected / expected.sum(axis=1, keepdims=True), atol=1e-5)
    assert "softmax" in describe(loaded)["Output"]
    assert "Output" not in describe(import_keras(saved(build(keras, "embedding"), tmp_path), VOCABS["list"](),
                                                 tmp_path / "uploads"))


def test_a_tokenizer_json_with_its_padding_id_and_an_oov_token(keras, tmp_path):
    # Keras' Tokenizer(char_level=True, oov_token="<OOV>").to_json(): id 0 is padding, 1 the OOV token.
    index = {"<OOV>": 1, **{c: i + 2 for i, c in enumerate(CHARS)}}
    tokenizer = {"class_name": "Tokenizer", "config": {
        "num_words": None, "char_level": True, "oov_token": "<OOV>", "lower": True,
        "word_index": json.dumps(index), "index_word": json.dumps({str(v): k for k, v in index.items()})}}
    model = build(keras, "embedding", outputs=V + 2)
    loaded = import_keras(saved(model, tmp_path), json.dumps(tokenizer).encode(), tmp_path)
    assert loaded.meta.imported.keras_ids[:2] == (1, 2)  # LSTM Lab's unknown is the model's OOV id
    ids = loaded.vocab.encode("to be§").ids  # "§" is unknown: the model's OOV id reads it
    theirs = np.array([2 + CHARS.index(c) for c in "to be"] + [1])
    expected = model.predict(theirs[None], verbose=0)[0]
    probs = trace(loaded.net, ids).probs
    # The padding id is no character: its probability is dropped and the rest renormalised.
    kept = expected[:, 1:] / expected[:, 1:].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, kept, atol=1e-5)


def test_one_token_per_line_with_unk_and_mask(tmp_path):
    lines = ["", "[UNK]"] + [c for c in CHARS if c != "\n"]
    found = read_vocabulary("\n".join(lines).encode() + b"\n", len(lines))
    assert found.form == "lines" and found.unknown_id == 1 and found.tokens[0] is None
    assert found.chars == [c for c in CHARS if c != "\n"]


def test_what_does_not_fit_is_said_once_in_plain_words(keras, tmp_path):
    model = saved(build(keras, "embedding"), tmp_path)
    with pytest.raises(ModelFileError) as wrong_size:
        import_keras(model, json.dumps(CHARS + ["x", "y"]).encode(), tmp_path, vocab_name="vocab.json")
    assert f"has {V + 2} ids, but the model only {V}" in str(wrong_size.value)
    with pytest.raises(ModelFileError) as empty:
        import_keras(b"", b"", tmp_path, model_name="m.keras", vocab_name="v.json")
    assert "m.keras is empty" in str(empty.value) and "v.json is empty" in str(empty.value)
    with pytest.raises(ModelFileError) as not_keras:
        import_keras(b"\x89HDF\r\n\x1a\n" + bytes(100), json.dumps(CHARS).encode(), tmp_path, model_name="my.h5")
    assert "my.h5" in str(not_keras.value) and "not a complete zip archive" in str(not_keras.value)
    with pytest.raises(ModelFileError) as words:
        import_keras(model, json.dumps(["the", "cat"] + CHARS[2:]).encode(), tmp_path)
    assert "word-level" in str(words.value)
    assert not list(tmp_path.glob("upload-*")) and not list(tmp_path.glob(".incoming-*"))


def test_an_unsupported_layer_is_named(keras, tmp_path):
    k = keras
    model = k.Sequential([k.Input((None, V)), k.layers.Conv1D(4, 3), k.layers.LSTM(5), k.layers.Dense(V, "softmax")])
    with pytest.raises(ModelFileError) as exc:
        import_keras(saved(model, tmp_path), json.dumps(CHARS).encode(), tmp_path)
    assert "Conv1D" in str(exc.value) and "Traceback" not in str(exc.value)


def test_a_classifier_is_not_a_character_model(keras, tmp_path):
    k = keras
    model = k.Sequential([k.Input((None,)), k.layers.Embedding(V, 4), k.layers.LSTM(5), k.layers.Dense(1, "sigmoid")])
    with pytest.raises(ModelFileError) as exc:
        import_keras(saved(model, tmp_path), json.dumps(CHARS).encode(), tmp_path)
    assert "classifies whole texts" in str(exc.value)


def test_the_command_line_opens_a_keras_file_with_its_vocabulary(keras, tmp_path):
    model = build(keras, "one-hot", many_to_one=True)
    model.save(tmp_path / "textbook.keras")
    (tmp_path / "chars.json").write_text(json.dumps({c: i for i, c in enumerate(CHARS)}))
    run = subprocess.run([sys.executable, "-m", "lstm_core", "sample", str(tmp_path / "textbook.keras"), "--vocab",
                          str(tmp_path / "chars.json"), "--prime", "to be", "--length", "30", "--seed", "1",
                          "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert len(out["text"]) == 30 and set(out["text"]) <= set(CHARS)
    alone = subprocess.run([sys.executable, "-m", "lstm_core", "sample", str(tmp_path / "textbook.keras")],
                           capture_output=True, text=True, timeout=120)
    assert alone.returncode == 2 and "--vocab" in alone.stderr and "Traceback" not in alone.stderr
