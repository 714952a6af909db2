"""unit_stats on synthetic arrays whose answers are known."""

import numpy as np
import pytest

from lstm_core.inference import unit_stats as us


# ---------------------------------------------------------------- saturation


def test_saturation_counts_fractions_per_unit():
    v = np.array([[0.05, 0.5, 0.95],
                  [0.05, 0.5, 0.95],
                  [0.95, 0.5, 0.95],
                  [0.50, 0.0, 0.05]])
    left, right = us.saturation(v)
    np.testing.assert_allclose(left, [0.5, 0.25, 0.25])
    np.testing.assert_allclose(right, [0.25, 0.0, 0.75])
    assert np.all(left + right <= 1)


def test_saturation_thresholds_are_strict_and_configurable():
    v = np.array([[0.1], [0.9], [-0.95], [0.95]])
    left, right = us.saturation(v)
    assert left[0] == 0.25 and right[0] == 0.25  # exactly 0.1 / 0.9 are not saturated
    left, right = us.saturation(v, low=-0.9, high=0.9)
    assert left[0] == 0.25 and right[0] == 0.25


def test_saturation_rejects_empty_and_bad_input():
    with pytest.raises(ValueError, match="empty"):
        us.saturation(np.zeros((0, 3)))
    with pytest.raises(ValueError):
        us.saturation(np.zeros(5))
    with pytest.raises(ValueError):
        us.saturation(np.zeros((2, 2)), low=0.9, high=0.1)


# ---------------------------------------------------------------- predicates and masks


def _positions(mask):
    return np.flatnonzero(mask).tolist()


def test_inside_quotes_marks_from_opening_quote_to_before_closing():
    text = 'a "bc" d “ef” g'
    assert _positions(us.inside_quotes(text)) == [2, 3, 4, 9, 10, 11]


def test_inside_brackets_nests_and_ignores_stray_closers():
    text = "x) [a (b) c] y"
    mask = us.inside_brackets(text)
    assert _positions(mask) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert not mask[1] and not mask[-1]


def test_line_start_and_uppercase_and_vowel():
    text = "Ab\ncD\n\nE"
    assert _positions(us.line_start(text)) == [0, 3, 6, 7]
    assert _positions(us.uppercase(text)) == [0, 4, 7]
    assert _positions(us.vowel(text)) == [0, 7]
    assert us.line_start("").shape == (0,)


def test_inside_word_keeps_apostrophes_and_hyphens_between_letters():
    text = "wish'd heart-ache 'tis -x"
    mask = us.inside_word(text)
    word = "".join(c for c, m in zip(text, mask) if m)
    assert word == "wish'dheart-achetisx"


def test_speaker_line_marks_capital_lines_only():
    text = "HAMLET\nTo be.\nLORD POLONIUS\nI\n"
    mask = us.speaker_line(text)
    assert "".join(c for c, m in zip(text, mask) if m) == "HAMLETLORD POLONIUS"


def test_every_predicate_returns_a_boolean_mask_of_the_text_length():
    text = 'HAMLET\nTo be, or "not" [to be]: that is the question.\n'
    for name, (description, fn) in us.PREDICATES.items():
        mask = fn(text)
        assert mask.dtype == bool and mask.shape == (len(text),), name
        assert description
        assert fn("").shape == (0,), name


def test_span_mask_is_half_open_and_clipped():
    assert _positions(us.span_mask(6, 2, 4)) == [2, 3]
    assert _positions(us.span_mask(6, -3, 2)) == [0, 1]
    assert _positions(us.span_mask(6, 4, 99)) == [4, 5]
    assert not us.span_mask(6, 4, 4).any()


def test_substring_mask_finds_every_occurrence_ignoring_case():
    text = "To be, or not to be"
    assert _positions(us.substring_mask(text, "to be")) == [0, 1, 2, 3, 4, 14, 15, 16, 17, 18]
    assert _positions(us.substring_mask(text, "To", case_sensitive=True)) == [0, 1]
    assert _positions(us.substring_mask("aaa", "aa")) == [0, 1, 2]  # overlapping
    assert not us.substring_mask(text, "").any()


# ---------------------------------------------------------------- ranking


def _synthetic(T=200, n=12, seed=0):
    rng = np.random.default_rng(seed)
    mask = rng.random(T) < 0.3
    values = rng.normal(0, 1, (T, n))
    return values, mask


def test_a_unit_equal_to_the_mask_ranks_first():
    values, mask = _synthetic()
    values[:, 7] = mask
    ranking = us.rank_units(values, mask)
    assert ranking.order[0] == 7
    assert ranking.score[7] == pytest.approx(1.0)
    assert ranking.auc[7] == pytest.approx(1.0)
    assert ranking.sign[7] == 1
    assert ranking.n_inside == mask.sum() and ranking.n_outside == (~mask).sum()


def test_a_unit_opposite_to_the_mask_ranks_first_with_negative_sign():
    values, mask = _synthetic(seed=1)
    values[:, 3] = -5.0 * mask + 0.01 * np.arange(len(mask))  # lower inside, still perfectly separated
    ranking = us.rank_units(values, mask)
    assert ranking.order[0] == 3
    assert ranking.auc[3] == pytest.approx(0.0)
    assert ranking.score[3] == pytest.approx(1.0)
    assert ranking.sign[3] == -1


