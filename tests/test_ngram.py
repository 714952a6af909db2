"""The n-gram baseline of the Gates page: interpolated Kneser-Ney over CharVocab ids (0 = unknown)."""

import math
import random
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from lstm_core.inference.ngram import NGramModel

ROOT = Path(__file__).resolve().parents[1]
SMALL = "the cat sat on the mat; the rat ate the hat (at last).\n" * 3


def _ids(text, chars):
    """Encode as CharVocab does: chars are ids 1..n, anything else the unknown id 0."""
    index = {c: i + 1 for i, c in enumerate(chars)}
    return np.array([index.get(c, 0) for c in text], dtype=np.int64)


@pytest.mark.parametrize("order", range(1, 8))
def test_every_distribution_sums_to_one_and_leaves_nothing_impossible(order):
    chars = sorted(set(SMALL)) + ["Z", "Q"]  # two characters the text never uses
    model = NGramModel.fit(SMALL, order, chars)
    ids = _ids(SMALL, chars)
    contexts = [[], ids[:1], ids[:5], ids[:40], ids,  # seen, and longer than the order
                _ids("ZQZQZQZQ", chars), [0, 0, 0], _ids("the cZ", chars), _ids("xyz", chars)]
    for context in contexts:
        p = model.probs(context)
        assert p.shape == (len(chars) + 1,)
        assert abs(p.sum() - 1.0) < 1e-9
        assert (p > 0).all()


def test_a_deterministic_pattern_is_learned_by_order_3_but_not_by_order_1():
    chars = ["a", "b", "c", "d"]
    text = "abc" * 200
    ab = _ids("ab", chars)
    c = chars.index("c") + 1
    assert NGramModel.fit(text, 3, chars).probs(ab)[c] > 0.9
    unigram = NGramModel.fit(text, 1, chars).probs(ab)
    assert unigram[c] == pytest.approx(1 / 3, abs=0.01)  # 'c' is a third of the text
    assert unigram[chars.index("d") + 1] < 0.01  # never seen: only the uniform floor


@pytest.mark.parametrize("order", [1, 2, 4, 7])
def test_text_log_probs_matches_probs_at_every_position(order):
    chars = sorted(set(SMALL))
    model = NGramModel.fit(SMALL, order, chars)
    ids = _ids("the bat sat (on the cat) at last; the rat!", chars)  # 'b' and '!' unseen or unknown
    logs = model.text_log_probs(ids)
    assert logs.shape == (len(ids) - 1,)
    for t in [0, 1, 2, 5, 11, 20, len(ids) - 2]:
        assert logs[t] == pytest.approx(math.log(model.probs(ids[: t + 1])[ids[t + 1]]), abs=1e-12)
    assert model.text_log_probs(ids[:1]).shape == (0,)


def test_characters_outside_the_vocabulary_share_the_unknown_slot():
    chars = ["a", "b"]
    model = NGramModel.fit("ab#ab%ab#ab%", 2, chars)  # every third character is unknown
    p = model.probs(_ids("b", chars))
    assert p.argmax() == 0  # after 'b' comes an unknown character, always
    assert p[0] > 0.5
    assert model.probs([0]).argmax() == 1  # and after an unknown one, 'a'
    assert np.isfinite(model.text_log_probs(_ids("ab#?xb", chars))).all()
    with pytest.raises(ValueError, match="ids must be from 0 to 2"):
        model.probs([3])


def test_a_longer_context_predicts_held_out_text_better():
    rng = random.Random(7)
    sentence = "the quick brown fox jumps over the lazy dog while the cat sleeps by the fire. "
    letters = "abcdefghijklmnopqrstuvwxyz ."
    # 5% of characters replaced at random: the pattern is strong but not exact
    text = "".join(rng.choice(letters) if rng.random() < 0.05 else c for c in sentence * 80)
    train, held_out = text[:-1000], text[-1000:]
    chars = sorted(set(letters))
    nll = {order: -NGramModel.fit(train, order, chars).text_log_probs(_ids(held_out, chars)).mean()
           for order in (1, 5)}
    assert nll[5] < nll[1] - 1.0  # measured: about 3.0 nats against 0.8


