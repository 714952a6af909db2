"""One step in the open (lstm_core.teaching.anatomy): equal to the engine and to Keras; parameter counts
equal to Keras' count_params."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from helpers_models import random_network  # noqa: E402

from lstm_core.teaching import anatomy  # noqa: E402

from lstm_core.inference import engine  # noqa: E402
from lstm_core.inference.netweights import CellWeights  # noqa: E402
from lstm_core.inference.params import recurrent_params  # noqa: E402

TOL_ENGINE = 1e-5  # float64 in the open against the engine's float32
TOL_KERAS = 1e-5


def _trace(net, length: int = 25, seed: int = 0):
    ids = np.random.default_rng(seed).integers(0, net.vocab_size, length)
    return engine.trace(net, ids)


# ---------------------------------------------------------------- the arithmetic itself


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_unit_step_is_the_textbook_formula_by_hand(cell):
    """Recompute one unit with plain Python loops over Keras' weights: the same numbers."""
    rng = np.random.default_rng(3)
    m, n, u = 3, 4, 2
    g = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    W, U = rng.normal(0, 0.7, (m, g * n)), rng.normal(0, 0.7, (n, g * n))
    b = rng.normal(0, 0.7, (2, g * n) if cell == "gru" else (g * n,))
    x, h, c = rng.normal(0, 1, m), rng.normal(0, 0.5, n), rng.normal(0, 1, n)
    step = anatomy.unit_step(cell, CellWeights(W, U, b), u, x, h, c)

    def dot(vec, mat, col):
        return sum(vec[j] * mat[j, col] for j in range(len(vec)))

    def sig(z):
        return 1 / (1 + np.exp(-z))

    if cell == "lstm":
        z = {name: dot(x, W, k * n + u) + dot(h, U, k * n + u) + b[k * n + u] for k, name in enumerate("ifgo")}
        i, f, gg, o = sig(z["i"]), sig(z["f"]), np.tanh(z["g"]), sig(z["o"])
        c_new = f * c[u] + i * gg
        expected = {"i": i, "f": f, "g": gg, "o": o}
        assert step.c == pytest.approx(c_new, abs=1e-12)
        assert step.h == pytest.approx(o * np.tanh(c_new), abs=1e-12)
        for name in "ifgo":
            assert step.terms[name].pre == pytest.approx(z[name], abs=1e-12)
    elif cell == "gru":
        pre = [dot(x, W, k * n + u) + b[0, k * n + u] for k in range(3)]
        rec = [dot(h, U, k * n + u) + b[1, k * n + u] for k in range(3)]
        z, r = sig(pre[0] + rec[0]), sig(pre[1] + rec[1])
        hh = np.tanh(pre[2] + r * rec[2])
        expected = {"z": z, "r": r, "hh": hh}
        assert step.h == pytest.approx(z * h[u] + (1 - z) * hh, abs=1e-12)
        assert step.terms["hh"].reset == pytest.approx(r, abs=1e-12)
    else:
        z = dot(x, W, u) + dot(h, U, u) + b[u]
        expected = {"h": np.tanh(z)}
        assert step.h == pytest.approx(np.tanh(z), abs=1e-12)
    for name, value in expected.items():
        term = step.terms[name]
        assert term.value == pytest.approx(value, abs=1e-12)
        # The dot products' terms add up to the dot products, and those to the pre-activation.
        assert term.x_products.sum() == pytest.approx(term.x_dot, abs=1e-12)
        assert term.h_products.sum() == pytest.approx(term.h_dot, abs=1e-12)


def test_sigmoid_is_stable_for_extreme_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = anatomy.sigmoid(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]))
    assert values[0] == 0.0 and values[2] == 0.5 and values[-1] == 1.0


