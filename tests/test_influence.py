"""Influence (lstm_core.inference.influence): its forward pass agrees with the engine's trace, its
gradients with central finite differences, on small hand-built networks of every cell kind."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_models import random_network

from lstm_core.inference.engine import trace
from lstm_core.inference.influence import influence, input_gradients, log_prob_and_gradients
from lstm_core.inference.netweights import CellWeights, DenseHead, Network, RecurrentLayer
from lstm_core.inference.params import GATES

CELLS = ("lstm", "gru", "rnn")
VOCAB, EMBED, UNITS = 5, 3, 4
IDS = np.array([0, 3, 1, 4, 4, 2, 0, 1, 3, 2, 4, 0])


def small_net(cell: str, seed: int = 0, **kwargs) -> Network:
    """Two stacked layers of a few units, embedding 5 × 3, softmax over 5 tokens."""
    return random_network(cell, layers=2, units=UNITS, vocab=VOCAB, embed=EMBED, seed=seed, **kwargs)


def mixed_net(seed: int = 3) -> Network:
    """Three layers of three different kinds, to check the layers are chained, not just repeated."""
    rng = np.random.default_rng(seed)
    layers, width = [], EMBED
    for k, (cell, units) in enumerate((("gru", 3), ("lstm", 5), ("rnn", 2))):
        g = GATES[cell] * units
        bias = rng.normal(0, 0.5, (2, g) if cell == "gru" else (g,))
        weights = CellWeights(rng.normal(0, 0.5, (width, g)), rng.normal(0, 0.5, (units, g)), bias)
        layers.append(RecurrentLayer(cell, units, weights, name=f"{cell}_{k}"))
        width = units
    return Network(rng.normal(0, 0.5, (VOCAB, EMBED)), tuple(layers),
                   DenseHead(rng.normal(0, 0.5, (width, VOCAB)), rng.normal(0, 0.5, VOCAB)))


def numeric_gradients(net: Network, inputs: np.ndarray, target: int, eps: float = 1e-5) -> np.ndarray:
    """Central differences of the log-probability, one input coordinate at a time."""
    out = np.empty_like(inputs)
    for s in range(inputs.shape[0]):
        for j in range(inputs.shape[1]):
            plus, minus = inputs.copy(), inputs.copy()
            plus[s, j] += eps
            minus[s, j] -= eps
            out[s, j] = (log_prob_and_gradients(net, plus, target)[0]
                         - log_prob_and_gradients(net, minus, target)[0]) / (2 * eps)
    return out


NETS = [pytest.param(lambda c=c: small_net(c), id=c) for c in CELLS] + [pytest.param(mixed_net, id="mixed")]


@pytest.mark.parametrize("make", NETS)
def test_the_log_probability_is_the_traces(make):
    net = make()
    probs = trace(net, IDS).probs
    for t in range(len(IDS) - 1):
        inputs = np.asarray(net.embedding, dtype=np.float64)[IDS[:t + 1]]
        log_prob, _ = log_prob_and_gradients(net, inputs, int(IDS[t + 1]))
        assert log_prob == pytest.approx(np.log(probs[t, IDS[t + 1]]), abs=1e-6)


@pytest.mark.parametrize("make", NETS)
@pytest.mark.parametrize("position", [0, 4, len(IDS) - 2])
def test_every_gradient_vector_matches_finite_differences(make, position):
    net = make()
    inputs = np.asarray(net.embedding, dtype=np.float64)[IDS[:position + 1]]
    grads = input_gradients(net, IDS, position)
    assert grads.shape == (position + 1, EMBED)
    np.testing.assert_allclose(grads, log_prob_and_gradients(net, inputs, int(IDS[position + 1]))[1])
    np.testing.assert_allclose(grads, numeric_gradients(net, inputs, int(IDS[position + 1])), rtol=1e-5, atol=1e-5)


def test_finite_differences_hold_off_the_embedding_rows_too():
    # Inputs the embedding never produces (a one-hot or scaled-id reader would feed other vectors).
    net = small_net("lstm", seed=5)
    inputs = np.random.default_rng(1).normal(0, 1.5, (7, EMBED))
    _, grads = log_prob_and_gradients(net, inputs, 2)
    np.testing.assert_allclose(grads, numeric_gradients(net, inputs, 2), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell", CELLS)
def test_influence_is_the_norm_of_each_gradient(cell):
    net = small_net(cell, seed=2)
    for position in range(len(IDS) - 1):
        values = influence(net, IDS, position)
        assert values.shape == (position + 1,)
        assert np.all(values >= 0)
        np.testing.assert_allclose(values, np.linalg.norm(input_gradients(net, IDS, position), axis=1))
        assert values[-1] > 0  # the character just read always moves the prediction


@pytest.mark.parametrize("cell", CELLS)
def test_only_the_prefix_and_the_next_token_matter(cell):
    net = small_net(cell, seed=4)
    position = 5
    expected = influence(net, IDS, position)
    np.testing.assert_array_equal(influence(net, IDS[:position + 2], position), expected)
    changed = IDS.copy()
    changed[position + 2:] = (changed[position + 2:] + 1) % VOCAB
    np.testing.assert_array_equal(influence(net, changed, position), expected)
    assert influence(net, list(IDS), position).tolist() == expected.tolist()  # a plain list reads the same


def test_the_target_is_the_true_next_token():
    net = small_net("gru", seed=6)
    position = 3
    other = IDS.copy()
    other[position + 1] = (other[position + 1] + 1) % VOCAB
    assert not np.allclose(influence(net, IDS, position), influence(net, other, position))


def test_a_bidirectional_model_is_refused():
    net = random_network("lstm", layers=2, units=UNITS, vocab=VOCAB, embed=EMBED, bidirectional=True)
    with pytest.raises(ValueError, match="bidirectional"):
        influence(net, IDS, 3)
    with pytest.raises(ValueError, match="bidirectional"):
        log_prob_and_gradients(net, np.zeros((2, EMBED)), 1)


def test_a_sigmoid_head_is_refused():
    net = random_network("lstm", units=UNITS, vocab=VOCAB, embed=EMBED, head="sigmoid")
    with pytest.raises(ValueError, match="softmax"):
        influence(net, IDS, 3)


@pytest.mark.parametrize("position", [-1, len(IDS) - 1, len(IDS), 2.0, "3", True, None])
def test_a_position_outside_the_text_is_refused(position):
    with pytest.raises(ValueError, match="position"):
        influence(small_net("rnn"), IDS, position)


@pytest.mark.parametrize("ids", [[], [1], [0, 5, 1], [0, -1, 2], [0.0, 1.0, 2.0], [[0, 1], [2, 3]]])
def test_bad_ids_are_refused(ids):
    with pytest.raises(ValueError, match="ids"):
        influence(small_net("rnn"), ids, 0)


def test_bad_inputs_and_targets_are_refused():
    net = small_net("lstm")
    for inputs in (np.zeros((0, EMBED)), np.zeros((3, EMBED + 1)), np.zeros(EMBED), np.full((2, EMBED), np.nan)):
        with pytest.raises(ValueError, match="inputs"):
            log_prob_and_gradients(net, inputs, 1)
    for target in (-1, VOCAB, 1.0, True):
        with pytest.raises(ValueError, match="target"):
            log_prob_and_gradients(net, np.zeros((2, EMBED)), target)