@pytest.mark.parametrize("order", [0, 8, -1, 2.5, "3", True])
def test_an_order_outside_1_to_7_is_refused(order):
    with pytest.raises(ValueError, match=r"order must be a whole number from 1 to 7"):
        NGramModel.fit("some text", order, ["a"])


def test_an_empty_text_is_refused():
    with pytest.raises(ValueError, match="empty text"):
        NGramModel.fit("", 3, ["a"])


def test_kneser_ney_by_hand_on_abacba():
    # Text "abacba", chars a, b, c: ids a=1, b=2, c=3, plus the unknown slot 0, so 4 ids.
    #
    # Order 1 (raw counts, highest order): a:3 b:2 c:1, total 6, 3 types.
    #   n1 = 1 (c), n2 = 1 (b): D = 1 / (1 + 2) = 1/3; back-off weight D * 3 / 6 = 1/6, uniform 1/4.
    #   p(a) = (3 - 1/3)/6 + 1/24 = 35/72, p(b) = (2 - 1/3)/6 + 1/24 = 23/72,
    #   p(c) = (1 - 1/3)/6 + 1/24 = 11/72, p(unknown) = 1/24 = 3/72.
    chars = ["a", "b", "c"]
    ids = _ids("abacba", chars)
    unigram = NGramModel.fit("abacba", 1, chars)
    assert unigram.probs([]) == pytest.approx(np.array([3, 35, 23, 11]) / 72, abs=1e-12)
    #
    # Order 2. Bigrams (raw): ab:1 ba:2 ac:1 cb:1, so n1 = 3, n2 = 1: D2 = 3 / (3 + 2) = 0.6.
    # Unigrams by continuation count, the number of distinct characters seen before them:
    #   b after a and c: 2; a after b only: 1; c after a: 1 (the first 'a' has nothing before it).
    #   Total 4, 3 types; n1 = 2, n2 = 1: D1 = 2 / (2 + 2) = 0.5; back-off weight 0.5 * 3 / 4 = 0.375.
    #   p1(a) = (1 - .5)/4 + .375/4 = 0.21875, p1(b) = (2 - .5)/4 + .09375 = 0.46875,
    #   p1(c) = 0.21875, p1(unknown) = 0.09375.
    # After 'a' (ab, ac: c(a) = 2, 2 types): p(w|a) = max(c(aw) - .6, 0)/2 + .6 * 2/2 * p1(w)
    #   p(b|a) = .2 + .6 * .46875 = 0.48125, p(c|a) = .2 + .6 * .21875 = 0.33125,
    #   p(a|a) = .6 * .21875 = 0.13125, p(unknown|a) = .6 * .09375 = 0.05625.
    # After 'b' (ba twice: c(b) = 2, 1 type): p(a|b) = (2 - .6)/2 + .6 * 1/2 * .21875 = 0.765625.
    # After 'c' (cb once: c(c) = 1, 1 type): p(b|c) = (1 - .6)/1 + .6 * .46875 = 0.68125.
    # After the unknown id (never seen): the unigram p1.
    bigram = NGramModel.fit("abacba", 2, chars)
    assert bigram.probs([0]) == pytest.approx([0.09375, 0.21875, 0.46875, 0.21875], abs=1e-12)
    assert bigram.probs([1]) == pytest.approx([0.05625, 0.13125, 0.48125, 0.33125], abs=1e-12)
    expected = [0.48125, 0.765625, 0.33125, 0.68125, 0.765625]  # b|a, a|b, c|a, b|c, a|b
    assert np.exp(bigram.text_log_probs(ids)) == pytest.approx(expected, abs=1e-12)


