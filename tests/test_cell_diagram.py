"""The cell pictures: well-formed SVG, every part labelled, numbers only when given, text escaped."""

import base64
import html
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from ui.figures import cell_diagram as cd
from ui.figures.cell_diagram import GATE_COLOURS, format_value, gru_cell_svg, lstm_cell_svg, rnn_cell_svg

SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"\d\.\d{3}")

LSTM_VALUES = {"x": 0.5, "h_prev": -0.25, "c_prev": 1.234, "i": 0.731, "f": 0.912, "g": -0.462,
               "o": 0.655, "c": 0.788, "h": 0.432, "tanh_c": 0.657,
               "z_i": 1.0, "z_f": 2.34, "z_g": -0.5, "z_o": 0.64}
GRU_VALUES = {"x": 0.5, "h_prev": -0.25, "z": 0.8, "r": 0.3, "hh": -0.6, "h": 0.123}
RNN_VALUES = {"x": 0.5, "h_prev": -0.25, "h": 0.123, "z_h": -1.5}

FIGURES = {
    "lstm": (lstm_cell_svg, LSTM_VALUES,
             ["forget gate", "input gate", "candidate", "output gate", "cell state", "hidden state",
              "input x", "output h", "σ", "tanh", "×", "+"]),
    "gru": (gru_cell_svg, GRU_VALUES,
            ["update gate", "reset gate", "candidate", "hidden state", "input x", "output h", "1−z", "h˜"]),
    "rnn": (rnn_cell_svg, RNN_VALUES, ["tanh", "new state", "hidden state", "input x", "output h"]),
}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    """What each <text> element reads as (its subscripts joined in)."""
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


@pytest.fixture(params=sorted(FIGURES))
def figure(request):
    return FIGURES[request.param]


def test_svg_is_well_formed_scalable_and_titled(figure):
    draw, values, _ = figure
    for svg in (draw(), draw(values)):
        root = parse(svg)
        assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
        assert root.get("width") == "100%"
        assert "max-width:640px" in root.get("style")
        assert root[0].tag == f"{SVG}title" and root[0].text.strip()
        assert "sans-serif" in root.get("font-family")
    assert "max-width:900px" in parse(draw(width=900)).get("style")


def test_text_is_at_least_13px_at_the_default_width(figure):
    draw, values, _ = figure
    root = parse(draw(values))
    view_width = float(root.get("viewBox").split()[2])
    sizes = [float(e.get("font-size")) for e in root.iter() if e.get("font-size")]
    assert sizes and min(sizes) * 640 / view_width >= 13


def test_every_part_is_labelled_in_words_and_symbols(figure):
    draw, _, labels = figure
    joined = "\n".join(texts(parse(draw())))
    for label in labels:
        assert label in joined, label


def test_lstm_names_every_wire():
    found = texts(parse(lstm_cell_svg()))
    for name in ("f", "i", "g", "o", "ct−1", "ct", "ht−1", "ht"):
        assert name in found, name


def test_no_numbers_without_values(figure):
    draw, _, _ = figure
    assert not any(NUMBER.search(t) for t in texts(parse(draw())))


def test_every_given_value_is_printed(figure):
    draw, values, _ = figure
    found = texts(parse(draw(values)))
    joined = "\n".join(found)
    for key, value in values.items():
        assert format_value(value) in joined, key
    assert len([t for t in found if NUMBER.search(t)]) >= len(values)


def test_numbers_sit_on_the_named_wires():
    found = texts(parse(lstm_cell_svg(LSTM_VALUES)))
    for text in ("f = +0.912", "i = +0.731", "g = −0.462", "o = +0.655", "zf = +2.340", "zo = +0.640",
                 "input xt = +0.500"):
        assert text in found, text
    found = texts(parse(gru_cell_svg(GRU_VALUES)))
    for text in ("z = +0.800", "r = +0.300", "h˜ = −0.600"):  # h̃ is drawn as h with a raised tilde
        assert text in found, text


def test_missing_keys_are_not_drawn_and_unknown_keys_ignored():
    found = texts(parse(lstm_cell_svg({"f": 0.5, "not a quantity": 3.0, "g": None})))
    assert [t for t in found if NUMBER.search(t)] == ["f = +0.500"]
    assert "g" in found  # the wire keeps its name


def test_numpy_scalars_are_accepted():
    found = texts(parse(gru_cell_svg({"z": np.float32(0.25), "h": np.float64(-1)})))
    assert "z = +0.250" in found and "−1.000" in found


def test_format_value():
    assert format_value(0.9124) == "+0.912"
    assert format_value(-0.25) == "−0.250"  # a true minus sign, not a hyphen
    assert format_value(-0.0001) == "0.000"
    assert format_value(12.34567) == "+12.346"
    assert format_value(float("nan")) == "NaN"
    assert format_value(float("-inf")) == "−∞"


def test_label_text_is_escaped():
    canvas = cd._Canvas(100)
    canvas.text(0, 20, "a<b & c_{<t>} </text><script>x</script>")
    svg = canvas.svg("title <&> here", "desc", 640)
    root = parse(svg)
    assert {e.tag.removeprefix(SVG) for e in root.iter()} <= {"svg", "title", "desc", "rect", "text", "tspan"}
    assert texts(root) == ["a<b & c<t> </text><script>x</script>"]
    assert root[0].text == "title <&> here"
    # In the markup itself, no text node carries a raw "<" or "&".
    for node in re.findall(r">([^<]*)<", svg):
        assert "<" not in node and re.fullmatch(r"([^&]|&(lt|gt|amp|quot|#x27);)*", node), node


def test_streamlit_gets_an_img_that_survives_its_sanitiser(figure):
    """st.html prefers _repr_html_; its DOMPurify profile would delete an inline <svg>."""
    draw, values, _ = figure
    svg = draw(values, width=720)
    assert isinstance(svg, str)
    tag = svg._repr_html_()
    assert tag.startswith("<img ") and "<svg" not in tag
    src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', tag).group(1)
    assert base64.b64decode(src).decode("utf-8") == svg
    assert parse(svg)[0].text in html.unescape(re.search(r'alt="([^"]*)"', tag).group(1))
    assert "max-width:720px" in tag


def test_no_raw_markup_characters_in_any_figure(figure):
    draw, values, _ = figure
    svg = draw(values)
    for node in re.findall(r">([^<]*)<", svg):
        assert re.fullmatch(r"([^&>]|&(lt|gt|amp|quot|#x27);)*", node), node


def test_figures_use_no_ids_so_several_fit_on_one_page(figure):
    draw, values, _ = figure
    assert not [e for e in parse(draw(values)).iter() if e.get("id")]


def test_gate_colours_are_distinct_hex_and_used():
    assert set(GATE_COLOURS) == {"i", "f", "g", "o", "c", "h"}
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in GATE_COLOURS.values())
    assert len(set(GATE_COLOURS.values())) == len(GATE_COLOURS)
    svg = lstm_cell_svg()
    for colour in GATE_COLOURS.values():
        assert colour in svg
