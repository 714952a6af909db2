"""Gradient norms by backpropagation through time in NumPy (lstm_core.teaching.gradients): equal to
TensorFlow's GradientTape, and shaped as the textbook says on a fixed seed."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from helpers_models import random_network  # noqa: E402

from lstm_core.teaching import gradients  # noqa: E402
from lstm_core.inference.netweights import CellWeights  # noqa: E402

CLASSES = {"rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}


def _noisy(weights: CellWeights, rng, scale: float = 0.3) -> CellWeights:
    """Keras-like weights with some noise, so biases and gates are not at their neat initial values."""
    return CellWeights(*(np.asarray(a) + rng.normal(0, scale, np.shape(a))
                         for a in (weights.kernel, weights.recurrent_kernel, weights.bias)))


def _tape_norms(layers, xs: np.ndarray) -> np.ndarray:
    """||∂h_T/∂x_{T−1−k}|| from TensorFlow's GradientTape through Keras' own layers (float64)."""
    import keras
    import tensorflow as tf

    stack = []
    for depth, (cell, w) in enumerate(layers):
        layer = getattr(keras.layers, CLASSES[cell])(np.shape(w.recurrent_kernel)[0], dtype="float64",
                                                      return_sequences=depth < len(layers) - 1)
        layer.build((None, None, np.shape(w.kernel)[0]))
        layer.set_weights([w.kernel, w.recurrent_kernel, w.bias])
        stack.append(layer)
    x = tf.Variable(xs.astype("float64"))
    with tf.GradientTape() as tape:
        h = x
        for layer in stack:
            h = layer(h)
    jac = tape.batch_jacobian(h, x).numpy()  # (B, units, T, m)
    return np.sqrt((jac ** 2).sum(axis=(1, 3)))[:, ::-1]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_norms_equal_gradient_tape(cell):
    rng = np.random.default_rng(5)
    w = _noisy(gradients.keras_default_weights(cell, 4, 6, rng), rng)
    xs = rng.normal(0, 1.5, (3, 15, 4))
    mine = gradients.input_gradient_norms([(cell, w)], xs)
    tape = _tape_norms([(cell, w)], xs)
    assert mine.shape == (3, 15)
    np.testing.assert_allclose(mine, tape, rtol=1e-9, atol=1e-300)


def test_norms_through_a_stack_of_layers_equal_gradient_tape():
    rng = np.random.default_rng(6)
    layers = [("lstm", _noisy(gradients.keras_default_weights("lstm", 5, 7, rng), rng)),
              ("gru", _noisy(gradients.keras_default_weights("gru", 7, 6, rng), rng)),
              ("rnn", _noisy(gradients.keras_default_weights("rnn", 6, 4, rng), rng))]
    xs = rng.normal(0, 1, (2, 10, 5))
    np.testing.assert_allclose(gradients.input_gradient_norms(layers, xs), _tape_norms(layers, xs), rtol=1e-9)


def test_network_norms_are_with_respect_to_the_embedded_characters():
    net = random_network("gru", layers=2, units=5, vocab=10, embed=4, seed=2)
    ids = np.array([1, 4, 2, 9, 0, 3, 3])
    layers = [(layer.cell, layer.forward) for layer in net.layers]
    np.testing.assert_allclose(gradients.network_gradient_norms(net, ids),
                               gradients.input_gradient_norms(layers, net.embedding[ids]))
    tape = _tape_norms(layers, net.embedding[ids][None])[0]
    np.testing.assert_allclose(gradients.network_gradient_norms(net, ids), tape, rtol=1e-5)  # float32 embedding
    with pytest.raises(ValueError):
        gradients.network_gradient_norms(random_network("lstm", bidirectional=True), ids)


def test_large_layers_are_estimated_from_random_directions():
    rng = np.random.default_rng(1)
    w = gradients.keras_default_weights("rnn", 6, 120, rng)
    xs = rng.normal(0, 1, (30, 6))
    exact = gradients.input_gradient_norms([("rnn", w)], xs, max_rows=200)
    estimate = gradients.input_gradient_norms([("rnn", w)], xs, max_rows=64, seed=3)
    assert not gradients.exact(120) and gradients.exact(64)
    # 64 directions: the estimate of a squared norm has a relative spread of about sqrt(2/64) = 18%.
    assert np.all(np.abs(estimate / exact - 1) < 0.35)
    assert abs(np.exp(np.mean(np.log(estimate / exact))) - 1) < 0.1


def test_forward_pass_equals_the_engine():
    from lstm_core.inference import engine

    for cell in ("rnn", "gru", "lstm"):
        net = random_network(cell, units=5, vocab=8, embed=3, seed=4)
        ids = np.arange(8) % 8
        h = gradients.run(cell, net.layers[0].forward, net.embedding[ids][None])[0]
        np.testing.assert_allclose(h, engine.trace(net, ids).layers[0]["h"], atol=1e-5)


# ---------------------------------------------------------------- Keras' initial weights


def test_keras_default_weights_look_like_keras():
    import keras

    w = gradients.keras_default_weights("lstm", 8, 16, 0)
    assert w.kernel.shape == (8, 64) and w.recurrent_kernel.shape == (16, 64) and w.bias.shape == (64,)
    assert np.all(w.bias[16:32] == 1.0) and not np.any(w.bias[:16]) and not np.any(w.bias[32:])
    # Orthogonal recurrent kernel: orthonormal rows, as Keras' Orthogonal initializer makes them.
    np.testing.assert_allclose(w.recurrent_kernel @ w.recurrent_kernel.T, np.eye(16), atol=1e-10)
    rnn = gradients.keras_default_weights("rnn", 8, 16, 0, recurrent_scale=2.0)
    np.testing.assert_allclose(rnn.recurrent_kernel @ rnn.recurrent_kernel.T, 4 * np.eye(16), atol=1e-10)
    assert gradients.keras_default_weights("gru", 8, 16, 0).bias.shape == (2, 48)
    # Glorot-uniform: the same bound as Keras'.
    layer = keras.layers.LSTM(16)
    layer.build((None, None, 8))
    assert np.abs(w.kernel).max() <= np.sqrt(6 / (8 + 64))
    assert np.abs(layer.get_weights()[0]).max() <= np.sqrt(6 / (8 + 64))
    assert np.abs(w.kernel).max() > 0.8 * np.sqrt(6 / (8 + 64))


# ---------------------------------------------------------------- the shape of the curves (fixed seed)


@pytest.fixture(scope="module")
def noisy_sequences():
    """The memory test's kind of input: a one-hot letter, then 60 steps of loud noise (seed 0)."""
    rng = np.random.default_rng(0)
    xs = rng.normal(0, 2.0, (16, 61, 8))
    xs[:, 0] = np.eye(8)[rng.integers(0, 8, 16)]
    return xs


