"""The Sentiment page under Streamlit's AppTest: classify as you type, the three views for every
architecture, bad input, the accuracy tab, and the retrain tab with a finished (tiny) training job.

Models are hand-built NumPy networks (no TensorFlow) except in the retrain test. The page is run
from its own file; once app.py lists it, one test also opens it through the app's navigation."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test
from helpers_models import random_network
from ui.literal import literal
from lstm_core.sentiment.model import SentimentSpec
from lstm_core.sentiment.meta import SentimentMeta
from lstm_core.sentiment.store import SentimentModel
from lstm_core.storage.json_record import from_json
from lstm_core.sentiment.tokens import PAD, UNK, WordVocab

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/sentiment.py"
WORDS = ["this", "movie", "was", "not", "good", "at", "all", ".", "great", "awful", "the", "plot", "but", "acting",
         "is", "superb", ",", "a", "film", "i", "loved", "it", "oh", "another", "two", "hours"]
VOCAB = WordVocab([PAD, UNK, *WORDS])
HOSTILE = "<img src=x onerror=alert(1)> <script>alert(2)</script> \"quoted\" not good"
TEST_META = {"test": {"split": "test", "n": {"movies": 100, "tweets": 50, "all": 150},
                      "accuracy": {"movies": 0.8, "tweets": 0.9, "all": 0.83},
                      "vader_accuracy": {"movies": 0.67, "tweets": 0.97, "all": 0.77},
                      "confusion": [[60, 15], [10, 65]], "positive_rate": {"movies": 0.5, "tweets": 0.6, "all": 0.53}},
             "margin": 0.5, "train": {"epochs_done": 3}}


def entry(key: str = "m", arch: str = "lstm", meta: dict | None = None) -> SentimentModel:
    """A random classifier of the given architecture over VOCAB (NumPy only)."""
    cell = {"lstm": "lstm", "gru": "gru", "rnn": "rnn", "lstm2": "lstm", "bilstm": "lstm"}[arch]
    net = random_network(cell, layers=2 if arch == "lstm2" else 1, units=10, vocab=VOCAB.size, embed=6,
                         head="sigmoid", return_sequences=False, bidirectional=arch == "bilstm", seed=len(key))
    spec = SentimentSpec(vocab_size=VOCAB.size, arch=arch, units=10, embed_dim=6)
    meta = from_json(SentimentMeta, {"label": f"test {arch}", **(TEST_META if meta is None else meta),
                                     "spec": spec.to_dict()})
    model = SentimentModel(Path(f"/nonexistent/{key}"), net, VOCAB, spec, meta)
    return model


def open_page(models: dict | None = None, tab: str | None = None, text: str | None = None) -> AppTest:
    at = app_test(PAGE)
    if models is not None:
        at.session_state["sent_models"] = models
    if tab:
        at.session_state["sent_tab"] = tab
    if text is not None:
        at.session_state["sent_text"] = text
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def registry(*archs: str) -> dict:
    """A classifier list for the page's session, one random model per architecture."""
    out = {}
    for arch in archs:
        out[arch] = _Entry(arch, "trained here", entry(arch, arch))
    return out


class _Entry:
    """Duck-typed stand-in for the page's Entry (key, source, model, label)."""

    def __init__(self, key, source, model):
        self.key, self.source, self.model = key, source, model

    @property
    def label(self) -> str:
        return f"{self.model.label} ({self.source})"


