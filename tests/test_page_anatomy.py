"""The Anatomy page under Streamlit's AppTest: the step in the open, parameter counting, gradient
curves and the memory test; widgets work, numbers are the engine's, looking never imports TensorFlow."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers_apptest import app_test, RUN_TIMEOUT_S
from helpers_models import random_network
from streamlit.testing.v1 import AppTest

from lstm_core.teaching import anatomy

from lstm_core.inference import engine
from lstm_core.teaching import memory_runs as mr
from lstm_core.teaching import toy_memory as tm
from lstm_core.storage.char_meta import CharMeta
from lstm_core.storage.persistence import DEFAULT_MODEL, LoadedModel, load_model_folder
from lstm_core.spec import ModelSpec
from lstm_core.data.vocab import CharVocab
from ui.figures.cell_diagram import format_value

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/anatomy.py"
SMALL_TEXT = "HAMLET\nTo be, or not [to be]: that is the question.\n"
TINY = tm.ToyConfig(symbols=4, noise=1.0, max_gap=6, units=6, batch=16, steps=16, eval_gaps=(1, 3, 6),
                    eval_sequences=32, eval_every=8, time_budget_s=120.0)


def _open(models: dict | None = None, active: str | None = None, tab: str | None = None,
          state: dict | None = None) -> AppTest:
    at = app_test()
    if models is not None:
        at.session_state["models"] = models
        at.session_state["active_model"] = active or next(iter(models))
    if tab is not None:
        at.session_state["anatomy_tab"] = tab
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _tab(at: AppTest, name: str) -> AppTest:
    at.session_state["anatomy_tab"] = name
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _html(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.main.get("html")]  # the sidebar holds the app's own script


def _svg(at: AppTest) -> str:
    """The cell diagram: st.html shows it as an <img> with the SVG in a data: URI."""
    for body in _html(at):
        m = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', body)
        if m:
            return base64.b64decode(m.group(1)).decode("utf-8")
    raise AssertionError("no cell diagram on the page")


def _specs(at: AppTest) -> list[str]:
    return [p.proto.spec for p in at.get("plotly_chart")]


def _texts(elements) -> str:
    return "\n".join(e.value for e in elements)


def _entry(key: str, cell: str = "lstm", layers: int = 1, units: int = 6, form: str = "embedding"):
    """A session model of `SMALL_TEXT`'s characters reading them in input `form` (netweights.INPUT_FORMS)."""
    from ui.models import ModelEntry

    vocab = CharVocab.from_text(SMALL_TEXT)
    v = vocab.size
    table = {"embedding": None, "one-hot": np.eye(v), "scaled-id": (np.arange(v) / v)[:, None]}[form]
    width = 4 if table is None else table.shape[1]
    spec = ModelSpec(vocab_size=v, cell=cell, layers=layers, units=units, embed_dim=width)
    net = random_network(cell, layers=layers, units=units, vocab=v, embed=width, seed=len(key))
    if table is not None:
        net = dataclasses.replace(net, embedding=table, input_form=form)
    return ModelEntry(key, "Trained here", LoadedModel(Path(f"/nonexistent/{key}"), net, vocab, spec,
                                                       CharMeta(spec=spec, label=f"test {key}")))


