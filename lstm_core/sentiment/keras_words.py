"""The words of a classifier trained elsewhere in Keras: its vocabulary file, and a review in its ids.

The vocabulary forms the textbook's IMDB chapters and Keras tutorials save:
- "imdb": Keras' IMDB word index (`imdb.get_word_index()` as JSON), word -> rank from 1. `imdb.load_data`
  adds `index_from` (3) to every rank, keeps 0 for padding, 1 for the start of a review and 2 for a word
  left out, and puts a 1 before every review. An index that holds "<PAD>", "<START>" and "<UNK>" (as
  tutorials make it, to read reviews back) is shifted already: its own ids are used. With index_from 0 it
  is a word index of one's own (the textbook's `word_to_int`): its ids as they are, no start mark, and
  words it does not know left out.
- "tokenizer": a Keras `Tokenizer` as `tokenizer.to_json()` writes it: its word_index, num_words, oov_token,
  and how it splits text (filters, lower, split).
- "lines": one token per line, as TextVectorization's `get_vocabulary()` lists them ("" the mask, "[UNK]"
  the unknown word).
- "list": a JSON list of the words in id order.

A word is split and looked up as the model's own pipeline did: Keras' `text_to_word_sequence` (the
Tokenizer's filters, lowercase, split on spaces) for the IMDB index, a Tokenizer and a list;
TextVectorization's default (lowercase, punctuation removed, split on whitespace) for its vocabularies.
A model whose vocabulary has no unknown word skips the words it does not know, as Keras' Tokenizer does.
Ids the Embedding has no row for are unknown words too (`load_data(num_words=...)`, `Tokenizer(num_words=...)`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lstm_core.data.vocab_forms import MASK_TOKENS, OOV_TOKENS, VocabFormError, vocabulary_text
from lstm_core.i18n import N_, _
from .framing import Framing
from .tokens import MAX_WORD_CHARS, Encoded, Token, normalise

FORMS = {"imdb": N_("a word index (word → id), such as Keras' IMDB one"), "tokenizer": N_("a Keras Tokenizer"),
         "lines": N_("a TextVectorization vocabulary (one token per line)"), "list": N_("a JSON list of words")}
IMDB_INDEX_FROM, IMDB_START, IMDB_UNKNOWN = 3, 1, 2  # imdb.load_data's defaults
IMDB_RESERVED = ("<PAD>", "<START>", "<UNK>")
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'  # Tokenizer's and text_to_word_sequence's default
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')  # TextVectorization strips these
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # tf.strings.lower


@dataclass(frozen=True)
class Parsed:
    """What a vocabulary file says, before it meets a model's Embedding."""

    form: str  # a key of FORMS
    index: Mapping[str, int]  # word -> id as the file numbers it (imdb, unshifted: the rank)
    unknown_id: int | None = None
    shifted: bool = True  # imdb only: False when index_from must still be added
    num_words: int | None = None  # a Tokenizer keeps only ids below this
    start_id: int | None = None
    strip: bool = False  # TextVectorization's splitting rather than the Tokenizer's
    filters: str = KERAS_FILTERS
    lower: bool = True
    split: str = " "

    @property
    def asks_index_from(self) -> bool:
        return self.form == "imdb" and not self.shifted


def parse(data: bytes) -> Parsed:
    """Which form `data` is and what it says (VocabFormError, in plain words, when it is none)."""
    text = vocabulary_text(data)
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()  # the newline that ends the last line
        return _from_tokens([line.removesuffix("\r") for line in lines], "lines", strip=True)
    if isinstance(parsed, list):
        if not all(isinstance(t, str) for t in parsed):
            raise VocabFormError(_("The vocabulary is a JSON list, but not every entry is a string."))
        return _from_tokens(parsed, "list", strip="[UNK]" in parsed)
    if isinstance(parsed, dict) and parsed.get("class_name") == "Tokenizer":
        return _from_tokenizer(parsed)
    if isinstance(parsed, dict) and parsed and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                                   for v in parsed.values()):
        if all(w in parsed for w in IMDB_RESERVED):
            return Parsed("imdb", parsed, parsed["<UNK>"], start_id=parsed["<START>"])
        return Parsed("imdb", parsed, IMDB_UNKNOWN, shifted=False, start_id=IMDB_START)
    raise VocabFormError(_("The vocabulary file is JSON, but neither a list of words, a word index (word → id) "
                           "nor a Keras Tokenizer's to_json()."))


def _from_tokens(tokens: list[str], form: str, strip: bool) -> Parsed:
    index: dict[str, int] = {}
    for i, t in enumerate(tokens):
        if t not in MASK_TOKENS:
            index.setdefault(t, i)
    unknown = next((index[t] for t in OOV_TOKENS if t in index), None)
    if len(index) - (unknown is not None) < 1:
        raise VocabFormError(_("The vocabulary names no word."))
    return Parsed(form, index, unknown, strip=strip)