def bodies(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html")]


def visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def cards(at: AppTest) -> list[str]:
    return [visible(b) for b in bodies(at) if 'class="sentiment-card"' in b]


def test_opens_on_the_negation_example_with_both_verdicts():
    at = open_page(registry("lstm"))
    assert at.title[0].value == "Sentiment"
    assert at.text_input(key="sent_text").value == "This movie was not good at all."
    lstm, vader = cards(at)
    assert "LSTM" in lstm and ("positive" in lstm or "negative" in lstm)
    assert "VADER" in vader and "negative" in vader  # VADER: compound -0.34
    assert len(at.get("plotly_chart")) == 1  # the trajectory


def test_typing_reclassifies_and_examples_fill_the_box():
    at = open_page(registry("lstm"))
    at.text_input(key="sent_text").input("i loved it , a great film").run()
    assert not at.exception
    assert "positive" in cards(at)[1]  # VADER
    at.pills(key="sent_example").set_value("Sarcastic").run()
    assert at.text_input(key="sent_text").value.startswith("Oh great, another two hours")
    assert not at.exception


@pytest.mark.parametrize("arch", ["lstm", "gru", "rnn", "lstm2", "bilstm"])
@pytest.mark.parametrize("view", ["Word by word", "Word importance", "Gates"])
def test_every_view_for_every_architecture(arch, view):
    at = open_page(registry(arch))
    at.segmented_control(key="sent_view").set_value(view).run()
    assert not at.exception, [e.value for e in at.exception]
    if view == "Word importance":
        spans = [b for b in bodies(at) if 'class="sentiment-importance"' in b]
        assert spans and spans[0].count("data-pos=") == 8  # "This movie was not good at all ."
    if view == "Gates":
        assert at.get("plotly_chart"), "the heat map"
        if arch == "lstm2":
            assert at.selectbox(key="sent_layer").value == 1  # the last layer first: the verdict reads it
            at.selectbox(key="sent_layer").set_value(0).run()
            assert not at.exception
        at.segmented_control(key="sent_quantity").set_value("h").run()
        assert not at.exception
    if view == "Word by word" and arch == "bilstm":
        assert any("bidirectional" in c.value for c in at.caption)


def test_hostile_text_is_escaped_everywhere():
    at = open_page(registry("lstm"), text=HOSTILE)
    for view in ("Word by word", "Word importance", "Gates"):
        at.segmented_control(key="sent_view").set_value(view).run()
        assert not at.exception
        for body in bodies(at):
            assert "<script>" not in body and "<img" not in body
        if view == "Word importance":
            assert any("&lt;script&gt;" in b for b in bodies(at))


@pytest.mark.parametrize("text, expected", [
    ("", "Type or paste a review"),
    ("😀 !!! ???", "knows none of these words"),  # one note: the most important one
    ("Это очень плохой фильм", "it learned from English reviews only"),
    ("good " * 30_000, "reads only its first 3,000 characters"),
])
def test_bad_input_gets_a_message_not_an_exception(text, expected):
    at = open_page(registry("lstm"), text=text)
    messages = [m.value for m in at.info] + [c.value for c in at.caption]
    assert any(expected in m for m in messages), messages


@pytest.mark.parametrize("text", ["Это очень плохой фильм", "😀 !!! ???"])
def test_no_verdict_no_word_said_to_move_it(text):
    """A review of words the model never saw gets no verdict: nothing may read as if it had one."""
    said = ("biggest change", "changed side", "Most positive word", "Most negative word")
    at = open_page(registry("lstm"))
    assert any("biggest change" in c.value for c in at.caption)  # a verdict: its biggest change is said
    at.text_input(key="sent_text").input(text).run()
    assert "no verdict" in cards(at)[0]
    for view in ("Word by word", "Word importance"):
        at.segmented_control(key="sent_view").set_value(view).run()
        assert not at.exception
        captions = [c.value for c in at.caption]
        assert captions and not [c for c in captions if any(s in c for s in said)], captions


def test_accuracy_tab_shows_the_test_results_next_to_vader():
    at = open_page(registry("lstm"), tab="How good is it?")
    assert any("All test reviews (150)" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 2  # accuracy per domain, confusion matrix
    assert at.dataframe
    at = open_page({"lstm": _Entry("lstm", "uploaded", entry("x", "lstm", meta={}))}, tab="How good is it?")
    assert any("no test results" in i.value for i in at.info)


def test_no_classifier_still_offers_retraining():
    at = open_page({}, tab="Retrain")
    assert any("no classifier" in w.value for w in at.warning)
    assert [b.label for b in at.button][:2] == ["Train", "Compare SimpleRNN, LSTM and GRU"]
    assert at.button(key="sent_stop").disabled


def test_a_finished_job_shows_its_results_and_joins_the_classifiers(tmp_path):
    from lstm_core.sentiment.data import Example, split_of
    from helpers_sentiment import new_sentiment_job
    from lstm_core.sentiment.training import TrainSettings

    reviews = []
    for i in range(160):
        text = f"review {i} was {'great' if i % 2 else 'awful'}"
        reviews.append(Example(text, i % 2, "movies", split_of(text)))
    job = new_sentiment_job(reviews, [TrainSettings(units=4, embed_dim=4, epochs=1, negation_phrases=0)], tmp_path)
    job.start()
    assert job.join(timeout=600)
    at = app_test(PAGE)
    at.session_state["sent_models"] = registry("lstm")
    at.session_state["sent_job"] = job
    at.session_state["sent_tab"] = "Retrain"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    models = at.session_state["sent_models"]
    assert len(models) == 2 and at.session_state["sent_model"] != "lstm"  # the new one is active
    assert any("Finished" in s.value for s in at.success)
    assert len(at.get("plotly_chart")) >= 3  # training curves, accuracy, confusion
    assert at.selectbox(key="sent_model_choice").options  # the classifier list now offers a choice
    at.session_state["sent_tab"] = "Classify"
    at.run()
    assert not at.exception and cards(at)


def test_through_the_app_navigation():
    if PAGE not in (ROOT / "ui" / "shell.py").read_text(encoding="utf-8"):
        pytest.skip(f"app.py does not list {PAGE} yet")
    at = app_test()
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Sentiment"
    # The sidebar names the model this page uses: its classifier, not the character model of the others.
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    classifier = at.session_state["sent_models"][at.session_state["sent_model"]].label
    assert "Model on this page" in sidebar and literal(classifier) in sidebar
    assert not at.sidebar.selectbox, "the character model's chooser is not on Sentiment"
    assert "character model of the other pages (LSTM 2×256" in " ".join(c.value for c in at.sidebar.caption)
