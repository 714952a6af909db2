"""lstm_core.data.overlap: a validation part copied from the training part is noticed; real text is not."""

import pytest

from lstm_core.data.corpora import SHAKESPEARE, load_corpus, validation_start
from lstm_core.data.overlap import seen_share, validation_repeats_training

VERSE = ("To be, or not to be, that is the question:\n"
         "Whether 'tis nobler in the mind to suffer\n"
         "The slings and arrows of outrageous fortune,\n"
         "Or to take arms against a sea of troubles\n")


def test_a_text_that_repeats_itself_is_noticed():
    assert seen_share(VERSE * 12) == 1.0
    assert validation_repeats_training(VERSE * 12)


@pytest.mark.parametrize("name", list(SHAKESPEARE))
def test_the_built_in_shakespeare_is_not(name):
    assert seen_share(load_corpus(name).text) < 0.1
    assert not validation_repeats_training(load_corpus(name).text)


def test_a_text_that_does_not_repeat_is_not():
    text = load_corpus("shakespeare3").text[:50_000]  # any stretch of a play, read once
    assert seen_share(text) == 0.0 and not validation_repeats_training(text)


def test_half_copied_is_the_threshold():
    """A validation part whose first half repeats the training text and second half is new."""
    text = load_corpus("shakespeare3").text[:40_000]
    cut = validation_start(len(text))
    val = len(text) - cut
    copied = text[:val // 2]
    new = text[-(val - len(copied)):]
    assert validation_start(len(text[:cut] + copied + new)) == cut
    share = seen_share(text[:cut] + copied + new)
    assert 0.4 < share < 0.6


def test_short_and_empty_texts():
    assert seen_share("") == 0.0 and seen_share("x") == 0.0
    assert seen_share("ab" * 20) == 1.0  # a validation part shorter than a piece: the whole of it
