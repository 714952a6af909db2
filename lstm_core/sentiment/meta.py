"""What a sentiment classifier's meta.json says, as a typed record (read by json_record, checked at load).

Written by training.SentimentTrainer.meta: the domains and the data split, the training settings and
history, and the test results per domain next to VADER's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lstm_core.i18n import N_
from lstm_core.storage.json_record import RecordError, at_least, between
from .data import NEUTRAL_MARGIN
from .model import SentimentSpec


@dataclass(frozen=True)
class DataSplit:
    examples: dict[str, int] = field(default_factory=dict)  # per split: train, val, test
    negation_phrases: int | None = at_least(0)
    split: str | None = None  # how reviews were put into the splits, in words


@dataclass(frozen=True)
class TrainSettings:
    """training.TrainSettings as it was, and how the run went."""

    arch: str | None = None
    epochs: int | None = at_least(1)
    units: int | None = at_least(1)
    embed_dim: int | None = at_least(1)
    dropout: float | None = between(0, 1)
    batch_size: int | None = at_least(1)
    learning_rate: float | None = at_least(0)
    min_count: int | None = at_least(1)
    max_words: int | None = at_least(1)
    lexicon_prior: bool | None = None
    negation_phrases: int | None = at_least(0)
    word_dropout: float | None = between(0, 1)
    lr_decay: float | None = between(0, 1)
    seed: int | None = None
    steps: int | None = at_least(0)
    epochs_done: int | None = at_least(0)
    best_epoch: int | None = at_least(0)
    seconds: float | None = at_least(0)


@dataclass(frozen=True)
class Epoch:
    """training.EpochPoint: one epoch's losses and accuracies."""

    epoch: int = at_least(0)
    step: int = at_least(0)
    train_loss: float = at_least(0)
    train_acc: float = between(0, 1)
    val_loss: float = at_least(0)
    val_acc: float = between(0, 1)


@dataclass(frozen=True)
class TestResults:
    """training.Evaluation: per domain and "all", the classifier's and VADER's accuracy on the test split."""

    accuracy: dict[str, float]
    vader_accuracy: dict[str, float]
    n: dict[str, int]
    confusion: tuple[tuple[int, ...], ...]  # [[true neg, false pos], [false neg, true pos]]
    positive_rate: dict[str, float] = field(default_factory=dict)
    split: str | None = None

    def __post_init__(self):
        for name in ("accuracy", "vader_accuracy", "positive_rate"):
            for domain, value in getattr(self, name).items():
                if not 0 <= value <= 1:
                    raise RecordError(N_("meta.json: “{field}” should be from {low:g} to {high:g}, not {value}."),
                                      field=f"test.{name}.{domain}", low=0, high=1, value=repr(value))
        for name in ("vader_accuracy", "n"):  # the quality tab shows them next to each accuracy
            for domain in ("all", *self.accuracy):
                if domain not in getattr(self, name):
                    raise RecordError(N_("meta.json: “{field}” is missing."), field=f"test.{name}.{domain}")
        if len(self.confusion) != 2 or any(len(row) != 2 for row in self.confusion):
            raise RecordError(N_("meta.json: “{field}” should be {expected}, not {value}."), field="test.confusion",
                              expected="[[n, n], [n, n]]", value=repr(self.confusion))


@dataclass(frozen=True, kw_only=True)
class SentimentMeta:
    """meta.json of a sentiment classifier; its spec checks itself (model.SentimentSpec)."""

    spec: SentimentSpec
    format: str | None = None
    version: int | None = None
    kind: str = "sentiment"
    created: str | None = None
    label: str | None = None
    domains: tuple[str, ...] = ()
    margin: float = between(0, 4, default=NEUTRAL_MARGIN)  # ratings within ±margin were neutral, left out
    data: DataSplit = DataSplit()
    train: TrainSettings = TrainSettings()
    history: tuple[Epoch, ...] = ()
    parameters: int | None = at_least(0)
    regenerate: str | None = None  # the command that made a shipped model
    test: TestResults | None = None
