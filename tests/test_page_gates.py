"""The Gates page under Streamlit's AppTest: views render, widgets work, hostile text stays text."""

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lstm_core.storage.char_meta import CharMeta
from lstm_core.storage.persistence import PRETRAINED, LoadedModel
from lstm_core.spec import ModelSpec
from lstm_core.data.vocab import CharVocab
from helpers_apptest import app_test, RUN_TIMEOUT_S
from helpers_models import random_network

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(1)> café"
SMALL_TEXT = "HAMLET\nTo be, or not [to be]: that is the question.\n"


def _open(models: dict | None = None, active: str | None = None) -> AppTest:
    at = app_test()
    if models is not None:
        at.session_state["models"] = models
        at.session_state["active_model"] = active or next(iter(models))
    at.run()
    at.switch_page("pages/gates.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open_tab(at: AppTest, label: str) -> None:
    """Select a tab of the page (they are lazy: only the open one is filled) and rerun."""
    at.session_state["gates_tab"] = label
    at.run()


def _charts(at: AppTest) -> dict[str, str]:
    """The page's Plotly charts by key, as JSON specs."""
    return {p.proto.id.rsplit("-", 1)[-1]: p.proto.spec for p in at.get("plotly_chart")}


def _html(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.main.get("html")]  # the sidebar holds the app's own script


def _coloured(at: AppTest) -> list[str]:
    return [b for b in _html(at) if 'class="gates-text"' in b]


def _visible(markup: str) -> str:
    """The text a person sees in the coloured view (the ⏎ glyph dropped, the line break kept)."""
    markup = markup.replace('<span style="opacity:0.55;font-size:0.8em">⏎</span>', "")
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def _entry(key: str, cell: str = "lstm", layers: int = 1, units: int = 6, snapshots: int = 0):
    from ui.models import ModelEntry, Snapshot

    vocab = CharVocab.from_text(SMALL_TEXT)
    spec = ModelSpec(vocab_size=vocab.size, cell=cell, layers=layers, units=units, embed_dim=4)

    def net(seed):
        return random_network(cell, layers=layers, units=units, vocab=vocab.size, embed=4, seed=seed)

    model = LoadedModel(Path(f"/nonexistent/{key}"), net(0), vocab, spec, CharMeta(spec=spec, label=f"test {key}"))
    snaps = [Snapshot(step, net(step)) for step in range(10, 10 * snapshots + 1, 10)]
    return ModelEntry(key, "Trained here", model, snaps)


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return _open()


# ---------------------------------------------------------------- the pretrained model


def test_default_passage_renders_coloured_text_heatmap_and_saturation(default_page):
    at = default_page
    assert at.title[0].value == "Gates"
    coloured = _coloured(at)
    assert len(coloured) == 1  # one unit over the text (the pattern's best unit is in its own tab)
    shown = _visible(coloured[0])
    assert "To be, or not to be" in shown and "HAMLET\n" in shown
    assert 400 <= len(at.session_state["gates_text"]) <= 650
    assert "next-character guesses" in coloured[0]
    assert any("linear-gradient" in b for b in _html(at))  # the colour legend
    charts = _charts(at)
    # The figures are built only for the open tab.
    assert not {"gates_ranking_chart", "gates_heatmap", "gates_saturation"} & set(charts)
    assert [t.label for t in at.tabs] == ["Text, one unit", "All units", "Gate saturation", "Find units for a pattern",
                                          "Test units", "Influence", "Against an n-gram"]
    _open_tab(at, "All units")
    charts = _charts(at)
    assert '"type":"heatmap"' in charts["gates_heatmap"] and "gates_saturation" not in charts
    _open_tab(at, "Gate saturation")
    sat = _charts(at)["gates_saturation"]
    assert '"type":"scatter"' in sat and "left-saturated" in sat
    _open_tab(at, "Find units for a pattern")
    assert "gates_ranking_chart" in _charts(at)
    assert len(_coloured(at)) == 2  # and the best unit for the pattern over the text
    _open_tab(at, "Text, one unit")
    assert not at.info and not at.exception


def test_quantity_unit_and_sort_changes(default_page):
    at = default_page
    at.segmented_control(key="gates_quantity").set_value("f").run()
    assert not at.exception
    assert "forget gate" in at.caption[0].value.lower() or any("forget gate" in c.value for c in at.caption)
    assert "unit " in _html(at)[0] and "forget gate f" in _html(at)[0]
    at.number_input(key="gates_unit").set_value(5).run()
    assert not at.exception
    assert "unit 5, forget gate f" in _html(at)[0]
    _open_tab(at, "All units")
    for by in ("index", "saturation", "correlation", "variance"):
        at.selectbox(key="gates_sort").set_value(by).run()
        assert not at.exception, by
    at.selectbox(key="gates_sort").set_value("index").run()
    heat = _charts(at)["gates_heatmap"]
    assert '"unit 0","unit 1","unit 2"' in heat
    at.select_slider(key="gates_units_shown").set_value(8).run()
    heat = _charts(at)["gates_heatmap"]
    assert '"unit 7"' in heat and '"unit 8"' not in heat
    at.slider(key="gates_window").set_range(10, 30).run()
    assert not at.exception
    # Looking at another tab and back keeps the heat map's settings.
    _open_tab(at, "Text, one unit")
    _open_tab(at, "All units")
    assert at.selectbox(key="gates_sort").value == "index" and at.select_slider(key="gates_units_shown").value == 8
    assert at.slider(key="gates_window").value == (10, 30)
    _open_tab(at, "Text, one unit")


def test_predicates_rank_units(default_page):
    at = default_page
    _open_tab(at, "Find units for a pattern")
    at.radio(key="gates_pattern_kind").set_value("A built-in pattern").run()
    at.selectbox(key="gates_predicate").set_value("uppercase").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 10
    assert list(table.columns[:3]) == ["unit", "score", "inside"]
    assert table["score"].is_monotonic_decreasing
    assert at.selectbox(key="gates_best_unit").value == int(table["unit"].iloc[0])
    underlined = _coloured(at)[1]
    assert "box-shadow" in underlined
    best = int(table["unit"].iloc[0])
    at.button(key="gates_adopt").click().run()
    assert at.number_input(key="gates_unit").value == best
    assert f"unit {best}, " in _html(at)[0]
    for name in ("inside brackets", "after a newline", "inside a word", "vowel", "speaker's name"):
        at.selectbox(key="gates_predicate").set_value(name).run()
        assert not at.exception, name
        assert len(at.dataframe[0].value) == 10, name
    # The default passage has no double quotes (nor Chinese verse): those patterns are not offered.
    offered = at.selectbox(key="gates_predicate").options
    assert not any(o.startswith(("inside quotes", "before punctuation")) for o in offered), offered


def test_span_and_substring_patterns(default_page):
    at = default_page
    _open_tab(at, "Find units for a pattern")
    at.radio(key="gates_pattern_kind").set_value("A span I mark").run()
    at.slider(key="gates_span").set_range(20, 60).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 10
    at.radio(key="gates_pattern_kind").set_value("A word or phrase").run()
    at.text_input(key="gates_substring").input("to be").run()
    assert not at.exception and len(at.dataframe[0].value) == 10
    at.text_input(key="gates_substring").input("zebra").run()
    assert not at.exception
    assert any("matches no character" in w.value for w in at.warning)


def test_unknown_characters_are_marked():
    at = _open()
    at.text_area(key="gates_text").input("To be, or not to be € that is the qüestion").run()
    assert not at.exception
    note = next(b for b in _html(at) if "never saw" in b)
    assert "€" in note and "ü" in note
    coloured = _coloured(at)[0]
    assert coloured.count("dashed") == 2


def test_hostile_text_is_escaped():
    at = _open()
    at.text_area(key="gates_text").input(HOSTILE).run()
    assert not at.exception
    for body in _html(at):
        assert "<script" not in body and "<img" not in body
    assert _visible(_coloured(at)[0]) == HOSTILE
    # Tooltips (attributes) are escaped too.
    for title in re.findall(r'title="([^"]*)"', _coloured(at)[0]):
        assert "<" not in title and ">" not in title


def test_empty_text_shows_a_friendly_message():
    at = _open()
    at.text_area(key="gates_text").input("").run()
    assert not at.exception
    assert any("Type or paste some text" in i.value for i in at.info)
    assert not _coloured(at)
    at.button(key="gates_reset").click().run()
    assert not at.exception and "To be, or not to be" in _visible(_coloured(at)[0])


def test_long_text_is_truncated_with_a_message():
    at = _open()
    at.text_area(key="gates_text").input("To be, or not to be.\n" * 150).run()
    assert not at.exception
    assert any("only the first 2,000" in w.value for w in at.warning)
    assert len(_visible(_coloured(at)[0])) == 2000


# ---------------------------------------------------------------- other models


def test_training_step_slider_layers_and_snapshots():
    entry = _entry("snap", layers=2, units=5, snapshots=3)
    at = _open({"snap": entry})
    slider = at.select_slider(key="gates_step")
    assert slider.label == "Training step"
    assert list(slider.options) == ["10", "20", "30"] and slider.value == 30
    before = _coloured(at)[0]
    slider.set_value(10).run()
    assert not at.exception
    assert _coloured(at)[0] != before  # other weights, other colours
    # A new snapshot while training: whoever looks at an older step stays there ...
    entry.snapshots.append(type(entry.snapshots[0])(40, entry.snapshots[0].net))
    at.run()
    assert at.select_slider(key="gates_step").value == 10
    # ... whoever looks at the latest step follows the training.
    at.select_slider(key="gates_step").set_value(40).run()
    entry.snapshots.append(type(entry.snapshots[0])(50, entry.snapshots[0].net))
    at.run()
    assert at.select_slider(key="gates_step").value == 50
    layer = at.selectbox(key="gates_layer")
    assert layer.options == ["1 (LSTM, 5)", "2 (LSTM, 5)"]  # as Anatomy names them: they fit a narrow box
    layer.set_value(1).run()
    assert not at.exception
    assert at.number_input(key="gates_unit").max == 4


def test_gru_and_simple_rnn_models():
    at = _open({"gru": _entry("gru", cell="gru"), "rnn": _entry("rnn", cell="rnn")}, active="gru")
    options = at.segmented_control(key="gates_quantity").options
    assert options == ["update z", "reset r", "candidate h̃", "hidden h"]
    at.segmented_control(key="gates_quantity").set_value("z").run()
    assert not at.exception
    _open_tab(at, "Gate saturation")
    sat = _charts(at)["gates_saturation"]
    assert "update gate z" in sat and "reset gate r" in sat

    at.session_state["active_model"] = "rnn"
    at.run()
    assert not at.exception
    assert at.segmented_control(key="gates_quantity").options == ["hidden h"]
    assert any("SimpleRNN has no gates" in i.value for i in at.info)


# ---------------------------------------------------------------- no TensorFlow


def test_page_never_imports_tensorflow():
    """In a fresh interpreter, running the Gates page (model loading included) leaves TensorFlow unimported."""
    script = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({str(ROOT / 'pages' / 'gates.py')!r}, default_timeout={RUN_TIMEOUT_S})
at.run()
assert not at.exception, [e.value for e in at.exception]
assert any('gates-text' in h.proto.body for h in at.get('html')), 'the page did not render'
at.segmented_control(key='gates_quantity').set_value('f').run()
bad = sorted(m for m in sys.modules if m == 'tensorflow' or m.startswith('tensorflow.') or m == 'keras')
print('IMPORTED:' + ','.join(bad))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "IMPORTED:\n" in out.stdout or out.stdout.strip().endswith("IMPORTED:"), out.stdout


def test_test_units_silencing_a_unit_shows_what_the_model_loses_and_how_it_writes():
    at = _open()
    _open_tab(at, "Test units")
    assert not at.exception, [e.value for e in at.exception]
    unit = at.number_input(key="gates_unit").value
    assert at.multiselect(key="gates_test_units").value == [unit]
    before = next(m for m in at.metric if m.label == "Loss before")
    after = next(m for m in at.metric if m.label == "Loss after")
    assert before.value != after.value  # silencing the unit the page picked as the liveliest matters
    assert len([b for b in _html(at) if 'class="gates-test-sample"' in b]) == 2
    coloured = _coloured(at)
    assert any("log p" in c for c in coloured)


def test_test_units_changing_nothing_is_nothing_and_every_action_runs():
    at = _open()
    _open_tab(at, "Test units")
    at.multiselect(key="gates_test_units").set_value([]).run()
    assert any("Choose one or more units" in i.value for i in at.info)
    at.multiselect(key="gates_test_units").set_value([0, 1, 2]).run()
    for action in ("clamp-0", "clamp-1", "shift", "silence"):
        at.selectbox(key="gates_test_action").set_value(action).run()
        assert not at.exception, (action, [e.value for e in at.exception])
        assert any(m.label == "Loss after" for m in at.metric)
    at.selectbox(key="gates_test_action").set_value("shift").run()
    at.slider(key="gates_test_shift").set_value(0.0).run()
    loss = {m.label: m.value for m in at.metric}
    assert loss["Loss before"] == loss["Loss after"]  # a shift of 0 changes nothing
    assert any("No character became less likely" in c.value for c in at.caption)


def test_influence_colours_what_the_prediction_leaned_on_and_compares_the_shipped_cells():
    at = _open()
    _open_tab(at, "Influence")
    assert not at.exception, [e.value for e in at.exception]
    position = at.slider(key="gates_influence_at").value
    text = at.session_state["gates_text"]
    coloured = [c for c in _coloured(at) if "the character predicted" in c]
    assert coloured and _visible(coloured[0]) == text[:position + 2]
    chart = _charts(at)["gates_influence_chart"]
    names = re.findall(r'"name":\s*"([^"]+)"', chart)
    shipped = [cell for name, cell in (("default", "LSTM"), ("gru", "GRU"), ("rnn", "SimpleRNN"))
               if (PRETRAINED[name] / "model.keras").is_file()]
    assert names == (shipped if len(shipped) > 1 else ["this model"])  # a curve per shipped cell, or the model's
    at.slider(key="gates_influence_at").set_value(10).run()
    assert not at.exception
    assert _visible([c for c in _coloured(at) if "the character predicted" in c][0]) == text[:12]


def test_against_an_ngram_colours_each_character_by_the_networks_lead_and_sums_it_up_by_place():
    at = _open()
    _open_tab(at, "Against an n-gram")
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    network, ngram = float(metrics["The network's loss"].split()[0]), float(metrics["The 5-gram model's loss"].split()[0])
    assert 0 < network < ngram  # the pretrained LSTM beats counting on a passage it never trained on
    table = next(m.value for m in at.markdown if m.value.startswith("| Predicting |"))
    assert "| a line break |" in table and "| a letter inside a word |" in table
    at.segmented_control(key="gates_ngram_order").set_value(1).run()
    assert float({m.label: m.value for m in at.metric}["The 1-gram model's loss"].split()[0]) > ngram


def test_against_an_ngram_counts_the_training_text_the_reader_gives():
    from lstm_core.inference.ngram import NGramModel

    entry = _entry("mine")  # trained on no built-in text
    at = _open({"mine": entry})
    _open_tab(at, "Against an n-gram")
    assert not at.exception
    assert any("only for its built-in texts" in i.value for i in at.info) and not at.metric
    at.file_uploader(key="gates_ngram_upload").set_value(("weights.txt", bytes(range(256)) * 8, "text/plain")).run()
    assert not at.exception and not at.metric
    assert any("binary file" in e.value for e in at.error)
    at.file_uploader(key="gates_ngram_upload").set_value(("mine.txt", SMALL_TEXT.encode(), "text/plain")).run()
    assert not at.exception and not at.error
    # The 5-gram model of that text, counted independently, on the page's text.
    ids = entry.model.vocab.encode(at.session_state["gates_text"]).ids
    theirs = NGramModel.fit(SMALL_TEXT, 5, tuple(entry.model.vocab.chars)).text_log_probs(ids)
    assert {m.label: m.value for m in at.metric}["The 5-gram model's loss"] == f"{-theirs.mean():.3f} nats/char"
    assert any("the text you gave" in c.value for c in at.caption)


def test_match_finds_where_the_units_of_a_marked_span_are_on_together():
    at = _open()
    _open_tab(at, "Find units for a pattern")
    at.radio(key="gates_pattern_kind").set_value("A span I mark").run()
    text = at.session_state["gates_text"]
    start = text.index("HAMLET\n")
    at.slider(key="gates_span").set_value((start, start + 6)).run()
    at.slider(key="gates_match_percentile").set_value(80).run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    assert "units on all along the span" in said or "No unit stays above" in said
    matches = [b for b in _html(at) if "<ol translate='no'" in b]
    if "units on all along the span" in said and matches:
        found = re.findall(r"<b[^>]*>(.*?)</b>", matches[0])
        assert found and all(found)


def test_a_typed_regular_expression_is_a_pattern_and_a_bad_or_slow_one_is_said():
    at = _open()
    _open_tab(at, "Find units for a pattern")
    at.session_state["gates_pattern_kind"] = "A regular expression"
    at.session_state["gates_regex"] = r"[A-Z]{2,}"  # the speakers' names in capitals
    at.run()
    assert not at.exception and any("characters in the pattern" in c.value for c in at.caption)
    at.text_input(key="gates_regex").set_value("[unclosed").run()
    assert any("not a regular expression that can be used" in w.value for w in at.warning)
    at.session_state["gates_text"] = "a" * 1_900 + "!"
    at.text_input(key="gates_regex").set_value("(a+)+$").run()
    assert not at.exception
    assert any("took too long" in w.value for w in at.warning), [w.value for w in at.warning]
