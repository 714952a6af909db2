"""A typed regular expression as a pattern: which characters its matches cover, and how it fails."""

import numpy as np
import pytest

from lstm_core.inference.regex_pattern import MAX_EXPRESSION, PatternError, regex_mask


def covered(text: str, expression: str) -> str:
    mask = regex_mask(text, expression)
    return "".join(c if m else "." for c, m in zip(text, mask))


def test_a_character_is_inside_when_a_match_covers_it():
    assert covered("To be, or not to be", r"\bbe\b") == "...be............be"
    assert covered("HAMLET\nTo be\nOPHELIA\nGood", r"(?m)^[A-Z]{2,}$") == "HAMLET.......OPHELIA....."


def test_overlapping_matches_cover_every_character_they_reach():
    # Found one after another, "aa" in "aaa" would leave the last a out; overlapped, it covers it.
    assert covered("baaab", "aa") == ".aaa."
    assert covered("bcbcbx", "bcb") == "bcbcb."


def test_empty_matches_cover_nothing():
    assert not regex_mask("To be, or not", r"\b").any()
    assert covered("baab", "a*") == ".aa."


def test_the_mask_has_one_entry_per_character():
    text = "naïve “quotes” 床前明月光"
    mask = regex_mask(text, "[^ ]+")
    assert mask.shape == (len(text),) and mask.dtype == bool
    np.testing.assert_array_equal(mask, [c != " " for c in text])


def test_a_bad_expression_says_what_the_regex_engine_found():
    with pytest.raises(PatternError) as caught:
        regex_mask("text", "(ab")
    assert "missing )" in str(caught.value)
    with pytest.raises(PatternError):
        regex_mask("text", "")
    with pytest.raises(PatternError) as caught:
        regex_mask("text", "a" * (MAX_EXPRESSION + 1))
    assert f"{MAX_EXPRESSION:,}" in str(caught.value)


def test_a_catastrophic_expression_is_stopped_with_a_timeout_message():
    with pytest.raises(PatternError) as caught:
        regex_mask("a" * 100_000 + "b", "(a+)+$", timeout_s=0.5)
    assert "took too long" in str(caught.value)
    assert caught.value.said.args["seconds"] == 0.5