# ---------------------------------------------------------------- against the engine


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 2])
def test_open_step_equals_the_engine_at_every_position(cell, layers):
    net = random_network(cell, layers=layers, units=6, vocab=11, embed=5, seed=layers)
    tr = _trace(net, 20, seed=layers)
    for layer in range(layers):
        for position in (0, 1, 7, 19):
            step = anatomy.open_step(net, tr, layer, position, unit=position % 6)
            assert anatomy.engine_difference(step, tr, layer, position) < TOL_ENGINE
            forward = tr.layers[layer].forward
            assert step.h == pytest.approx(float(forward["h"][position, step.unit]), abs=TOL_ENGINE)
            if cell == "lstm":
                assert step.c == pytest.approx(float(forward["c"][position, step.unit]), abs=TOL_ENGINE)
                for gate in "ifgo":
                    assert step.terms[gate].pre == pytest.approx(float(forward[f"z_{gate}"][position, step.unit]),
                                                                 abs=TOL_ENGINE)


def test_step_inputs_come_from_the_embedding_and_the_layer_below():
    net = random_network("lstm", layers=2, units=5, vocab=9, embed=4, seed=4)
    tr = _trace(net, 8)
    x, h_prev, c_prev = anatomy.step_inputs(net, tr, 0, 3)
    assert np.array_equal(x, net.embedding[tr.ids[3]])
    assert np.array_equal(h_prev, tr.layers[0].forward["h"][2]) and np.array_equal(c_prev, tr.layers[0].forward["c"][2])
    x, h_prev, c_prev = anatomy.step_inputs(net, tr, 1, 0)
    assert np.array_equal(x, tr.layers[0].output[0])
    assert not h_prev.any() and not c_prev.any()  # every text starts from the zero state
    with pytest.raises(ValueError):
        anatomy.step_inputs(net, tr, 0, 8)


def test_wire_values_feed_the_cell_diagrams():
    from ui.figures.cell_diagram import format_value, gru_cell_svg, lstm_cell_svg, rnn_cell_svg

    for cell, draw in (("lstm", lstm_cell_svg), ("gru", gru_cell_svg), ("rnn", rnn_cell_svg)):
        net = random_network(cell, units=4, seed=1)
        tr = _trace(net, 6)
        step = anatomy.open_step(net, tr, 0, 5, 2)
        values = step.wire_values()
        svg = draw(values)
        assert format_value(values["h"]) in svg and format_value(values["h_prev"]) in svg
        if cell == "lstm":
            assert set(values) >= {"i", "f", "g", "o", "c", "c_prev", "h_prev", "tanh_c", "z_f"}
            assert values["tanh_c"] == pytest.approx(np.tanh(values["c"]))


def test_bad_unit_is_refused():
    net = random_network("rnn", units=3)
    with pytest.raises(ValueError):
        anatomy.open_step(net, _trace(net, 4), 0, 1, unit=3)


# ---------------------------------------------------------------- against Keras


@pytest.fixture(scope="module")
def keras_models(tmp_path_factory):
    """A tiny character model per cell kind (two layers), saved, with weights large enough that
    gates really open and close."""
    from lstm_core.training.keras_model import build_char_model
    from lstm_core.inference.keras_config import from_keras_model
    from lstm_core.spec import ModelSpec

    out = {}
    for k, cell in enumerate(("lstm", "gru", "rnn")):
        spec = ModelSpec(vocab_size=9, cell=cell, layers=2, units=5, embed_dim=4)
        model = build_char_model(spec, seed=k)
        rng = np.random.default_rng(k)
        model.set_weights([rng.normal(0, 0.6, w.shape).astype("float32") for w in model.get_weights()])
        path = tmp_path_factory.mktemp(cell) / "model.keras"
        model.save(path)
        out[cell] = (model, from_keras_model(model), path)
    return out


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_step_equals_keras_own_output(cell, keras_models):
    """The open step's h_t (and c_t) for every unit equals Keras' layer run up to t; both ways of
    asking Keras (the saved file, or a fresh layer with the weights) agree."""
    import keras

    model, net, path = keras_models[cell]
    ids = np.random.default_rng(7).integers(0, 9, 12)
    tr = engine.trace(net, ids)
    for layer, position in ((0, 0), (0, 11), (1, 6)):
        step = anatomy.open_step(net, tr, layer, position, unit=1)
        # Directly: a Keras sub-model up to this layer, run on the text up to t.
        rec = [kind for kind in model.layers if type(kind).__name__ in ("LSTM", "GRU", "SimpleRNN")][layer]
        sub = keras.Model(model.inputs, rec.output)
        seq = np.asarray(sub([ids[None, :position + 1]], training=False))[0]
        assert np.max(np.abs(seq[-1] - step.layer_out["h"])) < TOL_KERAS
        for source_file in (path, None):
            check = anatomy.keras_check(net, tr, layer, position, step, source_file)
            assert check.source == ("file" if source_file else "weights")
            assert check.h_difference < TOL_KERAS
            if cell == "lstm":
                assert check.c_difference is not None and check.c_difference < TOL_KERAS
            else:
                assert check.c_difference is None
            assert check.difference < TOL_KERAS


