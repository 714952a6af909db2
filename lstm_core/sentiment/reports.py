"""What a sentiment training's process reports besides what every run does (lstm_core.training.reports).

A job may train several classifiers one after the other (the comparison): each report names its
`model`, the index of its settings in the job.
"""

from __future__ import annotations

from dataclasses import dataclass

from lstm_core.training.reports import Report


@dataclass(frozen=True)
class ModelState(Report):
    """One classifier is being built ("preparing") or trains ("running")."""

    model: int
    state: str


@dataclass(frozen=True)
class Steps(Report):
    """New steps of one classifier: (step, loss, accuracy) each."""

    model: int
    points: tuple[tuple[int, float, float], ...]


@dataclass(frozen=True)
class Advanced(Report):
    """One classifier's progress (lstm_core.sentiment.training.SentimentProgress), a few times a second."""

    model: int
    progress: object


@dataclass(frozen=True)
class Epoch(Report):
    """One classifier finished an epoch (lstm_core.sentiment.training.EpochPoint)."""

    model: int
    point: object


@dataclass(frozen=True)
class ModelResult(Report):
    """One classifier ended: its test evaluation and model folder (within the job's; None: nothing kept)."""

    model: int
    evaluation: object | None
    folder: str | None
    seconds: float
    state: str
    said: str
