"""Words from text, and the word vocabulary.

The tokenizer is NLTK's TweetTokenizer (regular expressions only: nothing to download). It keeps
emoticons (":(" is one token), hashtags and @handles, shortens "sooooo" to "sooo", and lowercases
everything but emoticons. On top of it, negations are split off as in the Penn Treebank, so that
"don't", "didn't", "can't" (and the apostrophe-less "dont", "didnt", "cant" of tweets) all contain
the same token "n't", which the model can learn once; "not" stays a word of its own. Web addresses
become "<url>" and @handles "@user".

The vocabulary reserves id 0 for padding and id 1 for words the model never saw; words are the
training texts' words seen at least `min_count` times, most frequent first.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lstm_core.i18n import N_
from lstm_core.said import Explained
from .framing import Framing

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
URL, USER = "<url>", "@user"
NEGATION = "n't"
MAX_WORD_CHARS = 60  # a longer "word" is a paste of something else; it is cut (and unknown anyway)
MAX_VOCAB = 200_000

# Negations written without an apostrophe, as tweets do; each is split like its spelled-out form.
_BARE_NEGATIONS = {
    "dont": "do", "doesnt": "does", "didnt": "did", "isnt": "is", "arent": "are", "wasnt": "was",
    "werent": "were", "cant": "can", "couldnt": "could", "shouldnt": "should", "wouldnt": "would",
    "havent": "have", "hasnt": "has", "hadnt": "had", "aint": "ai", "mustnt": "must", "neednt": "need",
}
# Treebank's irregular stems ("can't" -> "ca n't") read oddly in a picture; these keep the real word.
_IRREGULAR = {"can't": "can", "won't": "will", "shan't": "shall", "ain't": "ai"}
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"',
                         "\u00b4": "'", "`": "'"})
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class WordVocabError(Explained):
    """A word vocabulary file or definition that cannot be used."""


@dataclass(frozen=True)
class Token:
    """One word as the page shows it (`text`, original casing) and as the model reads it (`key`)."""

    text: str
    key: str


@lru_cache(maxsize=1)
def _tweet_tokenizer():
    from nltk.tokenize import TweetTokenizer

    return TweetTokenizer(preserve_case=True, reduce_len=True)


@lru_cache(maxsize=1)
def _emoticon_re():
    from nltk.tokenize.casual import EMOTICON_RE

    return EMOTICON_RE


def normalise(text: str) -> str:
    """Unicode NFC, typographic quotes made plain, invisible and control characters removed."""
    text = unicodedata.normalize("NFC", text)
    return _INVISIBLE.sub("", text.translate(_QUOTES))


def _key(word: str) -> str:
    return word if _emoticon_re().search(word) else word.lower()


def _split(word: str) -> list[tuple[str, str]]:
    """One TweetTokenizer token as one or two (shown, key) words, negations split off."""
    low = word.lower()
    if low.startswith(("http://", "https://", "www.")):
        return [(word[:MAX_WORD_CHARS], URL)]
    if low.startswith("@") and len(low) > 1:
        return [(word[:MAX_WORD_CHARS], USER)]
    if low in _IRREGULAR:
        stem = _IRREGULAR[low]
        return [(word[0] + stem[1:] if word[0].isupper() else stem, stem), (word[-3:], NEGATION)]
    if low.endswith("n't") and len(low) > 3 and low[:-3].isalpha():
        return [(word[:-3], _key(word[:-3])), (word[-3:], NEGATION)]
    if low in _BARE_NEGATIONS:
        stem = _BARE_NEGATIONS[low]
        return [(word[:len(stem)], stem), (word[len(stem):], NEGATION)]
    word = word[:MAX_WORD_CHARS]
    return [(word, _key(word))]


def tokenize(text: str) -> list[Token]:
    """The words of `text` in reading order (see the module doc)."""
    return [Token(shown, key) for raw in _tweet_tokenizer().tokenize(normalise(text)) for shown, key in _split(raw)]


def words(text: str) -> list[str]:
    """Just the model's keys of `text` (what training reads)."""
    return [t.key for t in tokenize(text)]


