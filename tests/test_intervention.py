"""Changing units to test what they do: silencing, clamping a gate, shifting the forget-gate bias."""

import numpy as np
import pytest

from helpers_models import random_network
from lstm_core.inference.engine import softmax, trace
from lstm_core.inference.intervention import NOISE_NATS, Change, Effect, changed, effect

IDS = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4])


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_changing_nothing_changes_nothing(cell):
    net = random_network(cell, layers=2, seed=1)
    result = effect(net, changed(net, Change(layer=1)), IDS)
    np.testing.assert_array_equal(result.before, result.after)
    assert result.worst() == []


def test_float32_noise_is_no_loss():
    """Copied weights can differ from the original in the last bits on some processors: not a loss."""
    before = np.log(np.full(5, 0.5))
    after = before - np.array([NOISE_NATS / 10, 0.0, NOISE_NATS / 2, 0.3, 2 * NOISE_NATS])
    assert Effect(before, after).worst() == [3, 4]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_silencing_every_unit_of_the_last_layer_leaves_the_output_layers_bias(cell):
    net = random_network(cell, layers=2, units=6, seed=2)
    silent = changed(net, Change(layer=1, silence=tuple(range(6))))
    expected = softmax(np.asarray(net.head.bias, dtype=np.float64)[None, :])[0]
    probs = trace(silent, IDS).probs
    np.testing.assert_allclose(probs, np.broadcast_to(expected, probs.shape), atol=1e-6)


def _lstm_reference(net, ids, silent):
    """A plain one-layer LSTM forward pass in which every reader sees h_j = 0 for silenced units j."""
    layer = net.layers[0].forward
    W, U, b = (np.asarray(a, np.float64) for a in (layer.kernel, layer.recurrent_kernel, layer.bias))
    n = U.shape[0]
    mask = np.ones(n)
    mask[list(silent)] = 0.0
    h, c, out = np.zeros(n), np.zeros(n), []
    for t in ids:
        z = np.asarray(net.embedding[t], np.float64) @ W + (h * mask) @ U + b
        i, f, g, o = (z[k * n:(k + 1) * n] for k in range(4))
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        logits = (h * mask) @ np.asarray(net.head.kernel, np.float64) + net.head.bias
        out.append(softmax(logits[None, :])[0])
    return np.array(out)


def test_a_silenced_unit_is_heard_by_nobody():
    net = random_network("lstm", layers=1, units=7, seed=3)
    silent = (2, 5)
    probs = trace(changed(net, Change(layer=0, silence=silent)), IDS).probs
    np.testing.assert_allclose(probs, _lstm_reference(net, IDS, silent), atol=1e-5)
    assert not np.allclose(probs, trace(net, IDS).probs, atol=1e-3)  # and it mattered


def test_a_silenced_unit_of_a_lower_layer_is_not_read_by_the_layer_above():
    net = random_network("gru", layers=2, units=5, seed=4)
    edited = changed(net, Change(layer=0, silence=(1,)))
    ours, theirs = trace(edited, IDS), trace(net, IDS)
    # The layer above no longer reads unit 1, so what it computes, and the prediction, change.
    assert not np.allclose(ours.layers[1]["h"], theirs.layers[1]["h"])
    assert np.abs(ours.probs - theirs.probs).max() > 1e-4


def test_clamped_gates_hold_their_value_and_the_memory_follows():
    net = random_network("lstm", layers=1, units=6, seed=5)
    keep_nothing_new = changed(net, Change(layer=0, clamp=((3, "f", 1), (3, "i", 0))))
    layer = trace(keep_nothing_new, IDS).layers[0]
    assert np.all(layer["f"][:, 3] == 1.0) and np.all(layer["i"][:, 3] == 0.0)
    assert np.all(layer["c"][:, 3] == 0.0)  # c = 1·c_prev + 0·g from c = 0: it never moves
    forget_all = trace(changed(net, Change(layer=0, clamp=((1, "f", 0),))), IDS).layers[0]
    np.testing.assert_allclose(forget_all["c"][:, 1], forget_all["i"][:, 1] * forget_all["g"][:, 1], atol=1e-6)
    gru = random_network("gru", layers=1, units=4, seed=6)
    assert np.all(trace(changed(gru, Change(layer=0, clamp=((0, "z", 1),))), IDS).layers[0]["h"][:, 0] == 0.0)


def test_a_forget_bias_shift_moves_the_forget_gates_pre_activation_by_that_much():
    net = random_network("lstm", layers=1, units=6, seed=7)
    before = trace(net, IDS[:1]).layers[0]["z_f"][0]
    after = trace(changed(net, Change(layer=0, forget_shift=((4, 2.5),))), IDS[:1]).layers[0]["z_f"][0]
    np.testing.assert_allclose(after - before, np.eye(6)[4] * 2.5, atol=1e-5)


def test_impossible_changes_are_refused_in_words():
    net = random_network("gru", layers=1, units=4)
    for change, words in ((Change(layer=2), "no layer 3"), (Change(layer=0, silence=(9,)), "units 0 to 3"),
                          (Change(layer=0, clamp=((0, "f", 1),)), "no gate f"),
                          (Change(layer=0, forget_shift=((0, 1.0),)), "Only an LSTM")):
        with pytest.raises(ValueError, match=words):
            changed(net, change)
    with pytest.raises(ValueError, match="bidirectional"):
        changed(random_network("lstm", bidirectional=True), Change(layer=0, silence=(0,)))
