"""The Gates page's figures: shapes and axes, colour scales, glyphs, and escaping of hostile text."""

import re

import numpy as np
import plotly.graph_objects as go
import pytest

from ui.figures import gates as fg

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(1)> \"q\" 'a' &amp;"


# ---------------------------------------------------------------- scales


def test_value_ranges_per_quantity():
    for q in ("i", "f", "o", "z", "r"):
        assert fg.value_range(q) == (0.0, 1.0)
    for q in ("g", "tanh_c", "h", "hh"):
        assert fg.value_range(q) == (-1.0, 1.0)
    assert fg.value_range("c", np.array([[0.5, -3.0], [2.0, 1.0]])) == (-3.0, 3.0)
    assert fg.value_range("c", np.zeros((3, 2))) == (-0.01, 0.01)


def test_colour_scale_runs_blue_white_red_and_clips():
    assert fg.colour_of(0.0, 0.0, 1.0) == fg.LOW_RGB
    assert fg.colour_of(0.5, 0.0, 1.0) == fg.MID_RGB
    assert fg.colour_of(1.0, 0.0, 1.0) == fg.HIGH_RGB
    assert fg.colour_of(7.0, -1.0, 1.0) == fg.HIGH_RGB
    assert fg.colour_of(float("nan"), 0.0, 1.0) == fg.MID_RGB


def test_glyphs_for_whitespace():
    assert fg.glyph("\n") == "⏎"
    assert fg.glyph(" ") == "␣"
    assert fg.glyph("a") == "a"


def test_top_guesses_are_sorted_and_named():
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
    guesses = fg.top_guesses(probs, lambda i: "xyz"[i], k=2)
    assert guesses == [[("y", pytest.approx(0.6)), ("z", pytest.approx(0.3))],
                       [("x", pytest.approx(0.5)), ("z", pytest.approx(0.3))]]
    assert fg.top_guesses(np.zeros((0, 3)), str) == []


# ---------------------------------------------------------------- coloured text


def _spans(markup: str) -> list[str]:
    return re.findall(r'<span data-pos="\d+"[^>]*>', markup)


def test_coloured_text_has_one_span_per_character_and_keeps_newlines():
    text = "ab c\nd"
    markup = fg.colored_text_html(text, np.linspace(0, 1, len(text)), 0.0, 1.0)
    assert len(_spans(markup)) == len(text)
    assert "white-space:pre-wrap" in markup
    assert "⏎</span></span>\n" in markup  # the newline is drawn, then kept as a line break
    assert "rgb(33,102,172)" in markup and "rgb(178,24,43)" in markup


def test_coloured_text_escapes_hostile_text_and_tooltips():
    text = HOSTILE
    tips = [fg.tooltip(c, t, "forget gate f", 3, 0.5, [(c, 0.5), ("<", 0.2)]) for t, c in enumerate(text)]
    markup = fg.colored_text_html(text, np.full(len(text), 0.5), 0.0, 1.0, tooltips=tips)
    assert "<script" not in markup and "<img" not in markup
    assert "&lt;script&gt;" not in markup  # characters are escaped one by one, each in its own span
    assert "&lt;" in markup and "&gt;" in markup and "&quot;" in markup and "&#x27;" in markup
    # Inside attributes nothing can close the attribute early.
    for title in re.findall(r'title="([^"]*)"', markup):
        assert "<" not in title and ">" not in title
    assert len(re.findall(r'title="', markup)) == len(text)
    # Unescaping the visible characters gives the text back.
    import html as html_module
    shown = re.findall(r'<span data-pos="\d+"[^>]*>(.*?)</span>', markup)
    assert html_module.unescape("".join(shown)) == text


def test_unknown_characters_are_outlined_and_pattern_underlined():
    text = "abcd"
    markup = fg.colored_text_html(text, np.zeros(4), -1, 1, unknown_positions=[1],
                                  underline=[False, False, True, True])
    spans = _spans(markup)
    assert "dashed" in spans[1] and not any("dashed" in s for i, s in enumerate(spans) if i != 1)
    assert [("box-shadow" in s) for s in spans] == [False, False, True, True]


def test_coloured_text_checks_lengths():
    with pytest.raises(ValueError):
        fg.colored_text_html("abc", [0, 1], 0, 1)
    with pytest.raises(ValueError):
        fg.colored_text_html("abc", [0, 1, 0], 0, 1, tooltips=["x"])


def test_tooltip_names_value_unit_and_guesses():
    tip = fg.tooltip("\n", 12, "forget gate f", 7, -0.25, [(" ", 0.5), ("e", 0.25)], unknown=True)
    assert "⏎" in tip and "position 12" in tip and "unit 7" in tip and "−0.250" in tip
    assert "␣" in tip and "50.0%" in tip and "vocabulary" in tip


