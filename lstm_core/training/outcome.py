"""Whether a run learnt or diverged: a run is "finished" only if its model is better than guessing.

A learning rate far too high makes every step overshoot: the loss climbs instead of falling, ends
above random guessing (each character of the text equally likely), and the samples repeat one
letter. Such a run must not look like a success, so it ends as "diverged" with an explanation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from lstm_core.i18n import N_
from lstm_core.said import Said

# A rise this large (nats per character) from the run's best to its end is no noise.
RISE_NATS = 0.5
# An untrained network sits at about random guessing (a little above, as its first outputs are not
# quite uniform): only a loss clearly above it says the run went wrong rather than not far yet.
ABOVE_CHANCE_NATS = 0.25


def chance_loss(vocab_size: int) -> float:
    """The loss of random guessing: each of the text's characters equally likely (the vocabulary's
    unknown slot is never the answer, so it does not count)."""
    return math.log(max(2, vocab_size - 1))


def diverged(train_losses: Sequence[float], val_loss: float | None, vocab_size: int,
             learning_rate: float) -> Said | None:
    """Why the run diverged, in plain words, or None if it learnt.

    `train_losses` are this run's step losses in order; `val_loss` its final validation loss. Said in
    the training's child process: the page translates it where it shows it."""
    chance = chance_loss(vocab_size)
    advice = Said(N_("The learning rate ({rate:g}) was too high for this network: each step overshot and undid "
                     "what the one before had learnt. Try {lower:g} or lower, and start again."),
                  rate=learning_rate, lower=_lower(learning_rate))
    final = val_loss if val_loss is not None else (train_losses[-1] if train_losses else None)
    if final is not None and (not math.isfinite(final) or final > chance + ABOVE_CHANCE_NATS):
        return Said(N_("Training diverged: the loss ended at {final:.2f} nats per character, worse than random "
                       "guessing ({chance:.2f} = ln {chars}: each of the text's {chars} characters equally likely). "
                       "{advice}"), final=final, chance=chance, chars=vocab_size - 1, advice=advice)
    smooth = _smoothed(train_losses)
    if len(smooth) >= 10:
        best = min(range(len(smooth)), key=smooth.__getitem__)
        if best < len(smooth) / 2 and smooth[-1] - smooth[best] > RISE_NATS:
            return Said(N_("Training diverged: the loss fell to {best:.2f} nats per character, then rose for most "
                           "of the run, to {last:.2f}. {advice}"), best=smooth[best], last=smooth[-1], advice=advice)
    return None


def _smoothed(losses: Sequence[float]) -> list[float]:
    """Means over tenths of the run: a step's noise is not a trend."""
    finite = [v for v in losses if math.isfinite(v)]
    if len(finite) < 20:
        return []
    width = len(finite) // 10
    return [sum(finite[i:i + width]) / width for i in range(0, len(finite) - width + 1, width)]


def _lower(learning_rate: float) -> float:
    """A tenth of the rate, at most the usual 0.01."""
    return min(0.01, learning_rate / 10)
