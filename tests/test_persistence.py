import io
import json
import zipfile

import numpy as np
import pytest

from lstm_core.storage.persistence import (DEFAULT_MODEL, ModelFileError, export_zip, import_zip, load_keras_model,
                                   load_model_folder)


def test_round_trip_keeps_weights_and_metadata(tiny_model_dir):
    loaded = load_model_folder(tiny_model_dir)
    assert loaded.spec.layers == 2 and loaded.spec.units == 12
    assert loaded.meta.corpus.name == "tiny"
    assert loaded.meta.format == "lstm-lab-model" and loaded.meta.created is not None
    keras_model = load_keras_model(tiny_model_dir)
    ids = loaded.vocab.ids("To be, or not")[None, :]
    from lstm_core.inference.engine import trace

    expected = keras_model.predict(ids, verbose=0)[0]
    assert np.allclose(trace(loaded.net, ids[0]).probs, expected, atol=1e-5)


def test_zip_export_import(tiny_model_dir, tmp_path):
    data = export_zip(tiny_model_dir)
    loaded = import_zip(data, tmp_path / "uploads")
    assert loaded.folder.parent == tmp_path / "uploads"
    assert loaded.vocab == load_model_folder(tiny_model_dir).vocab


def rezip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def model_entries(folder):
    return {name: (folder / name).read_bytes() for name in ("model.keras", "vocab.json", "meta.json")}


@pytest.mark.parametrize("mutate, words", [
    (lambda e: {"../evil/model.keras" if k == "model.keras" else k: v for k, v in e.items()}, "unsafe"),
    (lambda e: {("/abs/" + k): v for k, v in e.items()}, "unsafe"),
    (lambda e: {**e, "run.py": b"print(1)"}, "not part"),
    (lambda e: {k: v for k, v in e.items() if k != "vocab.json"}, "missing"),
    (lambda e: {**e, "vocab.json": b"{not json"}, "vocabulary|damaged"),
    (lambda e: {**e, "meta.json": b"[]"}, "damaged"),
    (lambda e: {**e, "meta.json": json.dumps({"format": "other"}).encode()}, "not an LSTM Lab"),
    (lambda e: {**e, "model.keras": b"garbage"}, "damaged|not"),
    (lambda e: {**e, "vocab.json": json.dumps({"kind": "char", "chars": list("abc")}).encode()}, "belong together"),
])
def test_bad_uploads_are_refused_clearly(tiny_model_dir, tmp_path, mutate, words):
    data = rezip(mutate(model_entries(tiny_model_dir)))
    with pytest.raises(ModelFileError, match=words):
        import_zip(data, tmp_path)
    # Nothing half-unpacked is left behind.
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_not_a_zip_and_zip_bomb(tmp_path, tiny_model_dir):
    with pytest.raises(ModelFileError, match="not a zip"):
        import_zip(b"\x00\x01binary", tmp_path)
    entries = model_entries(tiny_model_dir)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data if name != "meta.json" else b" " * (300 * 2**20))
    assert len(buf.getvalue()) < 2 * 2**20
    with pytest.raises(ModelFileError, match="zip bomb"):
        import_zip(buf.getvalue(), tmp_path)


def test_missing_folder_and_default_name():
    with pytest.raises(ModelFileError, match="No model folder"):
        load_model_folder("/nonexistent/model")
    assert DEFAULT_MODEL.name == "shakespeare-lstm"


def test_without_optimizer_the_file_holds_only_the_weights(tiny_model_dir, tmp_path):
    import h5py

    from lstm_core.storage.persistence import save_model_folder

    loaded = load_model_folder(tiny_model_dir)
    keras_model = load_keras_model(tiny_model_dir)
    folder = save_model_folder(tmp_path / "bare", keras_model, loaded.vocab, loaded.spec, {"label": "bare"},
                               include_optimizer=False)
    with zipfile.ZipFile(folder / "model.keras") as zf, h5py.File(io.BytesIO(zf.read("model.weights.h5"))) as h5:
        assert "optimizer" not in h5 or len(h5["optimizer"]) == 0
    again = load_model_folder(folder)
    ids = loaded.vocab.ids("To be")
    from lstm_core.inference.engine import trace

    assert np.array_equal(trace(again.net, ids).probs, trace(loaded.net, ids).probs)
