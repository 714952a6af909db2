"""Scoring reviews in NumPy: equal to Keras within 1e-5 for every architecture, the trajectory, word
importance (occlusion), bad input, model folders and zips, and the command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from helpers_models import random_network  # noqa: E402

from lstm_core.inference.keras_config import from_keras_model  # noqa: E402
from lstm_core.sentiment import batch, scoring, store  # noqa: E402
from lstm_core.sentiment.model import ARCHS, SentimentSpec, build_classifier, parameter_count  # noqa: E402
from lstm_core.sentiment.tokens import PAD, UNK, WordVocab  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TOL = 1e-5
WORDS = ["the", "film", "was", "not", "good", "bad", "at", "all", "great", "boring", ".", "!", "n't", "is"]
VOCAB = WordVocab([PAD, UNK, *WORDS])


def keras_model(arch: str, seed: int = 0):
    spec = SentimentSpec(vocab_size=VOCAB.size, arch=arch, units=6, embed_dim=5, dropout=0.3)
    model = build_classifier(spec, seed=seed)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.6, w.shape).astype("float32") for w in model.get_weights()])
    return model, spec


def keras_prob(model, ids) -> float:
    return float(np.asarray(model(np.asarray(ids, dtype="int32")[None], training=False))[0, 0])


@pytest.fixture(scope="module", params=list(ARCHS))
def arch_model(request):
    model, spec = keras_model(request.param, seed=len(request.param))
    return request.param, model, spec, from_keras_model(model)


def test_parameter_count_matches_keras(arch_model):
    _, model, spec, _ = arch_model
    assert parameter_count(spec) == model.count_params()


def test_numpy_score_equals_keras(arch_model):
    arch, model, _, net = arch_model
    rng = np.random.default_rng(1)
    for length in (1, 2, 7, 19):
        ids = rng.integers(1, VOCAB.size, length)
        text = " ".join(VOCAB.word_of(i) for i in ids)
        verdict = scoring.score(net, VOCAB, text)
        assert verdict.reading.ids.tolist() == ids.tolist()
        assert abs(verdict.prob - keras_prob(model, ids)) < TOL
        # The trajectory: for every model, word t's point is the verdict on the review up to word t.
        for t in range(length):
            assert abs(verdict.trajectory[t] - keras_prob(model, ids[:t + 1])) < TOL, (arch, length, t)
        assert verdict.trajectory_kind == ("prefix" if arch == "bilstm" else "reading")


def test_batched_scoring_equals_keras(arch_model):
    _, model, _, net = arch_model
    rng = np.random.default_rng(2)
    sequences = [rng.integers(0, VOCAB.size, n) for n in (3, 5, 3, 1, 8, 5)]
    probs = batch.final_probs(net, sequences)
    expected = [keras_prob(model, s) for s in sequences]
    assert np.max(np.abs(probs - expected)) < TOL


def test_occlusion_equals_keras_without_each_word(arch_model):
    _, model, _, net = arch_model
    ids = np.array([2, 5, 6, 9, 3, 11])
    full = keras_prob(model, ids)
    importance = scoring.occlusion(net, ids)
    for t in range(len(ids)):
        assert abs(importance[t] - (full - keras_prob(model, np.delete(ids, t)))) < TOL
    one = scoring.occlusion(net, ids[:1])  # without its only word: the output for an empty review
    assert abs(one[0] - (keras_prob(model, ids[:1]) - batch.final_probs_same_length(net, np.zeros((1, 0), int))[0])) \
        < TOL


def test_without_each():
    assert batch.without_each(np.array([7, 8, 9])).tolist() == [[8, 9], [7, 9], [7, 8]]
    assert batch.without_each(np.array([], int)).shape == (0, 0)


def test_saved_folder_reads_the_same_without_and_with_keras(tmp_path):
    model, spec = keras_model("lstm", seed=3)
    folder = store.save_folder(tmp_path / "m", model, VOCAB, spec, {"label": "tiny"})
    loaded = store.load_folder(folder)
    ids = np.array([2, 3, 4, 5, 6])
    text = " ".join(VOCAB.word_of(i) for i in ids)
    assert abs(scoring.score(loaded.net, loaded.vocab, text).prob - keras_prob(model, ids)) < TOL
    again = store.load_keras_model(folder)  # safe mode
    assert abs(keras_prob(again, ids) - keras_prob(model, ids)) < TOL
    assert not any(name.startswith("optimizer") for name in _h5_names(folder / "model.keras"))


def _h5_names(path: Path) -> list[str]:
    import h5py

    with zipfile.ZipFile(path) as zf:
        h5 = h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r")
        return list(h5.keys())


# ---------------------------------------------------------------- bad input never raises

NET = random_network("lstm", units=6, vocab=VOCAB.size, embed=5, head="sigmoid", return_sequences=False, seed=4)
BINET = random_network("gru", units=4, vocab=VOCAB.size, embed=5, head="sigmoid", return_sequences=False, seed=5,
                       bidirectional=True)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gets_a_result(text):
    for net in (NET, BINET):
        verdict = scoring.score(net, VOCAB, text)
        assert verdict.status in (scoring.OK, scoring.EMPTY, scoring.UNKNOWN_ONLY)
        assert len(verdict.trajectory) == len(verdict.reading.tokens)
        if verdict.prob is not None:
            assert 0.0 <= verdict.prob <= 1.0 and np.isfinite(verdict.trajectory).all()
        json.dumps(verdict.to_dict())


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_text(text):
    verdict = scoring.score(NET, VOCAB, text)
    assert verdict.status == scoring.EMPTY and verdict.prob is None and verdict.label is None
    assert verdict.to_dict()["trajectory"] == []


def test_punctuation_and_emoji_only():
    verdict = scoring.score(NET, VOCAB, "!!! 😀😀 ...")
    assert verdict.prob is not None
    assert any("no words here" in n for n in verdict.reading.notes)


def test_unknown_words_and_other_languages():
    verdict = scoring.score(NET, VOCAB, "Ce film était vraiment très mauvais")
    assert any("never saw" in n or "English" in n for n in verdict.reading.notes)
    verdict = scoring.score(NET, VOCAB, "Это очень плохой фильм")
    assert verdict.status == scoring.UNKNOWN_ONLY and verdict.label is None
    # One note, not two that contradict each other: it knows none of the words, and why.
    [note] = verdict.reading.notes
    assert "knows none of these words" in note and "English reviews only" in note


def test_a_huge_paste_is_cut_with_a_message():
    text = "the film was good ! " * 25_000  # 500,000 characters
    verdict = scoring.score(NET, VOCAB, text)
    assert len(verdict.reading.tokens) == scoring.MAX_WORDS
    assert len(verdict.reading.text) == scoring.MAX_CHARS
    assert verdict.reading.truncated
    assert any("reads only its first 3,000 characters, and of those only the first 200 words" in n
               for n in verdict.reading.notes)
    few = scoring.read("good " * 300, VOCAB)  # 1,500 characters, 300 words
    assert len(few.tokens) == scoring.MAX_WORDS and few.notes == ("Your text has 300 words: the classifier reads only "
                                                                  "the first 200.",)


def test_turning_point():
    assert scoring.turning_point(np.array([0.6, 0.7, 0.2, 0.3])) == 2
    assert scoring.turning_point(np.array([0.2, 0.7, 0.6, 0.3])) == 3
    assert scoring.turning_point(np.array([0.6, 0.7])) is None


# ---------------------------------------------------------------- folders and zips


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    model, spec = keras_model("lstm", seed=6)
    folder = tmp_path_factory.mktemp("sent") / "tiny-sentiment"
    return store.save_folder(folder, model, VOCAB, spec, {"label": "tiny sentiment"})


def test_zip_round_trip_and_refusals(tiny_folder, tmp_path):
    data = store.export_zip(tiny_folder)
    loaded = store.import_zip(data, tmp_path / "uploads")
    assert loaded.label == "tiny sentiment" and loaded.folder.parent == tmp_path / "uploads"

    def zipped(entries: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name, content in entries.items():
                zf.writestr(name, content)
        return buf.getvalue()

    files = {n: (tiny_folder / n).read_bytes() for n in store.FOLDER_FILES}
    with pytest.raises(store.SentimentModelError, match="not a zip"):
        store.import_zip(b"hello", tmp_path)
    with pytest.raises(store.SentimentModelError, match="unsafe"):
        store.import_zip(zipped({"../model.keras": b"x", **files}), tmp_path)
    with pytest.raises(store.SentimentModelError, match="not part of"):
        store.import_zip(zipped({**files, "run.py": b"print(1)"}), tmp_path)
    with pytest.raises(store.SentimentModelError, match="missing"):
        store.import_zip(zipped({"model.keras": files["model.keras"]}), tmp_path)
    char_meta = json.loads(files["meta.json"])
    char_meta["kind"] = "char-lm"
    with pytest.raises(store.SentimentModelError, match="not a sentiment"):
        store.import_zip(zipped({**files, "meta.json": json.dumps(char_meta).encode()}), tmp_path)
    with pytest.raises(store.SentimentModelError, match="damaged"):
        store.import_zip(zipped({**files, "meta.json": b"{not json"}), tmp_path)
    other_vocab = WordVocab([PAD, UNK, "only", "three"]).to_json().encode()
    with pytest.raises(store.SentimentModelError, match="do not belong together"):
        store.import_zip(zipped({**files, "vocab.json": other_vocab}), tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".incoming")] == []


def test_a_character_model_folder_is_refused(tiny_model_dir):
    with pytest.raises(store.SentimentModelError, match="not a sentiment classifier"):
        store.load_folder(tiny_model_dir)


def test_missing_folder_messages(tmp_path):
    with pytest.raises(store.SentimentModelError, match="No model folder"):
        store.load_folder(tmp_path / "nothing")


# ---------------------------------------------------------------- command line


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lstm_core", "sentiment", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def test_cli_text_json(tiny_folder):
    out = _cli(str(tiny_folder), "--text", "the film was not good", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["label"] in ("positive", "negative")
    assert 0 <= result["probability_positive"] <= 1
    assert [s["word"] for s in result["trajectory"]] == ["the", "film", "was", "not", "good"]
    assert abs(result["trajectory"][-1]["p_positive"] - result["probability_positive"]) < 1e-5


def test_cli_file_prints_one_json_object_per_line(tiny_folder, tmp_path):
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("great film !\n\n" + "Это фильм\n" + "x" * 100_000 + "\n", encoding="utf-8")
    out = _cli(str(tiny_folder), "--file", str(reviews), "--vader")
    # Lines 2 and 3 give no verdict: the exit code says so, and stderr which lines and why.
    assert out.returncode == 1 and "line 2:" in out.stderr and "line 3:" in out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[0]["status"] == "ok" and "vader_compound" in lines[0]
    assert lines[1]["status"] == "empty" and lines[1]["label"] is None
    assert lines[2]["status"] == "unknown-only"
    assert lines[3]["truncated"] is True


def test_cli_plain_text_and_errors(tiny_folder, tmp_path):
    out = _cli(str(tiny_folder), "--text", "great")
    assert out.returncode == 0 and "probability of positive" in out.stdout
    out = _cli(str(tmp_path / "missing"), "--text", "great")
    assert out.returncode == 2 and "No model folder" in out.stderr
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    out = _cli(str(tiny_folder), "--file", str(bad))
    assert out.returncode == 2 and "not UTF-8" in out.stderr


def test_scoring_never_imports_tensorflow(tiny_folder):
    code = ("import sys; from lstm_core.sentiment import store, scoring; "
            f"m = store.load_folder({str(tiny_folder)!r}); v = scoring.score(m.net, m.vocab, 'not good'); "
            "scoring.occlusion(m.net, v.reading.ids); print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.skipif(not (store.DEFAULT_MODEL / "model.keras").is_file(), reason="the pretrained model is missing")
def test_cli_default_model():
    out = _cli("default", "--text", "A wonderful, moving film.", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["label"] == "positive"