# ---------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Encoded:
    ids: np.ndarray  # int32, one per token
    unknown_positions: tuple[int, ...]


class WordVocab:
    """Words <-> ids; id 0 is padding, id 1 the unknown word, real words from id 2."""

    framing = Framing()  # LSTM Lab's classifiers are trained on reviews as they are: no padding
    drops_unknown = False  # every word it does not know is read as id 1

    @staticmethod
    def tokenize(text: str) -> list[Token]:
        return tokenize(text)

    def __init__(self, entries: Sequence[str]):
        entries = list(entries)
        if len(entries) < 3 or entries[0] != PAD or entries[1] != UNK:
            raise WordVocabError(N_("a word vocabulary starts with {pad!r}, {unk!r} and has at least one word"),
                                 pad=PAD, unk=UNK)
        if any(not isinstance(w, str) or not w for w in entries):
            raise WordVocabError(N_("every vocabulary entry must be a non-empty string"))
        if len(set(entries)) != len(entries):
            raise WordVocabError(N_("the vocabulary lists a word twice"))
        if len(entries) > MAX_VOCAB:
            raise WordVocabError(N_("the vocabulary has {n:,} words, more than {limit:,}"), n=len(entries),
                                 limit=MAX_VOCAB)
        self.entries: tuple[str, ...] = tuple(entries)
        self._index = {w: i for i, w in enumerate(self.entries)}

    @classmethod
    def from_texts(cls, tokenized: Iterable[Sequence[str]], min_count: int = 2, max_words: int = 30_000,
                   extra: Iterable[str] = ()) -> WordVocab:
        """Words seen at least `min_count` times (most frequent first, ties alphabetical), at most
        `max_words`, then any `extra` words not already in."""
        counts = Counter(w for sentence in tokenized for w in sentence)
        for special in (PAD, UNK):
            counts.pop(special, None)
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        kept = kept[:max_words]
        seen = set(kept)
        more = [w for w in dict.fromkeys(extra) if w and w not in seen and w not in (PAD, UNK)]
        if not kept and not more:
            raise WordVocabError(N_("no word occurs often enough to build a vocabulary; use more text"))
        return cls([PAD, UNK, *kept, *more])

    @property
    def size(self) -> int:
        return len(self.entries)

    def __len__(self) -> int:
        return self.size

    def __contains__(self, word: str) -> bool:
        return word in self._index and self._index[word] > UNK_ID

    def id_of(self, word: str) -> int:
        i = self._index.get(word, UNK_ID)
        return UNK_ID if i == PAD_ID else i

    def word_of(self, idx: int) -> str:
        idx = int(idx)
        return self.entries[idx] if 0 <= idx < len(self.entries) else UNK

    def encode(self, keys: Sequence[str]) -> Encoded:
        ids = np.fromiter((self.id_of(k) for k in keys), dtype=np.int32, count=len(keys))
        return Encoded(ids, tuple(int(i) for i in np.flatnonzero(ids == UNK_ID)))

    def to_json(self) -> str:
        return json.dumps({"kind": "words", "pad": PAD_ID, "unk": UNK_ID, "entries": list(self.entries)},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> WordVocab:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise WordVocabError(N_("vocab.json is not valid JSON ({problem})"), problem=exc) from None
        if not isinstance(data, dict) or data.get("kind") != "words" or not isinstance(data.get("entries"), list):
            raise WordVocabError(N_("vocab.json does not hold a word vocabulary"))
        if data.get("pad") != PAD_ID or data.get("unk") != UNK_ID:
            raise WordVocabError(N_("vocab.json uses other padding/unknown ids than this LSTM Lab"))
        return cls(data["entries"])
