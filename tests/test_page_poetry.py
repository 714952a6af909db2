"""A model trained on Chinese poems, on the pages that read text: they open on a poem it never
trained on, not on Hamlet (whose letters it does not know), and offer the patterns of verse."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test
from helpers_models import random_network
from lstm_core.data.vocab import CharVocab
from lstm_core.spec import ModelSpec
from lstm_core.storage.char_meta import CharMeta, Corpus
from lstm_core.storage.persistence import LoadedModel
from ui import model_texts

PLAY = "HAMLET\nTo be, or not to be: that is the question.\n"


def _entry(key: str, corpus: str, text: str):
    from ui.models import ModelEntry

    vocab = CharVocab.from_text(text)
    spec = ModelSpec(vocab_size=vocab.size, cell="lstm", layers=1, units=6, embed_dim=4)
    net = random_network("lstm", units=6, vocab=vocab.size, embed=4)
    meta = CharMeta(spec=spec, label=f"test {key}", corpus=Corpus(name=corpus, label=corpus))
    return ModelEntry(key, "Trained here", LoadedModel(Path(f"/nonexistent/{key}"), net, vocab, spec, meta))


@pytest.fixture(scope="module")
def poem_model():
    poem = model_texts.held_out_jueju("tang")
    return _entry("poems", "tang", poem + model_texts.QUIET_NIGHT + "\n")


def _open(page: str, entries: list, active: str) -> AppTest:
    at = app_test()
    at.session_state["models"] = {e.key: e for e in entries}
    at.session_state["active_model"] = active
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_held_out_five_character_quatrain():
    poem = model_texts.held_out_jueju("tang")
    halves = poem.replace("\n", "").replace("。", "，").strip("，").split("，")
    assert len(halves) == 4 and all(len(h) == 5 for h in halves), poem


def test_gates_reads_a_poem_and_offers_the_patterns_of_verse(poem_model):
    at = _open("gates", [poem_model], "poems")
    assert at.session_state["gates_text"] == model_texts.poem(poem_model.model)
    at.session_state["gates_tab"] = "Find units"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    offered = at.selectbox(key="gates_predicate").options
    assert any("before punctuation" in o for o in offered), offered
    assert not any(o.startswith("uppercase") for o in offered), offered


def test_sample_starts_a_poem_and_anatomy_reads_one_line(poem_model):
    at = _open("sample", [poem_model], "poems")
    opening = at.session_state["sample_prime"]
    assert opening.endswith("，") and len(opening) == 6 and model_texts.poem(poem_model.model).startswith(opening)
    notes = " ".join(m.value for m in at.markdown if "What to notice" in m.value)
    assert "five- or seven-character shape" in notes and "look English" not in notes  # the comparison is of poems
    at = _open("anatomy", [poem_model], "poems")
    assert at.session_state["anatomy_text"] == model_texts.poem(poem_model.model).split("\n")[0]


def test_the_page_text_follows_the_model_but_a_typed_text_stays(poem_model):
    play = _entry("play", "shakespeare3", PLAY)
    at = _open("gates", [play, poem_model], "play")
    hamlet = at.session_state["gates_text"]
    assert "HAMLET" in hamlet or "Hamlet" in hamlet
    at.session_state["active_model"] = "poems"
    at.run()
    assert at.session_state["gates_text"] == model_texts.poem(poem_model.model)
    at.session_state["gates_text"] = "月落乌啼霜满天"
    at.run()
    at.session_state["active_model"] = "play"
    at.run()
    assert at.session_state["gates_text"] == "月落乌啼霜满天"


PAGES = ["home", "train", "gates", "sample", "sentiment", "anatomy"]


@pytest.mark.parametrize("page", PAGES)
def test_the_shipped_tang_model_on_every_page(page):
    from ui import models

    at = app_test()
    at.run()
    registry = at.session_state["models"]
    assert "pretrained:tang" in registry, f"the Tang model is not listed: {list(registry)}"
    at.session_state["active_model"] = "pretrained:tang"
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tang = models.pretrained("tang")
    expected = {"gates": ("gates_text", model_texts.poem(tang)), "sample": ("sample_prime", model_texts.opening(tang)),
                "anatomy": ("anatomy_text", model_texts.first_line(tang))}
    if page in expected:
        key, text = expected[page]
        known = sum(c in tang.vocab for c in text) / len(text)
        assert at.session_state[key] == text and known >= 0.9, (text, known)  # its own kind of text