def test_keras_check_ignores_a_file_with_other_weights(keras_models):
    _, net, _ = keras_models["lstm"]
    _, _, other_file = keras_models["gru"]
    tr = engine.trace(net, [1, 2, 3])
    step = anatomy.open_step(net, tr, 0, 2, 0)
    check = anatomy.keras_check(net, tr, 0, 2, step, other_file)
    assert check.source == "weights" and check.difference < TOL_KERAS


def test_pretrained_model_step_equals_keras():
    from lstm_core.storage.persistence import DEFAULT_MODEL, load_model_folder

    loaded = load_model_folder(DEFAULT_MODEL)
    ids = loaded.vocab.encode("To be, or not to be").ids
    tr = engine.trace(loaded.net, ids)
    step = anatomy.open_step(loaded.net, tr, 0, len(ids) - 1, 7)
    assert anatomy.engine_difference(step, tr, 0, len(ids) - 1) < TOL_ENGINE
    check = anatomy.keras_check(loaded.net, tr, 0, len(ids) - 1, step, DEFAULT_MODEL / "model.keras")
    assert check.source == "file" and check.difference < TOL_KERAS


# ---------------------------------------------------------------- counting parameters


def test_textbook_counts_and_their_parts():
    row = anatomy.recurrent_row("lstm", 300, 50)
    assert (row.count, row.kernel, row.recurrent, row.biases) == (70_200, 60_000, 10_000, 200)
    row = anatomy.recurrent_row("lstm", 32, 40)
    assert (row.count, row.kernel, row.recurrent, row.biases) == (11_680, 5_120, 6_400, 160)
    assert anatomy.recurrent_row("gru", 32, 40).count == 3 * (32 + 40 + 2) * 40
    assert anatomy.recurrent_row("rnn", 32, 40).count == (32 + 40 + 1) * 40
    for cell in ("lstm", "gru", "rnn"):
        assert anatomy.recurrent_row(cell, 17, 9).count == recurrent_params(cell, 17, 9)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("shape", [dict(input_size=300, units=50), dict(input_size=32, units=40),
                                   dict(input_size=6, units=5, layers=3, vocab=13, outputs=13),
                                   dict(input_size=7, units=3, layers=2, outputs=4)])
def test_counts_equal_keras_count_params(cell, shape):
    rows = anatomy.count_rows(cell, **shape)
    assert [r.count for r in rows] == anatomy.keras_counts(cell, **shape)


def test_count_rows_describe_each_layer():
    rows = anatomy.count_rows("gru", input_size=8, units=4, layers=2, vocab=10, outputs=10)
    assert [r.name for r in rows] == ["Embedding", "GRU 1", "GRU 2", "Dense (output)"]
    assert rows[0].count == 80 and rows[1].formula == "3·(m + n + 2)·n = 3·(8 + 4 + 2)·4"
    assert rows[2].formula.endswith("3·(4 + 4 + 2)·4") and rows[3].count == (4 + 1) * 10
    assert anatomy.total(rows) == sum(r.count for r in rows)
    with pytest.raises(ValueError):
        anatomy.count_rows("lstm", input_size=0, units=3)
