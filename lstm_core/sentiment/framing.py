"""How a review's word ids are laid out for a classifier, as Keras' `pad_sequences` does it.

The textbook's IMDB classifiers were trained on reviews padded (with id 0) or cut to `maxlen` ids, at
the front ("pre", pad_sequences' default) or at the end ("post"), and Keras' IMDB data put a start id
before every review. Such a model reads the padding too (its Embedding has a row for id 0), so to give
what Keras gives, the engine must read the review laid out the same way. The built-in classifier was
trained on unpadded reviews and reads them as they are (maxlen None).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_core.i18n import N_
from lstm_core.said import Explained

SIDES = ("pre", "post")
DEFAULT_MAXLEN = 200  # the textbook's IMDB chapter settles on about 200 words (the average review)
MAX_MAXLEN = 1_000


class FramingError(Explained):
    """Padding settings that do not describe what pad_sequences can do."""


@dataclass(frozen=True)
class Framing:
    maxlen: int | None = None  # None: the review as it is, no padding and no cut
    padding: str = "pre"
    truncating: str = "pre"
    start_id: int | None = None  # put before every review (Keras' IMDB data: 1)

    def __post_init__(self):
        if self.maxlen is not None and (not isinstance(self.maxlen, int) or isinstance(self.maxlen, bool)
                                        or not 1 <= self.maxlen <= MAX_MAXLEN):
            raise FramingError(N_("maxlen must be a whole number from 1 to {most}, not {value!r}"), most=MAX_MAXLEN,
                               value=self.maxlen)
        for name, side in (("padding", self.padding), ("truncating", self.truncating)):
            if side not in SIDES:
                raise FramingError(N_("{name} must be “pre” or “post”, not {value!r}"), name=name, value=side)

    @property
    def padded(self) -> bool:
        return self.maxlen is not None

    def kept(self, words: int) -> slice:
        """Which of `words` words the model reads: pad_sequences cuts the rest (with "pre", from the
        front, the start id first)."""
        if self.maxlen is None:
            return slice(0, words)
        if self.truncating == "pre":
            return slice(max(0, words - self.maxlen), words)
        return slice(0, min(words, self.maxlen - (self.start_id is not None)))

    def frame(self, rows: np.ndarray) -> tuple[np.ndarray, int]:
        """(B, T) word ids laid out as the model was trained on them, and the column of the first word."""
        rows = np.asarray(rows, np.intp).reshape(len(rows), -1)
        first = 0
        if self.start_id is not None:
            rows = np.hstack([np.full((len(rows), 1), self.start_id, np.intp), rows])
            first = 1
        if self.maxlen is None:
            return rows, first
        cut = rows.shape[1] - self.maxlen
        if cut > 0:
            if self.truncating == "pre":
                rows, first = rows[:, cut:], first - cut
            else:
                rows = rows[:, :self.maxlen]
        pad = np.zeros((len(rows), self.maxlen - rows.shape[1]), np.intp)  # pad_sequences' value=0
        if self.padding == "pre":
            return np.hstack([pad, rows]), first + pad.shape[1]
        return np.hstack([rows, pad]), first
