"""Sentiment's Open a model (sidebar): the textbook's Keras classifier with its vocabulary reads a typed review
with every view the built-in classifier has; what does not fit is said and the classifier in use stays."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test
from ui.literal import literal

PAGE = "pages/sentiment.py"
WORDS = "the movie was not good at all this film is great bad awful i loved it".split()
RANK = {w: i + 1 for i, w in enumerate(WORDS)}  # Keras' IMDB word index: rank from 1
MAXLEN = 12


@pytest.fixture(scope="module")
def keras():
    from lstm_core.training.tf_runtime import keras as k
    return k()


def saved(model, tmp_path_factory, name: str) -> bytes:
    path = tmp_path_factory.mktemp("opened") / name
    model.save(path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def textbook(keras, tmp_path_factory):
    """Embedding -> Bidirectional(LSTM) -> Dense(1, sigmoid) on IMDB ids padded to MAXLEN."""
    k = keras
    k.utils.set_random_seed(5)
    model = k.Sequential([k.Input((MAXLEN,), dtype="int32"), k.layers.Embedding(len(WORDS) + 4, 4),
                          k.layers.Bidirectional(k.layers.LSTM(6)), k.layers.Dense(1, activation="sigmoid")])
    model.set_weights([w + np.random.default_rng(2).normal(0, 0.5, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model, saved(model, tmp_path_factory, "imdb_bilstm.keras")


def on_sentiment(ws: str | None = None) -> AppTest:
    at = app_test()
    if ws is not None:  # a tab reconnecting to its workspace, as after a server restart
        at.query_params["ws"] = ws
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def drop(at: AppTest, files) -> None:
    at.sidebar.file_uploader(key="sent_open_upload").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]


def card_probability(at: AppTest) -> float:
    card = next(h.proto.body for h in at.get("html") if 'class="sentiment-card"' in h.proto.body)
    return float(re.search(r"probability of positive (\d\.\d\d)", card).group(1))


def test_the_textbook_classifier_reads_a_review_in_every_view(keras, textbook):
    model, data = textbook
    at = on_sentiment()
    drop(at, [("imdb_bilstm.keras", data, "application/octet-stream"),
              ("imdb_word_index.json", json.dumps(RANK).encode(), "application/json")])
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "such as Keras' IMDB one" in captions and f"maxlen {MAXLEN}: the model's input shape" in captions
    assert at.sidebar.number_input(key="sent_open_index_from").value == 3
    assert at.sidebar.segmented_control(key="sent_open_padding").value == "pre"
    at.sidebar.button(key="sent_open_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["sent_model"].startswith("opened:")
    assert "Opened" in at.sidebar.success[0].value

    at.text_input(key="sent_text").input("I loved this film, it is great").run()
    assert not at.exception, [e.value for e in at.exception]
    ids = [1] + [RANK[w] + 3 for w in "i loved this film it is great".split()]
    expected = model.predict(keras.utils.pad_sequences([ids], maxlen=MAXLEN), verbose=0)[0, 0]
    assert abs(card_probability(at) - expected) <= 0.005 + 1e-6
    assert any("VADER" in h.proto.body for h in at.get("html"))
    assert any("padded to 12 ids" in c.value for c in at.caption)
    at.segmented_control(key="sent_view").set_value("Word importance").run()
    assert not at.exception, [e.value for e in at.exception]
    at.segmented_control(key="sent_view").set_value("Gates").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("left-to-right half" in c.value for c in at.caption)
    at.segmented_control(key="sent_direction").set_value("Right to left").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("right-to-left half" in c.value for c in at.caption)
    assert any("5 ids that are not words" in c.value for c in at.caption)  # the start mark and 4 zeros
    at.session_state["sent_tab"] = "How good is it?"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("padding=\"pre\"" in m.value for m in at.markdown)
    # After a server restart the tab has it back, still chosen.
    opened = at.session_state["sent_model"]
    again = on_sentiment(at.session_state["workspace_id"])
    assert again.session_state["sent_model"] == opened
    assert again.session_state["sent_models"][opened].label == at.session_state["sent_models"][opened].label


def test_what_does_not_fit_is_said_and_the_classifier_in_use_stays(keras, textbook, tmp_path_factory):
    _model, data = textbook
    at = on_sentiment()
    before = at.session_state["sent_model"]
    # A Tokenizer whose ids go beyond the Embedding's rows.
    index = {f"w{i}": i + 1 for i in range(40)}
    tokenizer = json.dumps({"class_name": "Tokenizer", "config": {
        "num_words": None, "char_level": False, "oov_token": None, "word_index": json.dumps(index)}}).encode()
    drop(at, [("imdb_bilstm.keras", data, "application/octet-stream"), ("tok.json", tokenizer, "application/json")])
    at.sidebar.button(key="sent_open_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert literal("num_words=20") in at.sidebar.error[0].value and at.session_state["sent_model"] == before
    # A character model is no classifier.
    k = keras
    chars = k.Sequential([k.Input((None,)), k.layers.Embedding(20, 4), k.layers.LSTM(5),
                          k.layers.Dense(20, activation="softmax")])
    drop(at, [("chars.keras", saved(chars, tmp_path_factory, "chars.keras"), "application/octet-stream"),
              ("tok.json", tokenizer, "application/json")])
    assert literal("Dense(1, activation=\"sigmoid\")") in at.sidebar.error[0].value
    assert at.session_state["sent_model"] == before and not [b for b in at.sidebar.button if b.key == "sent_open_button"]
    # Only half a pair.
    drop(at, [("imdb_bilstm.keras", data, "application/octet-stream")])
    assert "needs its vocabulary" in at.sidebar.error[0].value
