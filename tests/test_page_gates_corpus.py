"""Gates ranks units for a built-in pattern over the held-out plays, not only the passage: the run is
started once, goes on in the background, is shared by every tab of the server and kept on disk, and a
different model (another cell) is a run of its own. The plays are cut short here to keep the test quick."""

import numpy as np
import pytest

from helpers_apptest import app_test, rerun_until
from lstm_core.inference import unit_stats

PATTERN = "after a newline"
POEMS = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n"


@pytest.fixture
def short_plays(lab_env, tmp_path, monkeypatch):
    lab_env("LSTM_LAB_DATA_DIR", str(tmp_path / "data"))
    from ui.gates import corpus

    corpus.held_out_text.clear()
    corpus._jobs.clear()
    text = "\n\n".join(corpus.corpora.held_out_text(play)[:2_000] for play in corpus.corpora.HELD_OUT_PLAYS)
    monkeypatch.setattr(corpus, "held_out_text", lambda name: text if name == "plays" else POEMS)
    yield text
    corpus._jobs.clear()


def _find_tab(cell: str | None = None, model: str | None = None):
    at = app_test()
    at.run()
    if model is not None:
        at.session_state["active_model"] = model
    at.switch_page("pages/gates.py").run()
    if cell is not None:
        at.session_state["gates_cell"] = cell
    at.session_state["gates_tab"] = "Find units for a pattern"
    at.run()
    at.session_state["gates_predicate"] = PATTERN
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _corpus_caption(at):
    return [c.value for c in at.caption if "Ranked by their" in c.value]


def test_a_pattern_is_ranked_over_the_plays_once_for_every_tab(short_plays, tmp_path):
    first = _find_tab()
    first.button(key="gates_corpus_start").click().run()
    rerun_until(first, lambda: _corpus_caption(first), "the ranking over the plays")
    caption = _corpus_caption(first)[0]
    inside = int(unit_stats.PREDICATES[PATTERN][1](short_plays).sum())
    assert f"over {len(short_plays):,} characters: {inside:,} in the pattern" in caption
    table = next(d.value for d in first.dataframe if "±" in d.value.columns)
    assert len(table) == 10 and (table["score"] >= 0.5).all() and (table["±"] > 0).all()
    assert list((tmp_path / "data" / "corpus-cache").glob("*.npz"))  # kept on disk

    # Another tab of the server: the result is there, nothing to start.
    second = _find_tab()
    assert _corpus_caption(second) == _corpus_caption(first)
    assert not [b for b in second.button if b.key == "gates_corpus_start"]


def test_another_model_is_a_run_of_its_own(short_plays):
    from ui import models

    first = _find_tab()
    first.button(key="gates_corpus_start").click().run()
    rerun_until(first, lambda: _corpus_caption(first), "the ranking over the plays")
    if models.pretrained("gru") is None:
        pytest.skip("the GRU sibling is not shipped in this checkout (make assets builds it)")
    first.session_state["active_model"] = models.pretrained_key("gru")
    first.run()
    assert not first.exception
    assert not _corpus_caption(first) and [b for b in first.button if b.key == "gates_corpus_start"]


def test_the_tang_model_is_ranked_over_its_held_out_poems(short_plays):
    from ui import models

    if models.pretrained("tang") is None:
        pytest.skip("the Tang model is not shipped in this checkout (make assets builds it)")
    at = _find_tab(model=models.pretrained_key("tang"))
    assert any("**Over the held-out poems.**" in m.value for m in at.markdown)
    start = at.button(key="gates_corpus_start")
    assert start.label == "Rank over the held-out poems"
    start.click().run()
    rerun_until(at, lambda: _corpus_caption(at), "the ranking over the poems")
    inside = int(unit_stats.PREDICATES[PATTERN][1](POEMS).sum())
    assert f"over {len(POEMS):,} characters: {inside:,} in the pattern" in _corpus_caption(at)[0]
    assert any(m.value.startswith("Best: unit") and m.value.endswith("over the poems.") for m in at.markdown)


def test_gate_saturation_over_the_held_out_plays(short_plays):
    from lstm_core.inference.engine import trace
    from ui import models

    at = _find_tab()
    at.session_state["gates_tab"] = "Gate saturation"
    at.run()
    assert any("In this text" in m.value for m in at.markdown)
    at.toggle(key="gates_saturation_over").set_value(True).run()

    def said():
        return [m.value for m in at.markdown if m.value.startswith("Over the **")]

    rerun_until(at, said, "the saturation over the plays")
    # The same count from the whole text read in one go by the engine.
    model = models.pretrained()
    forget = trace(model.net, model.vocab.encode(short_plays).ids).layers[0].forward["f"]
    opened = int(((forget > 0.9).mean(axis=0) > 0.9).sum())
    assert said()[0].startswith(f"Over the **{len(short_plays):,}** characters of the held-out text, **{opened}** of")


def test_the_network_against_an_ngram_over_the_held_out_plays(short_plays):
    from lstm_core.inference.engine import trace
    from ui import models

    at = _find_tab()
    at.session_state["gates_tab"] = "Against an n-gram"
    at.run()
    at.button(key="gates_ngram_corpus_start").click().run()

    def over():
        return [c.value for c in at.caption if c.value.startswith("Over ") and "never read" in c.value]

    rerun_until(at, over, "the n-gram comparison over the plays")
    assert over()[0] == f"Over {len(short_plays):,} characters the model never read."
    # The network's loss over the plays: what the engine gives reading them in one go, to the digit shown.
    model = models.pretrained()
    ids = model.vocab.encode(short_plays).ids
    probs = trace(model.net, ids).probs
    loss = -np.log(probs[np.arange(len(ids) - 1), ids[1:]]).mean()
    losses = [m.value for m in at.metric if m.label == "The network's loss"]
    assert len(losses) == 2 and abs(float(losses[1].split()[0]) - loss) <= 0.0015
