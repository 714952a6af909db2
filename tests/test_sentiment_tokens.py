"""The sentiment tokenizer (NLTK, nothing to download) and the word vocabulary."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_core.sentiment.tokens import (NEGATION, PAD, PAD_ID, UNK, UNK_ID, URL, USER, WordVocabError, WordVocab,
                                        tokenize, words)


def test_lowercase_words_and_punctuation():
    assert words("The Movie was GREAT, really!") == ["the", "movie", "was", "great", ",", "really", "!"]


@pytest.mark.parametrize("text, expected", [
    ("I don't like it", ["i", "do", NEGATION, "like", "it"]),
    ("It isn’t good", ["it", "is", NEGATION, "good"]),  # a typographic apostrophe
    ("I can't, I won't", ["i", "can", NEGATION, ",", "i", "will", NEGATION]),
    ("dont cant didnt", ["do", NEGATION, "can", NEGATION, "did", NEGATION]),  # tweets drop the apostrophe
    ("not good at all", ["not", "good", "at", "all"]),
])
def test_negations_are_tokens_of_their_own(text, expected):
    assert words(text) == expected


def test_shown_text_keeps_the_casing_the_key_does_not():
    tokens = tokenize("Don't GO")
    assert [(t.text, t.key) for t in tokens] == [("Do", "do"), ("n't", NEGATION), ("GO", "go")]


def test_emoticons_handles_urls_and_hashtags():
    tokens = tokenize("Love it :D @bob https://x.example/a #yay sooooo good")
    keys = [t.key for t in tokens]
    assert ":D" in keys  # emoticons keep their case (":D" is not ":d")
    assert USER in keys and URL in keys and "#yay" in keys
    assert "sooo" in keys  # long repeats shortened
    shown = [t.text for t in tokens]
    assert "@bob" in shown and "https://x.example/a" in shown  # the page shows what was typed


def test_tokenizer_needs_no_download(monkeypatch):
    # word_tokenize would need the punkt model; ours must work with no NLTK data path at all.
    import nltk

    monkeypatch.setattr(nltk.data, "path", [])
    assert words("Fine. Really fine.") == ["fine", ".", "really", "fine", "."]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_has_no_tokens(text):
    assert tokenize(text) == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_tokenizes_without_error(text):
    for token in tokenize(text):
        assert token.text and token.key
        assert len(token.text) <= 60 or token.key in (URL, USER)


def test_vocabulary_reserves_padding_and_unknown():
    vocab = WordVocab.from_texts([["good", "film"], ["good", "bad"], ["bad", "rare"]], min_count=2)
    assert vocab.entries[:2] == (PAD, UNK)
    assert vocab.entries[2:] == ("bad", "good")  # most frequent first, ties alphabetical
    assert vocab.id_of("good") > UNK_ID and "good" in vocab
    assert vocab.id_of("rare") == UNK_ID and "rare" not in vocab
    assert vocab.id_of(PAD) == UNK_ID  # the padding token cannot be typed in
    encoded = vocab.encode(["good", "zzz", "bad"])
    assert encoded.ids.dtype == np.int32
    assert encoded.ids.tolist() == [vocab.id_of("good"), UNK_ID, vocab.id_of("bad")]
    assert encoded.unknown_positions == (1,)
    assert PAD_ID == 0 and UNK_ID == 1


def test_vocabulary_extra_words_and_size_limit():
    vocab = WordVocab.from_texts([["a", "a", "b", "b", "c", "c"]], min_count=1, max_words=2, extra=["zz", "a"])
    assert vocab.entries == (PAD, UNK, "a", "b", "zz")


def test_vocabulary_json_round_trip_and_damage():
    vocab = WordVocab.from_texts([["x", "y", "x", "y"]])
    again = WordVocab.from_json(vocab.to_json())
    assert again.entries == vocab.entries
    for bad in ("not json", json.dumps({"kind": "chars"}), json.dumps([1, 2]),
                json.dumps({"kind": "words", "pad": 0, "unk": 1, "entries": ["x", "y"]}),
                json.dumps({"kind": "words", "pad": 0, "unk": 1, "entries": [PAD, UNK, "x", "x"]}),
                json.dumps({"kind": "words", "pad": 1, "unk": 0, "entries": [PAD, UNK, "x"]})):
        with pytest.raises(WordVocabError):
            WordVocab.from_json(bad)
    with pytest.raises(WordVocabError):
        WordVocab.from_texts([["once"]], min_count=2)
