"""The vocabularies a model trained elsewhere comes with, read into one form: the token of each id.

Accepted (the forms Keras courses and tutorials save):
- a JSON list of the characters in id order;
- a JSON object character -> id (the textbooks' `char_indices`), or id -> character (`indices_char`);
- a Keras `Tokenizer` as `tokenizer.to_json()` writes it (character level; id 0 is its padding);
- one token per line (`TextVectorization.get_vocabulary()` / `StringLookup` files: "" is the mask,
  "[UNK]" the out-of-vocabulary token);
- the text the model was trained on: its vocabulary is `sorted(set(text))`, as the textbooks build it.
A plain text file could be the third or the fourth; the model's number of outputs decides.

Ids that stand for no character (padding, the mask) are `None`; an out-of-vocabulary token's id is
`unknown_id`. Nothing here reserves an id: the model's own ids are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lstm_core.i18n import _

MAX_VOCAB_BYTES = 64 << 20  # a training text may come as the vocabulary; more is no vocabulary file
OOV_TOKENS = ("[UNK]", "<unk>", "<UNK>", "<oov>", "<OOV>", "[OOV]")
MASK_TOKENS = ("", "<pad>", "<PAD>", "[PAD]", "[MASK]")


class VocabFormError(ValueError):
    """A vocabulary file that does not fit the model, explained for a person."""


@dataclass(frozen=True)
class ForeignVocab:
    tokens: tuple[str | None, ...]  # tokens[id]: the model's own ids; None: no character (padding, mask)
    unknown_id: int | None  # the model's out-of-vocabulary id, if it has one
    form: str  # "list", "char_indices", "indices_char", "tokenizer", "lines" or "text"

    @property
    def chars(self) -> list[str]:
        """The characters, in the model's id order."""
        return [t for i, t in enumerate(self.tokens) if t is not None and i != self.unknown_id]


def vocabulary_text(data: bytes) -> str:
    """A vocabulary file's text: not empty, not too big, UTF-8 (VocabFormError saying which it is not)."""
    if not data.strip():
        raise VocabFormError(_("The vocabulary file is empty."))
    if len(data) > MAX_VOCAB_BYTES:
        raise VocabFormError(_("The vocabulary file is {size} MB; LSTM Lab reads at most {most} MB.").format(
            size=len(data) >> 20, most=MAX_VOCAB_BYTES >> 20))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise VocabFormError(_("The vocabulary file is not UTF-8 text.")) from None


def read_vocabulary(data: bytes, size: int) -> ForeignVocab:
    """The vocabulary in `data` for a model with `size` input and output ids."""
    text = vocabulary_text(data)
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return _from_plain_text(text, size)
    return _from_json(parsed, size)


def _from_json(parsed, size: int) -> ForeignVocab:
    if isinstance(parsed, list):
        if not all(isinstance(t, str) for t in parsed):
            raise VocabFormError(_("The vocabulary is a JSON list, but not every entry is a string."))
        return _checked(_special(parsed), size, "list")
    if not isinstance(parsed, dict) or not parsed:
        raise VocabFormError(_("The vocabulary file is JSON, but neither a list of characters nor an object "
                               "that maps characters to ids."))
    if parsed.get("class_name") == "Tokenizer":
        return _from_tokenizer(parsed, size)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in parsed.values()):
        return _checked(_by_id({v: k for k, v in parsed.items()}), size, "char_indices")
    if all(isinstance(v, str) for v in parsed.values()) and all(k.lstrip("-").isdigit() for k in parsed):
        return _checked(_by_id({int(k): v for k, v in parsed.items()}), size, "indices_char")
    raise VocabFormError(_("The vocabulary file is a JSON object, but it does not map characters to ids "
                           "(like the textbooks' char_indices) or ids to characters."))