def _from_tokenizer(parsed: dict) -> Parsed:
    config = parsed.get("config")
    if not isinstance(config, dict):
        raise VocabFormError(_("The Keras Tokenizer file has no configuration."))
    if config.get("char_level"):
        raise VocabFormError(_("This Keras Tokenizer reads characters (char_level=True); a sentiment classifier "
                               "reads words. Save the Tokenizer the classifier was trained with."))
    try:
        index = config["word_index"]
        index = json.loads(index) if isinstance(index, str) else index
    except (KeyError, ValueError, RecursionError):
        index = None
    if not isinstance(index, dict) or not index or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in index.values()):
        raise VocabFormError(_("The Keras Tokenizer file has no readable word_index."))
    num_words = config.get("num_words")
    oov = config.get("oov_token")
    filters, lower, split = config.get("filters", KERAS_FILTERS), config.get("lower", True), config.get("split", " ")
    if not isinstance(filters, str) or not isinstance(split, str) or not split:
        raise VocabFormError(_("The Keras Tokenizer file's filters or split is not text."))
    return Parsed("tokenizer", index, index.get(oov) if isinstance(oov, str) else None,
                  num_words=num_words if isinstance(num_words, int) and num_words > 0 else None,
                  filters=filters, lower=bool(lower), split=split)


@dataclass(frozen=True, eq=False)
class KerasWords:
    """A review in the ids an opened classifier was trained on: its words, split and looked up as its own
    pipeline did (scoring reads it like the built-in WordVocab), and laid out by `framing`."""

    parsed: Parsed
    ids: Mapping[str, int]  # word -> the model's id; only ids its Embedding has
    unknown_id: int | None  # None: unknown words are skipped
    framing: Framing

    @property
    def form(self) -> str:
        return self.parsed.form

    @property
    def drops_unknown(self) -> bool:
        return self.unknown_id is None

    @property
    def words(self) -> int:
        """How many words the model knows."""
        return len(self.ids)

    def tokenize(self, text: str) -> list[Token]:
        p = self.parsed
        text = normalise(text)
        if p.strip:
            pieces = (_PUNCTUATION.sub("", piece) for piece in text.split())
            keyed = [(w, w.translate(_ASCII_LOWER)) for w in pieces if w]
        else:
            spaced = text.translate({ord(c): p.split for c in p.filters})
            keyed = [(w, w.lower() if p.lower else w) for w in spaced.split(p.split) if w]
        # A longer "word" is a paste of something else: shown cut, as the built-in tokenizer does.
        return [Token(w[:MAX_WORD_CHARS], key) for w, key in keyed]

    def encode(self, keys: Sequence[str]) -> Encoded:
        found = [self.ids.get(k) for k in keys]
        ids = np.array([(self.unknown_id or 0) if i is None else i for i in found], np.int32)
        return Encoded(ids, tuple(t for t, i in enumerate(found) if i is None))


def for_model(parsed: Parsed, rows: int, framing: Framing, index_from: int = IMDB_INDEX_FROM) -> KerasWords:
    """The vocabulary read against an Embedding of `rows` rows; VocabFormError says what to change when
    its ids do not fit."""
    # index_from 0: a word index of one's own (word -> id from 1, as the textbook builds word_to_int), read
    # as it is, with no start mark and no id for unknown words.
    own = parsed.asks_index_from and index_from == 0
    shift = index_from if parsed.asks_index_from else 0
    ids = {w: i + shift for w, i in parsed.index.items()}
    unknown = None if own else parsed.unknown_id
    if parsed.form == "imdb" and not own:
        # load_data(num_words=rows) reads every word the Embedding has no row for as the unknown word.
        needed = max(i for i in (parsed.start_id, unknown) if i is not None)
        if needed >= rows:
            raise VocabFormError(_("The model's Embedding has {rows} rows, too few for the IMDB word index: ids up "
                                   "to {needed} are reserved.").format(rows=rows, needed=needed))
    else:
        top = max((i for i in ids.values() if parsed.num_words is None or i < parsed.num_words), default=0)
        top = max(top, unknown or 0)
        if top >= rows:
            fits = (_("Choose the vocabulary saved with this model, or a Tokenizer with num_words={rows}.")
                    if parsed.form == "tokenizer" else _("Choose the vocabulary saved with this model."))
            raise VocabFormError(_("The vocabulary gives words ids up to {top:,}, but the model's Embedding has only "
                                   "{rows:,} rows (input_dim={rows}): they do not belong together.").format(
                top=top, rows=rows) + " " + fits.format(rows=rows))
    kept = {w: i for w, i in ids.items() if i < rows and (parsed.num_words is None or i < parsed.num_words)}
    if not kept and parsed.asks_index_from:
        raise VocabFormError(_("With index_from={shift}, no word of the index has a row in the model's Embedding "
                               "({rows} rows): give the index_from the model was trained with.").format(
            shift=shift, rows=rows))
    if not kept:
        raise VocabFormError(_("None of the vocabulary's words has a row in the model's Embedding ({rows} rows): choose the "
                               "vocabulary saved with this model.")
                             .format(rows=rows))
    start = parsed.start_id if parsed.form == "imdb" and not own else None
    return KerasWords(parsed, kept, unknown, Framing(framing.maxlen, framing.padding, framing.truncating, start))
