"""Character vocabulary with an explicit unknown slot.

Id 0 is reserved for "a character the model never saw": text typed at inference may contain
anything, and mapping it to a slot (and reporting it) is kinder than raising.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import numpy as np

from lstm_core.i18n import _

UNKNOWN_ID = 0
# Shown wherever the unknown slot has to be drawn as a character.
UNKNOWN_GLYPH = "\ufffd"
_CHUNK = 1 << 20


class VocabError(ValueError):
    """A vocabulary file or definition that cannot be used."""


@dataclass(frozen=True)
class Encoded:
    """Ids of a text plus the positions whose characters were not in the vocabulary."""

    ids: np.ndarray
    unknown_positions: tuple[int, ...]
    unknown_chars: tuple[str, ...]


class CharVocab:
    def __init__(self, chars: list[str] | tuple[str, ...]):
        chars = list(chars)
        if any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise VocabError(_("every vocabulary entry must be exactly one character"))
        if len(set(chars)) != len(chars):
            raise VocabError(_("the vocabulary lists a character twice"))
        if not chars:
            raise VocabError(_("the vocabulary is empty"))
        self.chars: tuple[str, ...] = tuple(chars)
        self._index = {c: i + 1 for i, c in enumerate(self.chars)}
        # Sorted code points let encode() run vectorised on 20 MB texts.
        points = np.array([ord(c) for c in self.chars], dtype=np.uint32)
        order = np.argsort(points)
        self._sorted_points = points[order]
        self._sorted_ids = (order + 1).astype(np.int32)

    @classmethod
    def from_text(cls, text: str, max_chars: int | None = None) -> CharVocab:
        """The text's characters in code-point order; with `max_chars`, only the most frequent ones
        (a Chinese corpus has thousands of rare characters: they share the unknown slot)."""
        if not text:
            raise VocabError(_("cannot build a vocabulary from empty text"))
        if max_chars is None or len(set(text)) <= max_chars:
            return cls(sorted(set(text)))
        counts = Counter(text)
        return cls(sorted(sorted(counts, key=lambda c: (-counts[c], c))[:max_chars]))

    @property
    def size(self) -> int:
        """Number of ids, the unknown slot included."""
        return len(self.chars) + 1

    def __len__(self) -> int:
        return self.size

    def __contains__(self, char: str) -> bool:
        return char in self._index

    def id_of(self, char: str) -> int:
        return self._index.get(char, UNKNOWN_ID)

    def char_of(self, idx: int) -> str:
        idx = int(idx)
        if idx == UNKNOWN_ID or not 0 < idx <= len(self.chars):
            return UNKNOWN_GLYPH
        return self.chars[idx - 1]

    def encode(self, text: str) -> Encoded:
        # Chunks keep the temporary arrays small when a 20 MB corpus is encoded.
        parts, unknown = [], []
        for start in range(0, len(text), _CHUNK):
            ids, bad = self._encode_chunk(text[start:start + _CHUNK])
            parts.append(ids)
            unknown.extend(int(i) + start for i in bad)
        ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        return Encoded(ids, tuple(unknown), tuple(text[i] for i in unknown))

    def _encode_chunk(self, chunk: str) -> tuple[np.ndarray, np.ndarray]:
        points = _code_points(chunk)
        pos = np.minimum(np.searchsorted(self._sorted_points, points), len(self._sorted_points) - 1)
        known = self._sorted_points[pos] == points
        ids = np.where(known, self._sorted_ids[pos], UNKNOWN_ID).astype(np.int32)
        return ids, np.flatnonzero(~known)

    def ids(self, text: str) -> np.ndarray:
        return self.encode(text).ids

    def decode(self, ids) -> str:
        return "".join(self.char_of(i) for i in np.asarray(ids).ravel())

    def to_json(self) -> str:
        return json.dumps({"kind": "char", "unknown_id": UNKNOWN_ID, "chars": list(self.chars)},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> CharVocab:
        try:
            obj = json.loads(data)
        except (json.JSONDecodeError, TypeError) as exc:
            raise VocabError(_("the vocabulary file is not valid JSON ({error})").format(error=exc)) from None
        if not isinstance(obj, dict) or obj.get("kind") != "char" or not isinstance(obj.get("chars"), list):
            raise VocabError(_("the vocabulary file is not an LSTM Lab character vocabulary"))
        if obj.get("unknown_id", UNKNOWN_ID) != UNKNOWN_ID:
            raise VocabError(_("the vocabulary file uses a different unknown slot"))
        return cls(obj["chars"])

    def __eq__(self, other) -> bool:
        return isinstance(other, CharVocab) and self.chars == other.chars

    def __hash__(self) -> int:
        return hash(self.chars)


def _code_points(text: str) -> np.ndarray:
    # UTF-32 gives one fixed-width code point per character without a Python-level loop.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