def test_ranking_orders_by_separation():
    rng = np.random.default_rng(2)
    T = 400
    mask = np.zeros(T, dtype=bool)
    mask[::3] = True
    noise = rng.normal(0, 1, (T, 3))
    values = np.column_stack([noise[:, 0] + 0.2 * mask,  # weak
                              noise[:, 1] + 3.0 * mask,  # strong
                              noise[:, 2] + 1.0 * mask])  # medium
    ranking = us.rank_units(values, mask)
    assert ranking.order.tolist() == [1, 2, 0]
    assert np.all(np.diff(ranking.score[ranking.order]) <= 0)
    assert ranking.top(2).tolist() == [1, 2]


def test_auc_matches_pairwise_definition_with_ties():
    values = np.array([[1.0], [2.0], [2.0], [3.0], [0.0]])
    mask = np.array([False, True, False, True, False])
    inside, outside = values[mask, 0], values[~mask, 0]
    pairs = [(a > b) + 0.5 * (a == b) for a in inside for b in outside]
    assert us.roc_auc(values, mask)[0] == pytest.approx(np.mean(pairs))


def test_auc_matches_pairwise_definition_on_many_units_with_ties():
    rng = np.random.default_rng(5)
    values = rng.integers(0, 4, (60, 9)).astype(float)  # many ties
    values[:, 0] = 1.0  # all tied
    mask = rng.random(60) < 0.4
    auc = us.roc_auc(values, mask)
    for j in range(values.shape[1]):
        inside, outside = values[mask, j], values[~mask, j]
        expected = np.mean([(a > b) + 0.5 * (a == b) for a in inside for b in outside])
        assert auc[j] == pytest.approx(expected), j


def test_average_ranks_share_ties():
    ranks = us.average_ranks(np.array([[3.0, 1.0], [1.0, 1.0], [3.0, 1.0], [2.0, 0.0]]))
    np.testing.assert_allclose(ranks[:, 0], [3.5, 1, 3.5, 2])
    np.testing.assert_allclose(ranks[:, 1], [3, 3, 3, 1])


def test_constant_unit_scores_chance_and_ranks_last():
    values, mask = _synthetic(n=4, seed=3)
    values[:, 0] = 0.5
    values[:, 2] = mask
    ranking = us.rank_units(values, mask)
    assert ranking.auc[0] == pytest.approx(0.5)
    assert ranking.sign[0] == 0
    assert ranking.effect_size[0] == 0
    assert ranking.order[0] == 2


@pytest.mark.parametrize("mask_value, words", [(False, "matches no character"), (True, "covers every character")])
def test_ranking_refuses_a_mask_that_does_not_split_the_text(mask_value, words):
    values = np.zeros((10, 3))
    with pytest.raises(ValueError, match=words):
        us.rank_units(values, np.full(10, mask_value))


def test_ranking_checks_the_mask_length():
    with pytest.raises(ValueError, match="positions"):
        us.rank_units(np.zeros((10, 3)), np.zeros(9, dtype=bool))


# ---------------------------------------------------------------- sorting


def test_sort_by_index_variance_saturation_correlation():
    T = 100
    mask = np.zeros(T, dtype=bool)
    mask[40:60] = True
    t = np.linspace(0, 1, T)
    values = np.column_stack([
        np.full(T, 0.5),  # 0: constant
        0.5 + 0.05 * np.sin(20 * t),  # 1: small wiggle
        np.where(mask, 0.95, 0.05),  # 2: saturated, follows the mask exactly
        np.where(t < 0.5, 0.0, 1.0),  # 3: big variance, saturated, half-and-half
    ])
    assert us.sort_units(values, "index").tolist() == [0, 1, 2, 3]
    assert us.sort_units(values, "variance").tolist()[:2] == [3, 2]
    assert us.sort_units(values, "variance").tolist()[-1] == 0
    assert set(us.sort_units(values, "saturation").tolist()[:2]) == {2, 3}
    assert us.sort_units(values, "correlation", pattern=mask).tolist()[0] == 2
    with pytest.raises(ValueError, match="pattern"):
        us.sort_units(values, "correlation")
    with pytest.raises(ValueError, match="unknown sort"):
        us.sort_units(values, "alphabet")


def test_correlation_is_zero_for_constant_inputs():
    values = np.column_stack([np.ones(5), np.arange(5.0)])
    r = us.correlation(values, np.array([0, 0, 1, 1, 1]))
    assert r[0] == 0 and 0 < r[1] <= 1
    assert np.all(us.correlation(values, np.zeros(5)) == 0)


def test_sort_ties_keep_index_order():
    values = np.zeros((5, 4))
    assert us.sort_units(values, "variance").tolist() == [0, 1, 2, 3]
    assert us.sort_units(np.zeros((0, 3)), "variance").tolist() == [0, 1, 2]


# ---------------------------------------------------------------- patterns of Chinese verse

QUIET_NIGHT = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"


def _marked(mask, text=QUIET_NIGHT):
    return "".join(c for c, m in zip(text, mask) if m)


def test_half_line_patterns_of_a_five_character_quatrain():
    assert _marked(us.half_line_start(QUIET_NIGHT)) == "床疑举低"
    assert _marked(us.before_punctuation(QUIET_NIGHT)) == "光霜月乡"  # the fifth of each half-line
    assert _marked(us.half_line_end(QUIET_NIGHT)) == "，。，。"


def test_only_the_patterns_a_text_has_are_offered():
    poem = us.patterns_in(QUIET_NIGHT)
    assert {"half-line start", "before punctuation", "half-line end", "after a newline"} <= set(poem)
    assert not {"uppercase", "vowel", "speaker's name"} & set(poem)
    play = us.patterns_in("HAMLET\nTo be, or not to be: that is the question.\n")
    assert {"uppercase", "vowel", "speaker's name"} <= set(play)
    assert not {"half-line start", "before punctuation", "half-line end"} & set(play)
