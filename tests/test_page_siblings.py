"""One text, different cells: the pretrained LSTM's shipped siblings (GRU, SimpleRNN) on Home, Gates and Sample."""

import html
import re

import pytest
from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test
from lstm_core.inference.sampling import generate
from lstm_core.storage.persistence import PRETRAINED, load_model_folder

SHIPPED = [(name, cell) for name, cell in (("default", "LSTM"), ("gru", "GRU"), ("rnn", "SimpleRNN"))
           if (PRETRAINED[name] / "model.keras").is_file()]
KEYS = {"default": "pretrained", "gru": "pretrained:gru", "rnn": "pretrained:rnn"}

pytestmark = pytest.mark.skipif(len(SHIPPED) < 2, reason="the pretrained siblings are missing (make assets)")


def open_page(page: str | None = None, **state) -> AppTest:
    at = app_test()
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_home_compares_the_three_cells_on_the_held_out_plays_with_their_own_numbers():
    at = open_page()
    table = next(m.value for m in at.markdown if "| **GRU** |" in m.value)
    means = {}
    for name, cell in SHIPPED:
        held = load_model_folder(name).meta.held_out
        row = next(line for line in table.splitlines() if line.startswith(f"| **{cell}** |"))
        assert f"**{held.mean_loss_nats:.2f}**" in row
        assert all(f"{p.loss_nats:.2f}" in row for p in held.plays.values())
        means[cell] = held.mean_loss_nats
    said = next(c.value for c in at.caption if "only the cell differs" in c.value)
    best, worst = min(means, key=means.get), max(means, key=means.get)
    assert f"The {best} does best, the {worst} worst." in said
    assert ("The SimpleRNN has no gates" in said) == (worst == "SimpleRNN")


def test_gates_switches_cell_keeping_the_text_and_the_sidebar_follows():
    at = open_page("pages/gates.py")
    switch = at.segmented_control(key="gates_cell")
    assert switch.value == "pretrained" and set(switch.options) == {cell for _name, cell in SHIPPED}
    at.text_area(key="gates_text").set_value("ROMEO.\nBut soft, what light through yonder window breaks?").run()
    for key in [KEYS[name] for name, _cell in SHIPPED[1:]] + ["pretrained"]:
        at.segmented_control(key="gates_cell").set_value(key).run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state["active_model"] == key
        assert at.selectbox(key="active_model_choice").value == key
        assert at.text_area(key="gates_text").value.startswith("ROMEO.\nBut soft")


def test_sample_continues_one_prime_with_each_cell_and_the_lstm_column_is_the_text_above():
    at = open_page("pages/sample.py")
    assert at.segmented_control(key="sample_compare").value == "temperatures"
    at.segmented_control(key="sample_compare").set_value("cells").run()
    assert not at.exception, [e.value for e in at.exception]
    result = at.session_state["sample_result"]
    boxes = [h.proto.body for h in at.get("html") if 'class="sample-compare"' in h.proto.body]
    assert len(boxes) == len(SHIPPED)
    titles = [m.value for m in at.markdown if re.fullmatch(r"\*\*(LSTM|GRU|SimpleRNN)\*\*", m.value)]
    assert titles == [f"**{cell}**" for _name, cell in SHIPPED]
    used = result.settings
    for (name, _cell), body in zip(SHIPPED, boxes):
        model = load_model_folder(name)
        text = generate(model.net, model.vocab, result.prime, result.compare_length, used.temperature,
                        seed=used.seed).text
        assert escape(text) in body
    assert result.generation.text[:result.compare_length] in load_text(boxes[0])


def test_sample_writes_anew_when_another_cell_is_chosen():
    at = open_page("pages/sample.py")
    before = at.session_state["sample_result"]
    at.segmented_control(key="sample_cell").set_value("pretrained:gru").run()
    assert not at.exception, [e.value for e in at.exception]
    after = at.session_state["sample_result"]
    assert after.settings.model_key == "pretrained:gru" and after.model_label.startswith("GRU 2×")
    assert after.prime == before.prime and after.generation.text != before.generation.text


def test_no_cells_to_switch_on_the_tang_model():
    at = open_page("pages/sample.py", active_model="pretrained:tang")
    assert not [s for s in at.segmented_control if s.key in ("sample_cell", "sample_compare")]


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def load_text(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", body))


@pytest.mark.parametrize("key", [KEYS[name] for name, _cell in SHIPPED[1:]])
def test_each_sibling_opens_on_every_page(key):
    at = open_page(active_model=key)
    for page in ("pages/gates.py", "pages/sample.py", "pages/anatomy.py", "pages/train.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.session_state["active_model"] == key