def _from_tokenizer(parsed: dict, size: int) -> ForeignVocab:
    config = parsed.get("config")
    if not isinstance(config, dict):
        raise VocabFormError(_("The Keras Tokenizer file has no configuration."))
    if not config.get("char_level"):
        raise VocabFormError(_("This Keras Tokenizer splits text into words; LSTM Lab's character pages read "
                               "characters. Save the Tokenizer of a character model (char_level=True)."))
    try:
        index = config["word_index"]
        index = json.loads(index) if isinstance(index, str) else index
    except (KeyError, ValueError):
        raise VocabFormError(_("The Keras Tokenizer file has no readable word_index.")) from None
    if not isinstance(index, dict) or not all(isinstance(v, int) for v in index.values()):
        raise VocabFormError(_("The Keras Tokenizer file has no readable word_index."))
    num_words = config.get("num_words")
    if isinstance(num_words, int):  # the Tokenizer keeps only ids below num_words
        index = {k: v for k, v in index.items() if v < num_words}
    tokens = _by_id({v: k for k, v in index.items()})
    oov = config.get("oov_token")
    unknown = tokens.index(oov) if isinstance(oov, str) and oov in tokens else None
    return _checked((tokens, unknown), size, "tokenizer")


def _from_plain_text(text: str, size: int) -> ForeignVocab:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    lines = [line.removesuffix("\r") for line in lines]
    as_lines = _special(lines) if len(set(lines)) == len(lines) else None
    as_text = sorted(set(text))
    if as_lines is not None and len(as_lines[0]) == size:
        return _checked(as_lines, size, "lines")
    if len(as_text) == size:
        return _checked((as_text, None), size, "text")
    raise VocabFormError(_("The model has {size} ids, but the vocabulary file fits neither way LSTM Lab reads a "
                           "text file: as one token per line it has {lines} (with repeats: {repeats}); as the "
                           "training text, {chars} different characters.").format(
        size=size, lines=len(lines), repeats=_("yes") if as_lines is None else _("no"), chars=len(as_text)))


def _special(tokens: list[str]) -> tuple[list[str | None], int | None]:
    """Mask and padding tokens stand for no character; an OOV token marks the unknown id."""
    out: list[str | None] = [None if t in MASK_TOKENS else t for t in tokens]
    unknown = next((i for i, t in enumerate(out) if t in OOV_TOKENS), None)
    return out, unknown


def _by_id(mapping: dict[int, str]) -> list[str | None]:
    """tokens[id] from an id -> token map; ids nothing maps to (a Tokenizer's 0) stand for no character."""
    if any(i < 0 for i in mapping):
        raise VocabFormError(_("The vocabulary gives a character a negative id."))
    if any(not isinstance(t, str) for t in mapping.values()):
        raise VocabFormError(_("The vocabulary maps an id to something that is not a string."))
    tokens: list[str | None] = [None] * (max(mapping) + 1)
    for i, t in mapping.items():
        tokens[i] = t
    return tokens


def _checked(found: tuple[list[str | None], int | None] | list, size: int, form: str) -> ForeignVocab:
    tokens, unknown = found if isinstance(found, tuple) else (found, None)
    if len(tokens) > size:
        raise VocabFormError(_("The vocabulary has {count} ids, but the model only {size}: they do not belong "
                               "together.").format(count=len(tokens), size=size))
    tokens = list(tokens) + [None] * (size - len(tokens))  # ids the vocabulary never gave out
    named = [t for i, t in enumerate(tokens) if t is not None and i != unknown]
    if tokens.count(None) > 1:  # one id for padding or the mask is usual; more, and they are not a pair
        raise VocabFormError(_("The vocabulary names {named} characters, but the model has {size} ids: they do not "
                               "belong together.").format(named=len(named), size=size))
    long = [t for t in named if len(t) != 1]
    if long:
        shown = ", ".join(repr(t) for t in long[:5])
        raise VocabFormError(_("LSTM Lab's character pages need one character per id, but this vocabulary has "
                               "{count} longer tokens ({shown}): is it a word-level model?").format(
            count=len(long), shown=shown))
    if len(set(named)) != len(named):
        raise VocabFormError(_("The vocabulary gives one character two ids."))
    if not named:
        raise VocabFormError(_("The vocabulary names no character."))
    return ForeignVocab(tuple(tokens), unknown, form)
