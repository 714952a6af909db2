"""What a training run says to the job watching it: one small record per kind of report.

A run's process (or Ray worker) puts these on its report queue; the job (lstm_core.training.job)
reads them in order. Every kind of run sends the first five; a character model's run sends the
rest too (a sentiment run's own are in lstm_core.sentiment.reports). Records, not tuples: a field
is read by its name, so adding one never shifts another. They cross process boundaries, so they
hold only picklable values; what they say for a person is a `Said` (lstm_core.said).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Report:
    # The run's last word on how it ended: after it, the run only closes, so it is not ended early.
    final: ClassVar[bool] = False


@dataclass(frozen=True)
class Preparing(Report):
    """The process is up: it imports TensorFlow and builds the model."""


@dataclass(frozen=True)
class Prepared(Report):
    """The model is built; the run's time counts from here."""


@dataclass(frozen=True)
class Note(Report):
    """For a bug report (where the run trains, a harmless retry): kept in English, never said."""

    text: str


@dataclass(frozen=True)
class Failed(Report):
    """The run could not go on: `said` for the page, `traceback` for the server's log."""

    said: str
    traceback: str = ""
    model: int = 0  # which of the job's models (a comparison trains several)


@dataclass(frozen=True)
class Done(Report):
    """Always the last report: the process is about to exit."""


# -- a character model's run (lstm_core.training.train_worker) ------------------------------------


@dataclass(frozen=True)
class Stepped(Report):
    """The trainer's progress (lstm_core.training.trainer.Progress), a few times a second."""

    progress: object


@dataclass(frozen=True)
class Losses(Report):
    """Loss history points as (step, train loss, validation loss or None); `full`: the whole history."""

    full: bool
    points: tuple[tuple[int, float, float | None], ...]


@dataclass(frozen=True)
class Look(Report):
    """The weights as a NumPy network at a step, and text sampled from them (temperature, text)."""

    step: int
    clock: float  # training seconds, for spreading snapshots evenly
    net: object
    texts: tuple[tuple[float, str], ...]
    force: bool  # keep a snapshot of it whatever the interval (the start and end of a run)


@dataclass(frozen=True)
class Checkpoint(Report):
    """The model folder was saved mid-run and is complete."""

    steps: int
    train_seconds: float
    last_val: float | None


@dataclass(frozen=True)
class Ended(Report):
    """How the run ended, and the record it leaves (saved: the model folder holds it)."""

    final: ClassVar[bool] = True
    state: str
    said: str
    progress: object | None
    steps: int
    train_seconds: float
    last_val: float | None
    saved: bool
    save_error: str = ""
