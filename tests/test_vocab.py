import numpy as np
import pytest

from lstm_core.data.vocab import UNKNOWN_GLYPH, UNKNOWN_ID, CharVocab, VocabError


def test_encode_decode_round_trip():
    vocab = CharVocab.from_text("hello world")
    assert vocab.size == len(set("hello world")) + 1
    enc = vocab.encode("hello")
    assert enc.ids.dtype == np.int32 and UNKNOWN_ID not in enc.ids
    assert vocab.decode(enc.ids) == "hello"
    assert enc.unknown_positions == ()


def test_unseen_characters_map_to_the_unknown_slot_and_are_reported():
    vocab = CharVocab.from_text("abc")
    enc = vocab.encode("aXbé😀c")
    assert list(enc.ids == UNKNOWN_ID) == [False, True, False, True, True, False]
    assert enc.unknown_positions == (1, 3, 4)
    assert enc.unknown_chars == ("X", "é", "😀")
    assert vocab.decode(enc.ids) == f"a{UNKNOWN_GLYPH}b{UNKNOWN_GLYPH}{UNKNOWN_GLYPH}c"


def test_empty_text_and_chunked_long_text():
    vocab = CharVocab.from_text("ab\n")
    assert vocab.encode("").ids.size == 0
    long = ("ab\n" * 700_000) + "z"  # longer than one encoding chunk
    enc = vocab.encode(long)
    assert enc.ids.size == len(long)
    assert enc.unknown_positions == (len(long) - 1,)
    assert vocab.decode(enc.ids[:6]) == "ab\nab\n"


def test_json_round_trip_preserves_order_and_unicode():
    vocab = CharVocab.from_text("Zebra: ünïcødé — 🙂\n")
    again = CharVocab.from_json(vocab.to_json())
    assert again == vocab
    assert np.array_equal(again.ids("Zebra 🙂"), vocab.ids("Zebra 🙂"))


@pytest.mark.parametrize("data", ["not json", "[]", '{"kind": "word", "chars": []}', '{"kind": "char", "chars": ["ab"]}',
                                  '{"kind": "char", "chars": ["a", "a"]}', '{"kind": "char", "chars": []}'])
def test_bad_vocabulary_files_raise_clear_errors(data):
    with pytest.raises(VocabError):
        CharVocab.from_json(data)


def test_empty_text_cannot_make_a_vocabulary():
    with pytest.raises(VocabError, match="empty"):
        CharVocab.from_text("")