def _reference_kn(seq, order, size):
    """The textbook recursion written plainly with tuples, slow and independent of the module."""
    tables = {}
    for k in range(1, order + 1):
        grams = [tuple(seq[i:i + k]) for i in range(len(seq) - k + 1)]
        if k == order:
            tables[k] = Counter(grams)
        else:
            before = defaultdict(set)
            for i in range(1, len(seq) - k + 1):
                before[grams[i]].add(seq[i - 1])
            tables[k] = Counter({g: len(s) for g, s in before.items()})
    discount, totals, types = {}, {}, {}
    for k, table in tables.items():
        n1 = sum(1 for v in table.values() if v == 1)
        n2 = sum(1 for v in table.values() if v == 2)
        discount[k] = n1 / (n1 + 2 * n2) if n1 else 0.5
        totals[k], types[k] = Counter(), Counter()
        for g, v in table.items():
            totals[k][g[:-1]] += v
            types[k][g[:-1]] += 1

    def p(w, h):
        lower = 1 / size if not h else p(w, h[1:])
        k = len(h) + 1
        if totals[k][h] == 0:
            return lower
        d = discount[k]
        return max(tables[k][h + (w,)] - d, 0) / totals[k][h] + d * types[k][h] / totals[k][h] * lower

    return lambda context, w: p(w, tuple(context[max(len(context) - (order - 1), 0):]) if order > 1 else ())


@pytest.mark.parametrize("order", range(1, 8))
def test_agrees_with_a_plain_reference_implementation(order):
    rng = random.Random(order)
    chars = ["a", "b", "c", "d", "e"]
    # a skewed random text with some repeats, so counts of 1, 2 and more all occur
    text = "".join(rng.choice("aaabbcde#") for _ in range(150)) + "abcab" * 6
    seq = [int(i) for i in _ids(text, chars)]
    reference = _reference_kn(seq, order, len(chars) + 1)
    model = NGramModel.fit(text, order, chars)
    probe = seq[:60] + [4, 4, 4, 4, 5, 5, 5, 0, 0, 0]  # plus runs that never occur in the text
    logs = model.text_log_probs(np.array(probe))
    for t in range(len(probe) - 1):
        assert logs[t] == pytest.approx(math.log(reference(probe[: t + 1], probe[t + 1])), abs=1e-12)
    for context in (probe[:40], seq):  # the text's own end: its last characters were never followed
        full = model.probs(context)
        assert full == pytest.approx([reference(context, w) for w in range(len(chars) + 1)], abs=1e-12)


def test_a_context_seen_only_at_the_end_of_the_text_falls_back_to_the_lower_order():
    chars = ["a", "b", "c", "d"]
    model = NGramModel.fit("abcd", 2, chars)  # 'd' is seen, but nothing ever follows it
    assert model.probs(_ids("d", chars)) == pytest.approx(model.probs([0]), abs=1e-15)
    assert np.exp(model.text_log_probs(_ids("da", chars)))[0] == pytest.approx(model.probs([0])[1], abs=1e-15)


def test_the_module_needs_neither_streamlit_nor_tensorflow():
    script = "import sys, lstm_core.inference.ngram; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert not loaded & {"streamlit", "tensorflow", "keras"}


@pytest.mark.parametrize("text", ["a", "ab", "aba", "abcab"])
def test_a_text_shorter_than_the_order_still_gives_a_model(text):
    chars = ["a", "b", "c"]
    reference = _reference_kn([int(i) for i in _ids(text, chars)], 7, 4)
    model = NGramModel.fit(text, 7, chars)
    probe = [1, 2, 1, 3, 0, 1, 2, 3, 1]
    logs = model.text_log_probs(np.array(probe))
    for t in range(len(probe) - 1):
        assert logs[t] == pytest.approx(math.log(reference(probe[: t + 1], probe[t + 1])), abs=1e-12)
    assert model.probs(probe).sum() == pytest.approx(1.0, abs=1e-9)
