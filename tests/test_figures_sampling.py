"""The Sample page's figures draw the right data: probabilities, the drawn character, entropy."""

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from lstm_core.inference import sampling
from lstm_core.data.vocab import UNKNOWN_GLYPH, CharVocab
from ui.sample import figures as figs

VOCAB = CharVocab(list("\n !',.:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
CHARS = [VOCAB.char_of(i) for i in range(VOCAB.size)]


def typical_logits(seed: int = 0) -> np.ndarray:
    """A character-model-like distribution: a few likely characters, a long tail."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2.0, VOCAB.size)
    z[0] = -4.0  # the unknown slot: the model hardly ever predicts it
    return z


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def bars(fig: go.Figure):
    return [t for t in fig.data if t.type == "bar"]


@pytest.mark.parametrize("temperature, top_k, top_p", [(1.0, None, None), (0.5, 10, None), (2.0, None, 0.9),
                                                       (0.0, None, None), (1.0, 1, None), (1.0, None, 0.01)])
def test_distribution_bars_show_the_two_distributions(temperature, top_k, top_p):
    z = typical_logits()
    model = softmax(z)
    used = sampling.adjust(z, temperature, top_k, top_p)
    drawn = int(np.argmax(used))
    fig = figs.distribution_figure(model, used, CHARS, drawn, top=20)
    before, after = bars(fig)
    ids = figs.top_indices(model, used, drawn, 20)
    assert len(before.y) == len(after.y) == 20
    np.testing.assert_allclose(before.y, model[ids])
    np.testing.assert_allclose(after.y, used[ids])
    # The shown bars are part of a distribution: never more than 1 in all.
    assert sum(before.y) <= 1 + 1e-9 and sum(after.y) <= 1 + 1e-9
    assert all(y >= 0 for y in before.y) and all(y >= 0 for y in after.y)
    # Likeliest first.
    assert list(np.maximum(before.y, after.y)) == sorted(np.maximum(before.y, after.y), reverse=True)


def test_the_drawn_character_is_highlighted_even_when_unlikely():
    z = typical_logits(1)
    model = softmax(z)
    used = sampling.adjust(z, 3.0)
    drawn = int(np.argsort(model)[1])  # the second least likely: far outside the top 20
    assert drawn not in np.argsort(-model)[:20]
    fig = figs.distribution_figure(model, used, CHARS, drawn, top=20)
    before, after = bars(fig)
    position = list(figs.top_indices(model, used, drawn, 20)).index(drawn)
    assert position == 19
    for trace, colour in ((before, figs.DRAWN_MODEL_COLOUR), (after, figs.DRAWN_USED_COLOUR)):
        colours = list(trace.marker.color)
        assert colours[position] == colour
        assert colours.count(colour) == 1  # only the drawn character
    assert "<b>" in fig.layout.xaxis.ticktext[position]
    assert sum("<b>" in t for t in fig.layout.xaxis.ticktext) == 1
    assert fig.layout.annotations[0].x == position and fig.layout.annotations[0].text == "drawn"
    np.testing.assert_allclose(after.y[position], used[drawn])


def test_characters_are_shown_readably():
    assert figs.display_char("\n") == "⏎"
    assert figs.display_char(" ") == "␣"
    assert figs.display_char("\t") == "⇥"
    assert figs.display_char("e") == "e"
    assert figs.display_char("\x07") == "U+0007"
    assert figs.display_char(UNKNOWN_GLYPH) == "�"
    model = np.zeros(VOCAB.size)
    model[VOCAB.id_of("\n")], model[VOCAB.id_of(" ")], model[VOCAB.id_of("e")] = 0.5, 0.3, 0.2
    fig = figs.distribution_figure(model, model, CHARS, VOCAB.id_of(" "), top=3)
    labels = [t.replace("</span></b>", "").split(">")[-1] for t in fig.layout.xaxis.ticktext]
    assert labels == ["⏎", "␣", "e"]


def test_distribution_checks_its_inputs():
    with pytest.raises(ValueError):
        figs.distribution_figure(np.ones(3) / 3, np.ones(4) / 4, ["a", "b", "c"], 0)
    with pytest.raises(ValueError):
        figs.distribution_figure(np.ones(3) / 3, np.ones(3) / 3, ["a", "b"], 0)


def test_top_indices_never_exceed_the_vocabulary():
    p = np.array([0.0, 0.5, 0.3, 0.2])
    assert list(figs.top_indices(p, p, 3, top=20)) == [1, 2, 3, 0]


def curve(fig: go.Figure):
    return fig.data[0]


def test_entropy_curve_is_monotone_and_in_bits():
    z = typical_logits(2)
    fig = figs.entropy_figure(z, 0.8)
    line = curve(fig)
    x, y = np.asarray(line.x), np.asarray(line.y)
    assert x[0] == pytest.approx(0.05) and x[-1] == pytest.approx(5.0)
    assert fig.layout.xaxis.type == "log"
    assert "bits" in fig.layout.yaxis.title.text
    assert np.all(np.diff(y) >= -1e-9), "entropy must not fall as the temperature rises"
    assert y[-1] <= math.log2(VOCAB.size - 1) + 1e-9  # at most: every possible character equally likely
    np.testing.assert_allclose(y, sampling.entropy_curve(z, x) / math.log(2))


def test_entropy_marks_the_chosen_temperature():
    z = typical_logits(3)
    fig = figs.entropy_figure(z, 0.8)
    marker = fig.data[1]
    assert list(marker.x) == [0.8]
    assert marker.y[0] == pytest.approx(sampling.entropy(sampling.adjust(z, 0.8)) / math.log(2))
    assert len(fig.data) == 2  # no top-k/top-p: no second marker


def test_greedy_point_sits_at_zero_entropy():
    z = typical_logits(4)
    fig = figs.entropy_figure(z, 0.0)
    marker = fig.data[1]
    assert marker.y[0] == 0.0
    assert marker.x[0] == pytest.approx(0.05)  # temperature 0 cannot sit on a log axis: the left edge
    assert "greedy" in marker.text[0]


def test_entropy_shows_the_cut_of_top_k_and_top_p():
    z = typical_logits(5)
    fig = figs.entropy_figure(z, 1.2, top_k=3, top_p=0.9)
    cut = fig.data[2]
    expected = sampling.entropy(sampling.adjust(z, 1.2, 3, 0.9)) / math.log(2)
    assert cut.y[0] == pytest.approx(expected)
    assert cut.y[0] <= math.log2(3) + 1e-9 < fig.data[1].y[0]


def test_entropy_from_stored_probabilities_matches_logits():
    z = typical_logits(6)
    p = softmax(z).astype(np.float32)
    np.testing.assert_allclose(sampling.entropy_curve(figs.logits_from_probs(p), [0.3, 1, 3]),
                               sampling.entropy_curve(z, [0.3, 1, 3]), rtol=1e-4)
    # A probability of exactly 0 becomes an impossible (-inf) logit, not a warning or a NaN.
    p[5] = 0
    logits = figs.logits_from_probs(p)
    assert logits[5] == -np.inf
    assert np.isfinite(sampling.entropy_curve(logits, [0.5, 2])).all()


def test_figures_module_does_not_use_streamlit():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(figs))
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in getattr(node, "names", [])}
    modules = {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "streamlit" not in names | modules