def _curve(cell, xs, **knobs):
    w = gradients.keras_default_weights(cell, 8, 16, np.random.default_rng(0), **knobs)
    return gradients.geometric_mean(gradients.input_gradient_norms([(cell, w)], xs))


def test_simple_rnn_gradient_vanishes_geometrically(noisy_sequences):
    curve = _curve("rnn", noisy_sequences)
    k = np.arange(1, 41)
    logs = np.log(curve[1:41])
    slope, intercept = np.polyfit(k, logs, 1)
    fitted = slope * k + intercept
    r2 = 1 - np.sum((logs - fitted) ** 2) / np.sum((logs - logs.mean()) ** 2)
    assert r2 > 0.98  # a straight line on the log scale: geometric decay
    rate = gradients.decay_per_step(curve, 1, 41)
    assert rate == pytest.approx(np.exp(slope))
    assert 0.3 < rate < 0.7
    assert curve[40] < 1e-10 * curve[0]
    assert np.all(np.diff(np.log(curve[1:41])) < 0.5)  # no step back makes it grow much


def test_lstm_forget_bias_keeps_the_gradient_and_simple_rnn_can_explode(noisy_sequences):
    rnn = _curve("rnn", noisy_sequences)
    lstm_default = _curve("lstm", noisy_sequences)
    lstm_remembering = _curve("lstm", noisy_sequences, forget_bias=6.0)
    gru = _curve("gru", noisy_sequences)
    rates = {name: gradients.decay_per_step(c, 1, 51) for name, c in
             (("rnn", rnn), ("lstm", lstm_default), ("lstm6", lstm_remembering), ("gru", gru))}
    # Untrained with Keras' defaults every cell forgets, the LSTM slowest (its forget gate ≈ σ(1) = 0.73).
    assert rates["rnn"] < rates["lstm"] < 0.9 and rates["gru"] < 0.8
    # With forget gates near 1 the LSTM's gradient hardly shrinks at all.
    assert rates["lstm6"] > 0.97
    assert lstm_remembering[50] > 1e-3 * lstm_remembering[1]
    assert lstm_remembering[50] > 1e6 * rnn[50]
    # Scaling the SimpleRNN's recurrent matrix up makes its gradient explode instead.
    assert gradients.decay_per_step(_curve("rnn", noisy_sequences, recurrent_scale=3.0), 1, 51) > 1.0
    assert gradients.decay_per_step(_curve("rnn", noisy_sequences, recurrent_scale=0.5), 1, 51) < rates["rnn"]


def test_decay_per_step_reads_a_geometric_curve():
    assert gradients.decay_per_step(0.5 ** np.arange(30)) == pytest.approx(0.5)
    assert gradients.decay_per_step(2.0 ** np.arange(30), 0, 10) == pytest.approx(2.0)
    assert np.isnan(gradients.decay_per_step(np.zeros(10)))
    assert gradients.geometric_mean(np.array([[1.0, 100.0], [100.0, 1.0]])) == pytest.approx([10.0, 10.0])


def test_bad_inputs_are_refused():
    w = gradients.keras_default_weights("rnn", 3, 4, 0)
    with pytest.raises(ValueError):
        gradients.input_gradient_norms([("rnn", w)], np.zeros((5, 2)))  # 2 inputs, layer expects 3
    with pytest.raises(ValueError):
        gradients.input_gradient_norms([], np.zeros((5, 3)))
    with pytest.raises(ValueError):
        gradients.input_gradient_norms([("transformer", w)], np.zeros((5, 3)))