@pytest.fixture(scope="module")
def pretrained():
    return load_model_folder(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return _open()


# ---------------------------------------------------------------- one step in the open


def test_default_step_shows_the_cell_with_the_engine_numbers(default_page, pretrained):
    at = default_page
    assert at.title[0].value == "Anatomy of a cell"
    assert [t.label for t in at.tabs] == list(("One step in the open", "Counting parameters",
                                               "Vanishing gradients", "Memory test"))
    text = at.text_input(key="anatomy_text").value
    position = at.select_slider(key="anatomy_position").value
    unit = at.number_input(key="anatomy_unit").value
    assert text == "To be, or not to be, that is the question." and position == len(text) - 1
    # The numbers on the diagram are the engine's for that unit and step.
    tr = engine.trace(pretrained.net, pretrained.vocab.encode(text).ids)
    forward = tr.layers[0].forward
    svg = _svg(at)
    for quantity in ("f", "i", "o", "c", "h"):
        assert format_value(forward[quantity][position, unit]) in svg, quantity
    table = next(b for b in _html(at) if "pre-activation" in b)
    assert all(words in table for words in ("input gate", "forget gate", "candidate", "output gate"))
    assert f"{float(forward['z_f'][position, unit]):+.3f}".replace("-", "−") in table
    success = _texts(at.success)
    assert "Same as the engine" in success
    difference = float(re.search(r"to within ([0-9.]+e[+-][0-9]+)", success).group(1))
    assert difference < 1e-5
    assert any('"type":"waterfall"' in s for s in _specs(at))
    assert any(r"c_t &= f\,c_{t-1} + i\,g" in e.value for e in at.get("latex"))
    assert "keeps" in _texts(at.markdown) or "wipes" in _texts(at.markdown)


def test_position_unit_and_gate_can_be_changed(pretrained):
    at = _open()
    at.select_slider(key="anatomy_position").set_value(3).run()
    at.number_input(key="anatomy_unit").set_value(5).run()
    at.segmented_control(key="anatomy_gate").set_value("o").run()
    assert not at.exception
    text = at.text_input(key="anatomy_text").value
    tr = engine.trace(pretrained.net, pretrained.vocab.encode(text).ids)
    step = anatomy.open_step(pretrained.net, tr, 0, 3, 5)
    svg = _svg(at)
    assert format_value(step.h) in svg and format_value(step.terms["o"].value) in svg
    assert "unit 5 of layer 1, reading “b”" in _texts(at.caption)
    waterfall = json.loads(next(s for s in _specs(at) if '"type":"waterfall"' in s))["data"][0]
    assert waterfall["y"][-1] == "pre-activation = " + f"{step.terms['o'].pre:+.3f}".replace("-", "−")
    assert waterfall["y"][0] == "bias b" and waterfall["x"][0] == pytest.approx(step.terms["o"].bias)
    products = at.dataframe[0].value
    assert len(products) == pretrained.net.embed_dim + pretrained.net.layers[0].units
    assert products["product"].sum() == pytest.approx(step.terms["o"].x_dot + step.terms["o"].h_dot, abs=1e-3)


def test_check_against_keras_uses_the_saved_file():
    at = _open()
    assert "Same as Keras" not in _texts(at.success)
    at.button(key="anatomy_keras_check").click().run()
    assert not at.exception
    success = _texts(at.success)
    assert "Same as Keras" in success and "$h_t$ and $c_t$" in success and "saved model file" in success
    assert float(re.search(r"Keras.*to within ([0-9.]+e[+-][0-9]+)", success).group(1)) < 1e-5
    # A different step needs its own check.
    at.select_slider(key="anatomy_position").set_value(2).run()
    assert "Same as Keras" not in _texts(at.success)


def test_gru_and_simple_rnn_models_and_the_keras_layer_fallback():
    at = _open({"gru": _entry("gru", cell="gru"), "rnn": _entry("rnn", cell="rnn")}, active="gru")
    assert at.selectbox(key="anatomy_model").value == "gru"
    table = next(b for b in _html(at) if "pre-activation" in b)
    assert "update gate" in table and "reset gate" in table and "candidate" in table
    assert any(r"(1-z)\,\tilde h" in e.value for e in at.get("latex"))
    at.button(key="anatomy_keras_check").click().run()
    assert not at.exception
    success = _texts(at.success)
    assert "Same as Keras" in success and "fresh Keras layer" in success and "$h_t$ equal" in success
    # The page follows the sidebar's active model.
    at.session_state["active_model"] = "rnn"
    at.run()
    assert not at.exception and at.selectbox(key="anatomy_model").value == "rnn"
    table = next(b for b in _html(at) if "pre-activation" in b)
    assert "new state" in table and "forget" not in table
    assert "There is no gate" in _texts(at.markdown)
    # Another model of the session can be opened here without changing the active one.
    at.selectbox(key="anatomy_model").set_value("gru").run()
    assert not at.exception and at.session_state["active_model"] == "rnn"
    assert "update gate" in next(b for b in _html(at) if "pre-activation" in b)


def test_second_layer_reads_the_first_and_agrees_with_the_engine():
    at = _open({"deep": _entry("deep", layers=2, units=5)})
    at.selectbox(key="anatomy_layer").set_value(1).run()
    assert not at.exception
    assert "the 5 outputs h of layer 1" in _texts(at.markdown)
    assert "Same as the engine" in _texts(at.success)
    assert len(at.dataframe[0].value) == 5 + 5


@pytest.mark.parametrize("form, said, unsaid", [
    ("embedding", "the embedding of “t”: 4 numbers the network learnt", "fixed"),
    ("one-hot", "the one-hot vector of “t”: {v} numbers, a single 1", "learnt for"),
    ("scaled-id", "one number, {x}: the model’s id for “t” divided by the size of its vocabulary", "learnt for"),
])
def test_the_input_is_described_as_what_it_is(form, said, unsaid):
    """Only an embedding is learnt; a one-hot vector or a scaled id is fixed by the vocabulary."""
    vocab = CharVocab.from_text(SMALL_TEXT)
    at = _open({form: _entry(form, form=form)})
    at.text_input(key="anatomy_text").input("to bet").run()  # the last character is shown first
    words = _texts(at.markdown)
    assert said.format(v=vocab.size, x=f"{vocab.id_of('t') / vocab.size:.3f}") in words
    assert unsaid not in words
    at.text_input(key="anatomy_text").input("to bez").run()  # "z" is not in the vocabulary
    assert "any character it does not know (“z” is one)" in _texts(at.markdown)


def test_hostile_and_empty_text():
    at = _open()
    at.text_input(key="anatomy_text").input("<script>alert(1)</script><img src=x onerror=alert(2)>").run()
    assert not at.exception
    for body in _html(at):
        assert "<script" not in body and "<img src=x" not in body
    assert any("&lt;script&gt;" in b for b in _html(at))
    at.text_input(key="anatomy_text").input("").run()
    assert not at.exception
    assert "Type a text above" in _texts(at.info)


# ---------------------------------------------------------------- counting parameters


def test_parameter_calculator_examples_and_keras(pretrained):
    at = _open(tab="Counting parameters")
    assert at.metric[0].value == "70,200"
    table = at.table[0].value
    assert table.loc["LSTM", "W (inputs)"] == "60,000" and table.loc["LSTM", "U (recurrent)"] == "10,000"
    assert "4·(m + n + 1)·n" in table.loc["LSTM", "formula"]
    assert any("70{,}200" in e.value for e in at.get("latex")) and any("11{,}680" in e.value for e in at.get("latex"))
    at.button(key="anatomy_p_ex2").click().run()
    assert at.metric[0].value == "11,680"
    at.button(key="anatomy_p_check").click().run()
    assert not at.exception
    assert "Keras' count_params() agrees" in _texts(at.success) and "11,680" in _texts(at.success)
    at.segmented_control(key="anatomy_p_cell").set_value("gru").run()
    assert at.metric[0].value == f"{3 * (32 + 40 + 2) * 40:,}"
    assert "Keras' count_params() agrees" not in _texts(at.success)  # the check was for other sizes
    at.button(key="anatomy_p_active").click().run()
    from lstm_core.inference.params import total_params

    assert at.metric[0].value == f"{total_params(pretrained.spec):,}"
    assert at.radio(key="anatomy_p_input").value == "embedding"
    layers = pretrained.spec.layers
    recurrent = ["LSTM"] if layers == 1 else [f"LSTM {i + 1}" for i in range(layers)]
    assert list(at.table[0].value.index) == ["Embedding", *recurrent, "Dense (output)", "Total"]
    at.number_input(key="anatomy_p_layers").set_value(3).run()
    assert list(at.table[0].value.index)[1:4] == ["LSTM 1", "LSTM 2", "LSTM 3"]
    assert "GRU" in _texts(at.markdown) and "SimpleRNN" in _texts(at.markdown)


# ---------------------------------------------------------------- vanishing gradients


def test_gradient_curves_and_their_knobs():
    at = _open(tab="Vanishing gradients")
    specs = _specs(at)
    assert sum('"type":"log"' in s for s in specs) == 2  # untrained curves and the active model
    assert any('"SimpleRNN"' in s and '"GRU"' in s and '"LSTM"' in s for s in specs)
    text = _texts(at.markdown)
    rates = dict(re.findall(r"- (SimpleRNN|GRU|LSTM): \*\*× ([0-9.]+)\*\*", text))
    assert float(rates["SimpleRNN"]) < float(rates["LSTM"]) < 1
    assert "Memory test" in _texts(at.info)  # trained curves come after training
    at.slider(key="anatomy_g_bias").set_value(6.0).run()
    assert "hardly shrinks" in _texts(at.markdown)
    at.slider(key="anatomy_g_scale").set_value(3.0).run()
    assert "explodes" in _texts(at.markdown)
    assert "Per character back" in [m.label for m in at.metric]


# ---------------------------------------------------------------- the memory test


def test_memory_test_trains_live_and_shows_results():
    at = _open(tab="Memory test", state={"anatomy_toy_config": TINY})
    try:
        assert "Train the three networks" in _texts(at.info)
        assert any('"type":"heatmap"' in s for s in _specs(at))  # the example sequence
        at.button(key="anatomy_toy_train").click().run()
        assert not at.exception
        job = at.session_state["anatomy_toy_job"]
        assert job.join(timeout=300)
        at.run()
        assert not at.exception
        assert re.search(r"Trained 16 steps \(seed 0\) in \d+ s", _texts(at.success))
        specs = _specs(at)
        assert any("guessing (25.0%)" in s for s in specs)  # accuracy against N
        assert any("training step" in s for s in specs)
        assert any('"type":"log"' in s and "the letter" in s for s in specs)  # gradients after training
        assert "at N = 6" in _texts(at.markdown)
        # The result stays with the session: the gradients tab shows it too, without training again.
        _tab(at, "Vanishing gradients")
        assert at.session_state["anatomy_toy_job"] is job
        assert sum('"type":"log"' in s for s in _specs(at)) == 3
    finally:
        mr.forget_shared()


# ---------------------------------------------------------------- no TensorFlow


def test_looking_never_imports_tensorflow():
    """In a fresh interpreter, every tab (widgets changed, gradients computed) leaves TF unimported."""
    script = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({str(ROOT / "app.py")!r}, default_timeout={RUN_TIMEOUT_S})
at.run()
at.switch_page({PAGE!r}); at.run()
assert not at.exception, [e.value for e in at.exception]
at.number_input(key='anatomy_unit').set_value(3).run()
at.segmented_control(key='anatomy_gate').set_value('i').run()
for tab in ('Counting parameters', 'Vanishing gradients', 'Memory test'):
    at.session_state['anatomy_tab'] = tab
    at.run()
    assert not at.exception, (tab, [e.value for e in at.exception])
at.session_state['anatomy_tab'] = 'Vanishing gradients'
at.run()
at.slider(key='anatomy_g_bias').set_value(3.0).run()
assert len(at.get('plotly_chart')) >= 2
bad = sorted(m for m in sys.modules if m == 'tensorflow' or m.startswith('tensorflow.') or m == 'keras')
print('IMPORTED:' + ','.join(bad))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("IMPORTED:"), out.stdout[-2000:]
