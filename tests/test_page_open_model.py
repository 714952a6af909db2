"""A model trained elsewhere, opened in the sidebar (a .keras file and its vocabulary, or a zip of the
two), is the active model on every page; what does not fit is said and the active model stays."""

import io
import json
import zipfile

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test

TEXT = "When shall we three meet again\nIn thunder, lightning, or in rain?\n"
CHARS = sorted(set(TEXT))


@pytest.fixture(scope="module")
def textbook_model(tmp_path_factory) -> bytes:
    """The textbook's form: one-hot windows into an LSTM that returns its last step, Dense + Activation."""
    from lstm_core.training.tf_runtime import keras

    k = keras()
    k.utils.set_random_seed(2)
    model = k.Sequential([k.Input((None, len(CHARS))), k.layers.LSTM(16), k.layers.Dense(len(CHARS)),
                          k.layers.Activation("softmax")])
    model.set_weights([w + np.random.default_rng(0).normal(0, 0.3, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    path = tmp_path_factory.mktemp("textbook") / "macbeth.keras"
    model.save(path)
    return path.read_bytes()


def session() -> AppTest:
    at = app_test()
    at.run()
    assert not at.exception
    return at


def upload(at: AppTest, files) -> None:
    at.sidebar.file_uploader(key="model_upload").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]


def test_a_keras_file_and_its_char_indices_open_on_every_page(textbook_model):
    at = session()
    char_indices = json.dumps({c: i for i, c in enumerate(CHARS)}).encode()
    upload(at, [("macbeth.keras", textbook_model, "application/octet-stream"),
                ("char_indices.json", char_indices, "application/json")])
    active = at.session_state["active_model"]
    assert active.startswith("upload:")
    facts = " ".join(m.value for m in at.sidebar.markdown)
    assert "LSTM(16), one-hot input" in facts and f"{4 * 16 * (len(CHARS) + 16 + 1) + 17 * len(CHARS):,}" in facts
    for page in ("pages/gates.py", "pages/sample.py", "pages/anatomy.py", "pages/train.py", "pages/home.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.session_state["active_model"] == active
    at.switch_page("pages/sample.py")
    at.run()
    written = at.session_state["sample_result"].generation.text
    assert written and set(written) <= set(CHARS)


def test_a_zip_of_the_two_files_opens_too(textbook_model):
    at = session()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("export/macbeth.keras", textbook_model)
        zf.writestr("export/macbeth.txt", TEXT)  # the training text: sorted(set(text)) is its vocabulary
    upload(at, ("export.zip", buf.getvalue(), "application/zip"))
    assert at.session_state["active_model"].startswith("upload:")
    assert any("it is now the active model" in s.value for s in at.sidebar.success)


@pytest.mark.parametrize("files, words", [
    ([("macbeth.keras", None, "application/octet-stream")], "needs its vocabulary"),
    ([("my.h5", b"\x89HDF\r\n\x1a\n", "application/octet-stream")], "older HDF5 format"),
    ([("macbeth.keras", None, "application/octet-stream"), ("chars.json", b'["a", "b"]', "application/json")],
     "names 2 characters, but the model has"),
])
def test_what_does_not_fit_is_said_and_the_active_model_stays(textbook_model, files, words):
    at = session()
    before = at.session_state["active_model"]
    upload(at, [(name, textbook_model if data is None else data, mime) for name, data, mime in files])
    errors = [e.value.replace("\\", "") for e in at.sidebar.error]  # what the files say is Markdown-escaped
    assert len(errors) == 1 and "That model could not be used." in errors[0] and words in errors[0], errors
    assert "cannot be opened here" not in errors[0]  # said once, not in a second lead-in
    assert at.session_state["active_model"] == before


def drop(at: AppTest, name: str, data: bytes) -> None:
    """Drop one more file into the box, as a browser does: the files dropped before stay listed with their
    ids (AppTest's upload() on a fresh element would start from an empty box, set_value give new ids)."""
    box = at.sidebar.file_uploader(key="model_upload")
    box._files = box._get_files_to_register()
    box.upload(name, data).run()
    assert not at.exception, [e.value for e in at.exception]


def test_a_keras_file_then_its_vocabulary_opens_each_file_listed_once(textbook_model):
    at = session()
    drop(at, "macbeth.keras", textbook_model)
    said = [e.value.replace("\\", "") for e in at.sidebar.error]
    # What to do next is to drop the vocabulary alone: the .keras file dropped again would be listed twice.
    assert len(said) == 1 and "drop only the file that says which character each id is" in said[0], said
    drop(at, "chars.json", json.dumps(CHARS).encode())
    assert [f.name for f in at.session_state["model_upload"]] == ["macbeth.keras", "chars.json"]
    assert at.session_state["active_model"].startswith("upload:")
    assert not at.sidebar.error and any("it is now the active model" in s.value for s in at.sidebar.success)


def test_a_pytorch_state_dict_then_its_vocabulary_opens_and_its_card_says_it_gives_logits():
    from helpers_onnx import random_weights
    from safetensors.numpy import save
    from test_torch_state import state_dict

    at = session()
    drop(at, "charlm.safetensors", save(state_dict(random_weights("GRU", 1, len(CHARS), 4, 8))))
    assert "drop only the file" in " ".join(e.value.replace("\\", "") for e in at.sidebar.error)
    drop(at, "chars.json", json.dumps(CHARS).encode())
    assert at.session_state["active_model"].startswith("upload:") and not at.sidebar.error
    facts = " ".join(m.value for m in at.sidebar.markdown).replace("\\", "")  # file names are Markdown-escaped
    assert "GRU(8), embedding input" in facts and "logits" in facts and "charlm.safetensors" in facts