def test_legend_escapes_its_label():
    markup = fg.legend_html(0.0, 1.0, "<b>unit</b>", pattern=True, unknown=True)
    assert "&lt;b&gt;unit&lt;/b&gt;" in markup
    assert "linear-gradient" in markup and "dashed" in markup and "box-shadow" in markup


# ---------------------------------------------------------------- heat map


def test_heatmap_has_units_as_rows_and_characters_as_columns():
    text = "to be\nor"
    units = [5, 2, 9]
    values = np.random.default_rng(0).random((len(text), len(units)))
    fig = fg.units_heatmap(values, text, units, quantity_label="forget gate f", lo=0, hi=1,
                           first_position=10, symbol="f")
    assert isinstance(fig, go.Figure)
    heat = fig.data[0]
    assert isinstance(heat, go.Heatmap)
    assert np.asarray(heat.z).shape == (3, len(text))
    np.testing.assert_allclose(np.asarray(heat.z)[0], values[:, 0])
    assert list(heat.y) == ["unit 5", "unit 2", "unit 9"]
    assert list(heat.x) == list(range(10, 10 + len(text)))
    assert (heat.zmin, heat.zmax) == (0, 1)
    assert list(fig.layout.xaxis.ticktext) == ["t", "o", "␣", "b", "e", "⏎", "o", "r"]
    assert fig.layout.yaxis.autorange == "reversed"
    assert "unit" not in heat.hovertemplate or "%{y}" in heat.hovertemplate
    assert "%{customdata}" in heat.hovertemplate and "%{z:.3f}" in heat.hovertemplate
    assert heat.customdata[0][2] == "“␣” (position 12)"


def test_heatmap_marks_the_chosen_unit():
    fig = fg.units_heatmap(np.zeros((2, 3)), "ab", [4, 2, 0], quantity_label="h", lo=-1, hi=1, highlight=2)
    assert list(fig.data[0].y) == ["unit 4", "▶ unit 2", "unit 0"]


def test_heatmap_thins_labels_for_long_windows_and_checks_shape():
    text = "x" * 300
    fig = fg.units_heatmap(np.zeros((300, 2)), text, [0, 1], quantity_label="h", lo=-1, hi=1)
    assert len(fig.layout.xaxis.tickvals) <= 120
    with pytest.raises(ValueError):
        fg.units_heatmap(np.zeros((3, 2)), "ab", [0, 1], quantity_label="h", lo=-1, hi=1)


def test_heatmap_hover_escapes_quantity_label():
    fig = fg.units_heatmap(np.zeros((2, 1)), "ab", [0], quantity_label="<b>x</b>", lo=0, hi=1)
    assert "<b>x</b>" not in fig.data[0].hovertemplate


# ---------------------------------------------------------------- saturation and ranking


def test_saturation_figure_has_a_trace_per_gate_and_a_diagonal():
    left = np.array([0.1, 0.2, 0.0])
    right = np.array([0.8, 0.1, 1.0])
    fig = fg.saturation_figure({"i": (left, right), "f": (left, right), "o": (left, right)},
                               labels=fg.QUANTITY_LABELS["lstm"])
    names = [t.name for t in fig.data]
    assert names[1:] == ["input gate i", "forget gate f", "output gate o"]
    diagonal = fig.data[0]
    assert list(diagonal.x) == [0, 1] and list(diagonal.y) == [1, 0]
    assert list(fig.data[2].x) == left.tolist() and list(fig.data[2].y) == right.tolist()
    assert fig.data[2].marker.color == fg.GATE_COLOURS["f"]
    assert "left-saturated" in fig.layout.xaxis.title.text
    assert "right-saturated" in fig.layout.yaxis.title.text


def test_saturation_figure_for_gru_uses_gru_colours():
    fig = fg.saturation_figure({"z": ([0.1], [0.2]), "r": ([0.3], [0.4])}, cell="gru")
    assert fig.data[1].marker.color == fg.GRU_COLOURS["z"]
    with pytest.raises(ValueError):
        fg.saturation_figure({"z": ([0.1, 0.2], [0.2])})


def test_ranking_figure_bars_best_first_coloured_by_direction():
    fig = fg.ranking_figure([4, 1, 7], [0.95, 0.8, 0.6], [1, -1, 0])
    bar = fig.data[0]
    assert list(bar.y) == ["unit 4", "unit 1", "unit 7"]
    assert list(bar.x) == [0.95, 0.8, 0.6]
    assert list(bar.marker.color)[:2] == [f"rgb{fg.HIGH_RGB}", f"rgb{fg.LOW_RGB}"]
    assert fig.layout.yaxis.autorange == "reversed"
    with pytest.raises(ValueError):
        fg.ranking_figure([1], [0.5, 0.6], [1])


def test_no_streamlit_import():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(fg.__file__).read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert "streamlit" not in imported
