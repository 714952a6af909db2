"""Property-based tests (hypothesis) of the vocabulary, the sampler and the NumPy engine.

Inputs are arbitrary: any Unicode text without surrogates (emoji, combining marks, NUL, line breaks,
the replacement glyph itself), texts and id sequences up to 100,000 long, extreme temperatures and
top-k / top-p values. Networks are tiny (a few units) so the whole file stays fast on two busy cores.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from helpers_models import random_network
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_core.inference import engine
from lstm_core.data import vocab as vocab_module
from lstm_core.inference.sampling import GREEDY_BELOW, MAX_LENGTH, adjust, generate
from lstm_core.data.vocab import UNKNOWN_GLYPH, UNKNOWN_ID, CharVocab, VocabError


def cases(n: int):
    """At most n examples, no per-example deadline (the machine is shared)."""
    return settings(max_examples=n, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------- strategies

# Characters hypothesis might take a while to hit on its own: NUL, line breaks, a combining acute,
# zero-width joiner, BOM, the unknown glyph itself, emoji (with a skin-tone modifier), a regional
# indicator, the line separator, the largest code point.
SPECIAL = "\x00\n\r\t \u0301\u0308\u200d\ufeff\ufffd\U0001F600\U0001F44D\U0001F3FD\U0001F1EB\u2028\x7f\U0010FFFF"
CHARS = st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(SPECIAL))
TEXTS = st.text(CHARS, max_size=300)


@st.composite
def long_texts(draw, max_size: int = 100_000, min_size: int = 0, alphabet=None) -> str:
    """A text of up to max_size characters over a small drawn alphabet: hypothesis cannot draw
    100,000 characters one by one, so the positions come from a seeded generator."""
    letters = alphabet if alphabet is not None else draw(st.lists(CHARS, min_size=1, max_size=40, unique=True))
    size = draw(st.integers(min_size, max_size))
    picks = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(0, len(letters), size)
    return "".join(map(letters.__getitem__, picks.tolist()))


ANY_TEXT = st.one_of(TEXTS, long_texts())
NONEMPTY_TEXT = st.one_of(st.text(CHARS, min_size=1, max_size=300), long_texts(min_size=1))
VOCAB_TEXT = st.text(CHARS, min_size=1, max_size=300)
HUNDRED_K = ("a\x00\n\u0301\U0001F600\ufffd b" * 12_500)[:100_000]
assert len(HUNDRED_K) == 100_000


def reference_ids(vocab: CharVocab, text: str) -> list[int]:
    """Ids by plain dictionary look-ups, to check the vectorised encoder against."""
    return [vocab.id_of(c) for c in text]


# ---------------------------------------------------------------- vocabulary

@cases(60)
@given(text=NONEMPTY_TEXT)
@example(text=HUNDRED_K)
@example(text="\x00")
@example(text="e\u0301\U0001F44D\U0001F3FD\r\n")
def test_text_round_trips_through_its_own_vocabulary(text):
    vocab = CharVocab.from_text(text)
    assert vocab.size == len(set(text)) + 1 and list(vocab.chars) == sorted(set(text))
    enc = vocab.encode(text)
    assert enc.ids.dtype == np.int32 and enc.ids.shape == (len(text),)
    assert enc.unknown_positions == () and enc.unknown_chars == ()
    assert ((enc.ids >= 1) & (enc.ids < vocab.size)).all()
    assert vocab.decode(enc.ids) == text
    assert all(c in vocab for c in set(text))


@cases(60)
@given(known=VOCAB_TEXT, text=ANY_TEXT)
@example(known="abc", text="aXbé😀c\x00")
@example(known="ab", text=HUNDRED_K)
def test_characters_outside_the_vocabulary_become_the_unknown_id_and_are_reported(known, text):
    vocab = CharVocab.from_text(known)
    enc = vocab.encode(text)  # never raises, whatever the text
    outside = [i for i, c in enumerate(text) if c not in set(known)]
    assert enc.ids.shape == (len(text),) and ((enc.ids >= 0) & (enc.ids < vocab.size)).all()
    assert enc.ids.tolist() == reference_ids(vocab, text)
    assert np.flatnonzero(enc.ids == UNKNOWN_ID).tolist() == outside
    assert enc.unknown_positions == tuple(outside)
    assert enc.unknown_chars == tuple(text[i] for i in outside)
    assert vocab.decode(enc.ids) == "".join(c if c in vocab else UNKNOWN_GLYPH for c in text)


@cases(40)
@given(known=VOCAB_TEXT, text=long_texts(), chunk=st.integers(1, 64), cuts=st.lists(st.floats(0, 1), max_size=5))
@example(known="ab", text=HUNDRED_K, chunk=4_096, cuts=[0.0, 0.3, 0.3, 0.99, 1.0])
def test_encoding_in_pieces_or_chunks_matches_encoding_at_once(known, text, chunk, cuts):
    vocab = CharVocab.from_text(known)
    whole = vocab.encode(text)
    # Another chunk size for the encoder's internal loop (at most ~200 chunks, to stay fast).
    with mock.patch.object(vocab_module, "_CHUNK", max(chunk, len(text) // 200)):
        chunked = vocab.encode(text)
    assert np.array_equal(chunked.ids, whole.ids) and chunked.unknown_positions == whole.unknown_positions
    assert chunked.unknown_chars == whole.unknown_chars
    # The caller's own pieces: ids concatenate, unknown positions shift by each piece's start.
    bounds = [0, *sorted(int(c * len(text)) for c in cuts), len(text)]
    ids, positions, chars = [], [], []
    for start, end in zip(bounds, bounds[1:]):
        part = vocab.encode(text[start:end])
        ids.append(part.ids)
        positions += [start + p for p in part.unknown_positions]
        chars += part.unknown_chars
    assert np.array_equal(np.concatenate(ids), whole.ids)
    assert tuple(positions) == whole.unknown_positions and tuple(chars) == whole.unknown_chars


@cases(60)
@given(chars=st.lists(CHARS, min_size=1, max_size=200, unique=True), probe=TEXTS)
@example(chars=list("\x00\n\"\\\u0301\U0001F600\ufffd\u2028"), probe="\"\\\x00")
def test_any_vocabulary_survives_a_json_round_trip(chars, probe):
    for vocab in (CharVocab(chars), CharVocab.from_text("".join(chars))):
        data = vocab.to_json()
        again = CharVocab.from_json(data.encode("utf-8").decode("utf-8"))  # as written to and read from a file
        assert again == vocab and again.chars == vocab.chars and hash(again) == hash(vocab)
        assert np.array_equal(again.ids(probe), vocab.ids(probe))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(CHARS, max_size=3),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(CHARS, max_size=5), inner,
                                                                                max_size=4),
                    max_leaves=12)


@cases(80)
@given(data=st.one_of(
    TEXTS,
    JSON.map(lambda v: json.dumps(v)),
    st.fixed_dictionaries({"kind": st.sampled_from(["char", "word", 1]), "chars": JSON},
                          optional={"unknown_id": JSON}).map(lambda v: json.dumps(v)),
    st.fixed_dictionaries({"kind": st.just("char"), "chars": st.lists(st.text(CHARS, max_size=2), max_size=6)},
                          optional={"unknown_id": st.sampled_from([0, 0.0, 1, -1, None, False])})
    .map(lambda v: json.dumps(v))))
@example(data='{"kind": "char", "chars": ["a", ["b"]]}')
@example(data='{"kind": "char", "chars": ["a"], "unknown_id": NaN}')
def test_any_vocabulary_file_is_read_or_refused_with_a_vocab_error(data):
    try:
        vocab = CharVocab.from_json(data)
    except VocabError as exc:
        assert str(exc)
        return
    assert vocab.size >= 2 and all(len(c) == 1 for c in vocab.chars)
    assert CharVocab.from_json(vocab.to_json()) == vocab


@cases(40)
@given(entries=st.lists(st.one_of(CHARS, st.text(CHARS, max_size=3), st.integers(), st.none()), max_size=8))
def test_vocabulary_entries_are_single_characters_listed_once(entries):
    valid = bool(entries) and all(isinstance(e, str) and len(e) == 1 for e in entries) \
        and len(set(entries)) == len(entries)
    if valid:
        assert CharVocab(entries).chars == tuple(entries)
    else:
        with pytest.raises(VocabError):
            CharVocab(entries)


@cases(30)
@given(known=VOCAB_TEXT, ids=st.lists(st.integers(-2**70, 2**70), max_size=50))
def test_decoding_any_id_never_raises(known, ids):
    vocab = CharVocab.from_text(known)
    text = vocab.decode(ids)
    assert len(text) == len(ids)
    for i, c in zip(ids, text):
        assert c == (vocab.chars[i - 1] if 0 < i < vocab.size else UNKNOWN_GLYPH)


# ---------------------------------------------------------------- adjust(): temperature, top-k, top-p

FLOAT32_MAX = float(np.finfo(np.float32).max)
# Anything a float32 model can output, plus "impossible" (-inf).
MODEL_LOGITS = arrays(np.float64, st.integers(1, 60),
                      elements=st.one_of(st.floats(-FLOAT32_MAX, FLOAT32_MAX), st.just(-np.inf))
                      ).filter(lambda z: (z > -np.inf).any())
# Moderate logits (what models really give) with ties and -inf sprinkled in.
NICE_LOGITS = arrays(np.float64, st.integers(1, 40),
                     elements=st.one_of(st.floats(-30, 30), st.sampled_from([0.0, 1.0, -np.inf]))
                     ).filter(lambda z: (z > -np.inf).any())
EXTREME_T = [0, 0.0, -0.0, 5e-324, 1e-300, 1e-7, np.float32(1e-7), GREEDY_BELOW / 2, GREEDY_BELOW,
             1e-3, 1, 1e6, 1e300, 1.7976931348623157e308, 10**300, Fraction(1, 3), np.int64(2)]
TEMPERATURES = st.one_of(st.sampled_from(EXTREME_T), st.floats(0, 1e308), st.floats(0, 10))
TOP_K = st.one_of(st.none(), st.sampled_from([0, 1, 2, 10**30, np.int64(3)]), st.integers(0, 70))
TOP_P = st.one_of(st.none(), st.sampled_from([5e-324, 1e-300, 1e-9, 0.5, 1 - 1e-16, 1.0, np.float32(0.9)]),
                  st.floats(0, 1, exclude_min=True))


def expected_greedy(logits: np.ndarray) -> np.ndarray:
    """One-hot on the likeliest id (the lowest among ties), id 0 only when nothing else is possible."""
    z = np.array(logits, dtype=np.float64)
    if (z[1:] > -np.inf).any():
        z[0] = -np.inf
    out = np.zeros(z.size)
    out[int(np.flatnonzero(z == z.max())[0])] = 1
    return out


def check_distribution(p: np.ndarray, logits: np.ndarray) -> None:
    assert p.dtype == np.float64 and p.shape == logits.shape
    assert np.isfinite(p).all() and (p >= 0).all() and abs(p.sum() - 1) <= 1e-9
    assert (p[logits == -np.inf] == 0).all()  # impossible stays impossible
    if (logits[1:] > -np.inf).any():
        assert p[UNKNOWN_ID] == 0  # the unknown slot only when nothing else is possible


@cases(200)
@given(logits=MODEL_LOGITS, temperature=TEMPERATURES, top_k=TOP_K, top_p=TOP_P)
@example(logits=np.array([3.0]), temperature=1, top_k=None, top_p=None)
@example(logits=np.array([-FLOAT32_MAX, FLOAT32_MAX, 0.0]), temperature=GREEDY_BELOW, top_k=None, top_p=None)
@example(logits=np.array([9.0, -np.inf, -np.inf]), temperature=1e300, top_k=1, top_p=1e-300)
def test_any_valid_setting_gives_a_clean_distribution(logits, temperature, top_k, top_p):
    # No overflow, division by zero or invalid operation anywhere, even at the extremes.
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        p = adjust(logits, temperature, top_k=top_k, top_p=top_p)
    check_distribution(p, logits)
    assert 1 <= np.count_nonzero(p) <= (top_k or p.size)
    if temperature < GREEDY_BELOW:
        assert np.array_equal(p, expected_greedy(logits))


@cases(60)
@given(logits=arrays(np.float64, st.integers(1, 30), elements=st.floats(allow_nan=False, allow_infinity=False)),
       temperature=TEMPERATURES, top_k=TOP_K, top_p=TOP_P)
@example(logits=np.array([0.0, -1e308, 1e308]), temperature=1, top_k=None, top_p=None)
def test_even_absurd_finite_logits_never_give_nan(logits, temperature, top_k, top_p):
    with np.errstate(all="ignore"):  # spreads beyond float64 may overflow to -inf: harmless, exp gives 0
        p = adjust(logits, temperature, top_k=top_k, top_p=top_p)
    check_distribution(p, logits)


@cases(80)
@given(logits=MODEL_LOGITS, temperature=st.sampled_from([0, -0.0, 5e-324, 1e-300, 1e-7, GREEDY_BELOW * 0.999]),
       top_k=TOP_K, top_p=TOP_P)
def test_zero_and_tiny_temperatures_are_greedy(logits, temperature, top_k, top_p):
    greedy = expected_greedy(logits)
    assert np.array_equal(adjust(logits, temperature, top_k=top_k, top_p=top_p), greedy)
    assert np.array_equal(adjust(logits, 0), greedy)


@cases(60)
@given(logits=NICE_LOGITS, temperature=st.one_of(st.sampled_from([1e300, 1.7976931348623157e308, 10**300]),
                                                  st.floats(1e300, 1e308)))
def test_huge_temperatures_are_uniform_over_the_possible_characters(logits, temperature):
    p = adjust(logits, temperature)
    possible = logits > -np.inf
    if possible[1:].any():
        possible[UNKNOWN_ID] = False
    assert np.allclose(p[possible], 1 / possible.sum(), rtol=1e-12, atol=0) and (p[~possible] == 0).all()


@cases(150)
@given(logits=MODEL_LOGITS, temperature=st.one_of(st.sampled_from([GREEDY_BELOW, 1e-3, 1, 1e300]),
                                                   st.floats(GREEDY_BELOW, 1e4)),
       top_k=st.one_of(st.integers(0, 70), st.sampled_from([10**30, np.int64(2), np.uint8(1)])))
def test_top_k_keeps_the_k_likeliest_in_proportion(logits, temperature, top_k):
    full = adjust(logits, temperature)
    cut = adjust(logits, temperature, top_k=top_k)
    check_distribution(cut, logits)
    if not top_k or top_k >= full.size:
        np.testing.assert_allclose(cut, full, rtol=1e-12, atol=1e-300)
        return
    kept = np.flatnonzero(cut)
    assert len(kept) == min(int(top_k), np.count_nonzero(full))
    dropped = np.setdiff1d(np.arange(full.size), kept)
    assert full[kept].min() >= full[dropped].max(initial=0)  # nothing likelier was dropped
    assert set(kept) <= set(np.argsort(-full, kind="stable")[:top_k])  # ties: the lower ids stay
    np.testing.assert_allclose(cut[kept], full[kept] / full[kept].sum(), rtol=1e-9, atol=1e-300)
    if top_k == 1:  # one-hot on a likeliest id of the tempered distribution
        assert full[kept[0]] == full.max()


@cases(150)
@given(logits=MODEL_LOGITS, temperature=st.one_of(st.sampled_from([GREEDY_BELOW, 1e-3, 1, 1e300]),
                                                   st.floats(GREEDY_BELOW, 1e4)),
       top_p=st.one_of(st.sampled_from([5e-324, 1e-300, 1e-9, 1 - 1e-16, 1.0, np.float32(0.9)]),
                       st.floats(0, 1, exclude_min=True)))
def test_top_p_keeps_the_smallest_likeliest_set_reaching_the_mass(logits, temperature, top_p):
    full = adjust(logits, temperature)
    cut = adjust(logits, temperature, top_p=top_p)
    check_distribution(cut, logits)
    order = np.argsort(-full, kind="stable")
    mass = np.cumsum(full[order])
    k = np.count_nonzero(cut)
    assert set(np.flatnonzero(cut)) == set(order[:k])  # the likeliest ones, lower ids first among ties
    assert mass[k - 1] >= top_p - 1e-9  # the kept set reaches p ...
    assert k == 1 or mass[k - 2] < top_p + 1e-9  # ... and one fewer would not: it is minimal
    kept = order[:k]
    np.testing.assert_allclose(cut[kept], full[kept] / full[kept].sum(), rtol=1e-9, atol=1e-300)
    if top_p >= 1:
        np.testing.assert_allclose(cut, full, rtol=1e-12, atol=1e-300)


INVALID_TEMPERATURES = st.one_of(
    st.floats(max_value=0, exclude_max=True), st.sampled_from([-0.5, -1e-300, math.inf, -math.inf, math.nan]),
    st.integers(max_value=-1), st.sampled_from([10**400, -(10**400), Fraction(10**400, 3), np.float64("nan")]),
    st.sampled_from(["1", None, 1j, Decimal("1"), [1.0], b"1"]))
INVALID_TOP_K = st.one_of(st.integers(max_value=-1), st.floats(), st.booleans(),
                          st.sampled_from([np.int8(-1), np.bool_(True), "3", 2.0, np.float64(2), Decimal(2), [1]]))
INVALID_TOP_P = st.one_of(st.floats(max_value=0), st.floats(min_value=1, exclude_min=True),
                          st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 0, 10**400, "0.5", Decimal("0.5"),
                                           np.float64("nan"), 1 + 1e-15, [0.5]]))


INVALID = {"temperature": INVALID_TEMPERATURES, "top_k": INVALID_TOP_K, "top_p": INVALID_TOP_P,
           "length": st.one_of(st.integers(max_value=-1), st.integers(min_value=MAX_LENGTH + 1))}
INVALID_SETTING = st.one_of(*(st.tuples(st.just(name), INVALID[name]) for name in ("temperature", "top_k", "top_p")))


@cases(150)
@given(logits=NICE_LOGITS, setting=INVALID_SETTING)
@example(logits=np.array([1.0, 2.0]), setting=("temperature", 10**400))  # used to raise OverflowError
@example(logits=np.array([1.0, 2.0]), setting=("temperature", Fraction(10**400, 3)))
def test_invalid_settings_raise_a_value_error_naming_the_setting(logits, setting):
    name, value = setting
    kwargs = {"temperature": 1.0, "top_k": None, "top_p": None, name: value}
    # pytest.raises(ValueError) lets any other exception type through, failing the test.
    with pytest.raises(ValueError, match=name):
        adjust(logits, **kwargs)


# ---------------------------------------------------------------- generate()

@st.composite
def generation_cases(draw):
    vocab = CharVocab.from_text(draw(VOCAB_TEXT))
    known = list(vocab.chars)
    # Primes mix vocabulary characters with anything else, up to a few thousand characters.
    prime = draw(st.one_of(TEXTS, st.text(st.sampled_from(known), max_size=50),
                           long_texts(3_000, alphabet=known + draw(st.lists(CHARS, max_size=5)))))
    net = random_network("lstm", layers=draw(st.integers(1, 2)), units=draw(st.integers(1, 6)), vocab=vocab.size,
                         embed=draw(st.integers(1, 4)), scale=draw(st.floats(0.05, 3)), seed=draw(st.integers(0, 99)))
    return vocab, net, prime


@cases(40)
@given(case=generation_cases(), length=st.integers(0, 200), temperature=TEMPERATURES, top_k=TOP_K, top_p=TOP_P,
       seed=st.integers(0, 2**63))
@example(case=(CharVocab("ab\n"), random_network(units=4, vocab=4, embed=3), HUNDRED_K[:3_000]),
         length=200, temperature=1e300, top_k=10**30, top_p=1e-300, seed=0)
def test_generation_returns_length_vocabulary_characters_deterministically(case, length, temperature, top_k, top_p,
                                                                          seed):
    vocab, net, prime = case
    gen = generate(net, vocab, prime, length, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed)
    assert gen.prime == prime and len(gen.text) == length and len(gen.steps) == length
    assert gen.unknown_prime_chars == tuple(c for c in prime if c not in vocab)
    for k, s in enumerate(gen.steps):
        assert s.position == k and s.index != UNKNOWN_ID and s.char == vocab.chars[s.index - 1] == gen.text[k]
        assert np.isfinite(s.probs_used).all() and abs(s.probs_used.sum() - 1) <= 1e-9 and s.probs_used[s.index] > 0
        assert np.count_nonzero(s.probs_used) <= (top_k or vocab.size)
    assert set(gen.text) <= set(vocab.chars)
    again = generate(net, vocab, prime, length, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed)
    assert again.text == gen.text and [s.index for s in again.steps] == [s.index for s in gen.steps]
    if temperature < GREEDY_BELOW:  # greedy: the seed does not matter
        assert generate(net, vocab, prime, length, temperature=temperature, seed=seed + 1).text == gen.text


@cases(40)
@given(case=generation_cases(), setting=st.one_of(INVALID_SETTING, st.tuples(st.just("length"), INVALID["length"])))
@example(case=(CharVocab("ab"), random_network(units=4, vocab=3, embed=3), "ab"), setting=("temperature", 10**400))
def test_generation_refuses_invalid_settings_with_a_value_error(case, setting):
    vocab, net, prime = case
    name, value = setting
    kwargs = {"length": 5, "temperature": 1.0, "top_k": None, "top_p": None, name: value}
    with pytest.raises(ValueError, match=name):
        generate(net, vocab, prime, **kwargs)


# ---------------------------------------------------------------- engine

@st.composite
def networks(draw, bidirectional=None):
    cell = draw(st.sampled_from(["lstm", "gru", "rnn"]))
    head = draw(st.sampled_from(["softmax", "sigmoid"]))
    bidi = draw(st.booleans()) if bidirectional is None else bidirectional
    return random_network(cell, layers=draw(st.integers(1, 2)), units=draw(st.integers(1, 6)),
                          vocab=draw(st.integers(2, 12)), embed=draw(st.integers(1, 4)),
                          scale=draw(st.floats(0.05, 25)), seed=draw(st.integers(0, 999)), head=head,
                          bidirectional=bidi, return_sequences=draw(st.booleans()))


def random_ids(vocab_size: int, size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, vocab_size, size)


BOUNDS = {"i": (0, 1), "f": (0, 1), "o": (0, 1), "g": (-1, 1), "h": (-1, 1),  # LSTM
          "z": (0, 1), "r": (0, 1), "hh": (-1, 1)}  # GRU (and every cell's h)


def check_trace(net, ids, t: engine.Trace) -> None:
    steps = len(ids)
    assert t.length == steps and np.array_equal(t.ids, ids)
    for layer in t.layers:
        for direction in filter(None, (layer.forward, layer.backward)):
            assert set(direction) == set(engine.QUANTITIES[layer.cell])
            for q, a in direction.items():
                assert a.shape == (steps, layer.units) and np.isfinite(a).all() and not a.flags.writeable
                if q in BOUNDS:
                    low, high = BOUNDS[q]
                    assert ((a >= low) & (a <= high)).all(), q
        if layer.cell == "lstm":  # |c| <= |c before| + 1: after reading n ids, |c| <= n
            read = np.arange(1, steps + 1)[:, None]
            assert (np.abs(layer.forward["c"]) <= read + 1e-3).all()
            if layer.backward is not None:  # row t of the backward half has read t..T-1
                assert (np.abs(layer.backward["c"]) <= read[::-1] + 1e-3).all()
        width = layer.units * (2 if layer.bidirectional else 1)
        assert layer.output.shape == (steps, width) and layer.final.shape == (width,)
    for logits, probs in ((t.logits, t.probs), (t.final_logits[None], t.final_probs[None])):
        assert logits.shape[1:] == probs.shape[1:] == (net.output_size,)
        assert np.isfinite(logits).all() and np.isfinite(probs).all() and ((probs >= 0) & (probs <= 1)).all()
        if net.head.activation == "softmax":
            np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)


@cases(40)
@given(net=networks(), size=st.integers(0, 1_500), seed=st.integers(0, 2**32 - 1))
def test_trace_of_any_text_is_finite_with_gates_in_range(net, size, seed):
    ids = random_ids(net.vocab_size, size, seed)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        t = engine.trace(net, ids)
    check_trace(net, ids, t)
    if net.bidirectional:
        with pytest.raises(ValueError, match="bidirectional"):
            engine.initial_state(net)
        return
    # Reading the text in one go (feed) or one id at a time (step) reproduces the trace's output.
    logits, probs, state = engine.feed(net, ids, engine.initial_state(net))
    np.testing.assert_array_equal(state.h[0], t.layers[0].final)  # first layer: the very same arithmetic
    np.testing.assert_allclose(probs, t.final_probs, atol=1e-5, rtol=0)
    # Deeper layers read the one below through one matrix product for the whole text in trace() and
    # a vector product per step in feed(): float32 sums in another order, which a random network with
    # large weights can amplify over 1,500 steps (a 2e-4 difference was found). Probabilities agree.
    np.testing.assert_allclose(logits, t.final_logits, atol=1e-3, rtol=1e-5)
    state = engine.initial_state(net)
    for token in ids[:300].tolist():
        logits, probs, state = engine.step(net, token, state)
    if size <= 300:
        np.testing.assert_array_equal(state.h[0], t.layers[0].final)
        # The output layer sums one position here, all of them at once there, in another order: float32
        # rounding of logits as large as this strategy's weights make them (tens) moves a probability by 1e-5.
        np.testing.assert_allclose(probs, t.final_probs, atol=1e-4, rtol=0)


@cases(4)
@given(size=st.integers(0, 100_000), seed=st.integers(0, 2**32 - 1), cell=st.sampled_from(["lstm", "gru", "rnn"]))
@example(size=100_000, seed=0, cell="lstm")
def test_long_texts_trace_cleanly_and_stepping_reproduces_the_end(size, seed, cell):
    net = random_network(cell, layers=1, units=4, vocab=9, embed=3, seed=seed % 1000)
    ids = random_ids(net.vocab_size, size, seed)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        t = engine.trace(net, ids)
    check_trace(net, ids, t)
    # feed() the text but its last few ids, then step() through those: the trace's outputs, row by row.
    tail = min(size, 5)
    _, _, state = engine.feed(net, ids[:size - tail], engine.initial_state(net))
    for k in range(size - tail, size):
        logits, probs, state = engine.step(net, ids[k], state)
        np.testing.assert_array_equal(state.h[0], t.layers[0]["h"][k])
        np.testing.assert_allclose(probs, t.probs[k], atol=1e-6, rtol=0)
    if size:
        np.testing.assert_array_equal(probs, t.final_probs)


@st.composite
def id_arrays(draw):
    """A list of any Python ints, or an array of any integer dtype with any of its values."""
    dtype = draw(st.sampled_from([None, np.int8, np.int16, np.int64, np.uint8, np.uint64]))
    if dtype is None:
        return draw(st.lists(st.integers(), min_size=1, max_size=20))
    info = np.iinfo(dtype)
    return np.array(draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=1, max_size=20)), dtype=dtype)


@cases(60)
@given(net=networks(bidirectional=False), ids=id_arrays())
@example(net=random_network(vocab=5), ids=[0, 5])
@example(net=random_network(vocab=5), ids=[-1, 2**63])
@example(net=random_network(vocab=5), ids=[2**64])
@example(net=random_network(vocab=5), ids=np.array([2**64 - 1], dtype=np.uint64))
def test_ids_outside_the_vocabulary_raise_a_value_error(net, ids):
    values = [int(i) for i in ids]
    assume(any(not 0 <= i < net.vocab_size for i in values))
    with pytest.raises(ValueError, match="ids"):
        engine.trace(net, ids)
    with pytest.raises(ValueError, match="ids"):
        engine.feed(net, ids, engine.initial_state(net))
    state = engine.initial_state(net)
    for bad in (i for i in (*values, *ids) if not 0 <= i < net.vocab_size):
        with pytest.raises(ValueError, match="outside"):
            engine.step(net, bad, state)


@cases(30)
@given(net=networks(), ids=arrays(st.sampled_from([np.float64, np.float32, np.bool_, np.complex128]),
                                  st.integers(1, 10), elements=st.integers(0, 1)))
def test_ids_that_are_not_whole_numbers_raise_a_value_error(net, ids):
    with pytest.raises(ValueError, match="whole numbers"):
        engine.trace(net, ids)
