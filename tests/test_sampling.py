"""Temperature / top-k / top-p and text generation (NumPy networks only: no TensorFlow needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers_models import random_network
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_core.inference import engine
from lstm_core.inference.sampling import MAX_LENGTH, adjust, entropy, entropy_curve, generate
from lstm_core.data.vocab import UNKNOWN_GLYPH, CharVocab

VOCAB = CharVocab("\nabcdefgh ")  # 11 ids with the unknown slot
NO_NEWLINE = CharVocab("abcdefghi!")


def net_for(vocab: CharVocab = VOCAB, seed: int = 0, scale: float = 1.0):
    return random_network("lstm", layers=2, units=8, vocab=vocab.size, embed=4, scale=scale, seed=seed)


def random_logits(seed: int, size: int = 11) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 3, size)


# ---------------------------------------------------------------- adjust

@pytest.mark.parametrize("temperature", [0, 1e-7, 1e-4, 0.3, 1, 2.5, 1e6])
def test_adjusted_distributions_are_finite_and_sum_to_one(temperature):
    for seed in range(20):
        p = adjust(random_logits(seed) * 100, temperature, top_k=5 if seed % 2 else None,
                   top_p=0.8 if seed % 3 else None)
        assert np.isfinite(p).all() and (p >= 0).all() and p[0] == 0
        assert abs(p.sum() - 1) < 1e-12


@given(logits=arrays(np.float64, st.integers(2, 40), elements=st.floats(-1e4, 1e4)),
       temperature=st.one_of(st.just(0.0), st.floats(1e-8, 1e7)),
       top_k=st.one_of(st.none(), st.integers(0, 50)), top_p=st.one_of(st.none(), st.floats(1e-9, 1.0)))
def test_any_setting_gives_a_distribution_without_the_unknown_slot(logits, temperature, top_k, top_p):
    p = adjust(logits, temperature, top_k=top_k, top_p=top_p)
    assert np.isfinite(p).all() and (p >= 0).all() and p[0] == 0
    assert abs(p.sum() - 1) < 1e-9
    assert 1 <= np.count_nonzero(p) <= (top_k or p.size)


def test_temperature_zero_is_argmax_without_the_unknown_slot():
    logits = np.array([9.0, 1.0, 4.0, 4.0, -2.0])
    for t in (0, 1e-9):
        np.testing.assert_array_equal(adjust(logits, t), [0, 0, 1, 0, 0])  # ties go to the lower id


def test_the_unknown_slot_is_used_only_when_it_is_the_only_option():
    np.testing.assert_array_equal(adjust([3.0], 1.0), [1.0])
    np.testing.assert_array_equal(adjust([3.0, -np.inf, -np.inf], 0.7), [1.0, 0.0, 0.0])
    assert adjust([50.0, 0.0, 0.0], 1.0)[0] == 0


@pytest.mark.parametrize("seed", range(10))
def test_top_k_1_and_a_tiny_top_p_are_greedy(seed):
    logits = random_logits(seed)
    greedy = adjust(logits, 0)
    for t in (0.5, 1, 3):
        np.testing.assert_array_equal(adjust(logits, t, top_k=1), greedy)
        np.testing.assert_array_equal(adjust(logits, t, top_p=1e-9), greedy)


def test_top_k_keeps_the_k_likeliest_in_proportion():
    logits = random_logits(1)
    full = adjust(logits, 1.0)
    cut = adjust(logits, 1.0, top_k=3)
    kept = np.argsort(-full)[:3]
    assert set(np.flatnonzero(cut)) == set(kept)
    np.testing.assert_allclose(cut[kept], full[kept] / full[kept].sum())
    for no_cut in (None, 0, 10, 11, 1000):
        np.testing.assert_allclose(adjust(logits, 1.0, top_k=no_cut), full)


@pytest.mark.parametrize("top_p", [0.1, 0.5, 0.9, 0.99])
def test_top_p_keeps_the_smallest_set_reaching_the_mass(top_p):
    logits = random_logits(2)
    full = adjust(logits, 1.0)
    cut = adjust(logits, 1.0, top_p=top_p)
    order = np.argsort(-full)
    needed = int(np.argmax(np.cumsum(full[order]) >= top_p)) + 1
    assert set(np.flatnonzero(cut)) == set(order[:needed])
    np.testing.assert_allclose(adjust(logits, 1.0, top_p=1.0), full)


def test_extreme_temperatures():
    logits = random_logits(3)
    np.testing.assert_allclose(adjust(logits, 1e6)[1:], 1 / 10, atol=1e-5)  # uniform over the real characters
    np.testing.assert_array_equal(adjust(logits, 1e-4), adjust(logits, 0))


@pytest.mark.parametrize("kwargs", [
    dict(temperature=-0.1), dict(temperature=float("nan")), dict(temperature=float("inf")),
    dict(temperature=1, top_k=-1), dict(temperature=1, top_k=2.5), dict(temperature=1, top_k=True),
    dict(temperature=1, top_p=0), dict(temperature=1, top_p=1.5), dict(temperature=1, top_p=-0.2),
])
def test_invalid_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match=next(iter(k for k in kwargs if k != "temperature"), "temperature")):
        adjust(random_logits(4), **kwargs)


def test_invalid_logits_are_refused():
    for bad in ([], [[1.0, 2.0]], [1.0, float("nan")], [1.0, float("inf")], [-np.inf, -np.inf]):
        with pytest.raises(ValueError):
            adjust(bad, 1.0)


def test_entropy_curve_rises_with_temperature():
    logits = random_logits(5)
    temps = np.array([0, 0.1, 0.5, 1, 2, 5, 1e6])
    curve = entropy_curve(logits, temps)
    assert curve[0] == 0
    assert (np.diff(curve) >= -1e-12).all()
    assert curve[-1] == pytest.approx(math.log(10), abs=1e-6)
    assert entropy(adjust(logits, 1)) == pytest.approx(curve[3])


# ---------------------------------------------------------------- generation

def test_same_seed_same_text_and_different_seeds_differ():
    net = net_for(scale=0.3)
    first = generate(net, VOCAB, "abc", 200, seed=7)
    assert generate(net, VOCAB, "abc", 200, seed=7).text == first.text
    assert generate(net, VOCAB, "abc", 200, seed=8).text != first.text
    assert len(first.text) == 200 and len(first.steps) == 200 and first.prime == "abc"
    assert set(first.text) <= set(VOCAB.chars)


def test_steps_describe_each_choice():
    net = net_for(seed=1)
    gen = generate(net, VOCAB, "ab", 30, temperature=0.7, top_k=4, seed=1)
    logits, probs, state = engine.feed(net, VOCAB.ids("ab"), engine.initial_state(net))
    for k, s in enumerate(gen.steps):
        assert s.position == k and s.char == gen.text[k] == VOCAB.char_of(s.index)
        # Generation's engine (engine.Stepper) sums its fused products in another order: float32 rounding.
        np.testing.assert_allclose(s.probs_model, probs, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(s.probs_used, adjust(logits, 0.7, top_k=4), rtol=1e-5, atol=1e-7)
        assert s.probs_used[s.index] > 0 and np.count_nonzero(s.probs_used) == 4
        assert s.entropy_model == pytest.approx(entropy(probs))
        assert s.entropy_used == pytest.approx(entropy(s.probs_used))
        logits, probs, state = engine.step(net, s.index, state)


def test_greedy_generation_follows_the_argmax():
    net = net_for(seed=2)
    gen = generate(net, VOCAB, "hg", 40, temperature=0, seed=1)
    logits, _, state = engine.feed(net, VOCAB.ids("hg"), engine.initial_state(net))
    expected = []
    for _ in range(40):
        choice = int(np.argmax(logits[1:])) + 1
        expected.append(VOCAB.char_of(choice))
        logits, _, state = engine.step(net, choice, state)
    assert gen.text == "".join(expected)
    assert generate(net, VOCAB, "hg", 40, temperature=1.0, top_k=1, seed=99).text == gen.text
    assert generate(net, VOCAB, "hg", 40, temperature=1.0, top_p=1e-6, seed=5).text == gen.text


def test_unknown_slot_is_never_sampled_even_when_the_model_loves_it():
    net = net_for(seed=3)
    bias = net.head.bias.copy()
    bias[0] = 30.0
    lover = type(net)(net.embedding, net.layers, type(net.head)(net.head.kernel, bias, "softmax"))
    gen = generate(lover, VOCAB, "abc", 100, temperature=1.5, seed=3)
    assert UNKNOWN_GLYPH not in gen.text and all(s.index != 0 for s in gen.steps)
    assert gen.steps[0].probs_model[0] > 0.99


def test_unknown_prime_characters_are_reported_not_raised():
    gen = generate(net_for(), VOCAB, "ab☃cZ", 5, seed=1)
    assert gen.unknown_prime_chars == ("☃", "Z") and len(gen.text) == 5


def test_empty_prime_starts_after_a_line_break():
    net = net_for(seed=4)
    assert generate(net, VOCAB, "", 50, seed=4).text == generate(net, VOCAB, "\n", 50, seed=4).text
    other = net_for(NO_NEWLINE, seed=4)
    # Without "\n" in the vocabulary, the first character stands in for it.
    assert generate(other, NO_NEWLINE, "", 50, seed=4).text == generate(other, NO_NEWLINE, "a", 50, seed=4).text


def test_lengths():
    net = net_for()
    empty = generate(net, VOCAB, "abc", 0, seed=1)
    assert empty.text == "" and empty.steps == ()
    for bad in (-1, MAX_LENGTH + 1):
        with pytest.raises(ValueError, match="length"):
            generate(net, VOCAB, "abc", bad)


@pytest.mark.parametrize("temperature", [1e-4, 1e6])
def test_generation_at_extreme_temperatures(temperature):
    gen = generate(net_for(seed=6), VOCAB, "abc", 100, temperature=temperature, seed=6)
    assert len(gen.text) == 100 and UNKNOWN_GLYPH not in gen.text


def test_a_model_and_vocabulary_that_do_not_belong_together_are_refused():
    with pytest.raises(ValueError, match="vocabulary"):
        generate(net_for(NO_NEWLINE), CharVocab("ab"), "a", 5)
    classifier = random_network(vocab=VOCAB.size, head="sigmoid")
    with pytest.raises(ValueError, match="vocabulary"):
        generate(classifier, VOCAB, "a", 5)
    bidirectional = random_network(vocab=VOCAB.size, bidirectional=True)
    with pytest.raises(ValueError, match="bidirectional"):
        generate(bidirectional, VOCAB, "a", 5)
