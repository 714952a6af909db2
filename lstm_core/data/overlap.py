"""Whether a text's validation part (split_train_val's last VAL_FRACTION) is, nearly, a copy of text in
its training part: then a low validation loss shows memory, not how the network reads new text.

Measured on evenly spaced pieces of the validation part, each looked up verbatim in the training part.
A piece is PIECE_CHARS characters: about six English words, or a line and a half of a Chinese poem,
which natural text repeats only where it quotes itself; the built-in Shakespeare, whose plays share
stage directions and speakers' names, has none of 64 pieces in its training part (the Tang poems 3),
while a text that repeats itself has them all. Sixty-four look-ups of a substring take a tenth of a
second on all of Shakespeare, so the share is worked out once when a text is prepared.
"""

from __future__ import annotations

from lstm_core.data.corpora import VAL_FRACTION, validation_start

PIECE_CHARS = 32
PIECES = 64
# At least half the pieces seen already: the validation loss then mostly measures recall.
REPEATED_SHARE = 0.5


def seen_share(text: str, val_fraction: float = VAL_FRACTION) -> float:
    """The share of PIECES evenly spaced pieces of the validation part that occur in the training part
    (a validation part shorter than a piece is one piece, the whole of it)."""
    cut = validation_start(len(text), val_fraction)
    train, val = text[:cut], text[cut:]
    if not val:
        return 0.0
    size = min(PIECE_CHARS, len(val))
    last = len(val) - size
    starts = sorted({round(last * k / (PIECES - 1)) for k in range(PIECES)})
    return sum(val[s:s + size] in train for s in starts) / len(starts)


def validation_repeats_training(text: str, val_fraction: float = VAL_FRACTION) -> bool:
    return seen_share(text, val_fraction) >= REPEATED_SHARE
