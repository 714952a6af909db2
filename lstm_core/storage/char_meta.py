"""What a character model's meta.json says, as a typed record (read by json_record, checked at load).

Written by the trainer (lstm_core.training.trainer: corpus, train, metrics), by pretrain (pretrained,
held_out) and by keras_import (imported, for a model trained elsewhere). Every part but the header
may be missing: a model opened from a Keras file has no training story.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lstm_core.spec import ModelSpec
from lstm_core.storage.json_record import at_least, between


@dataclass(frozen=True)
class Corpus:
    """The text the model was trained on: a built-in one's `name` (a key of corpora.BUILTIN), or only a label."""

    name: str | None = None
    label: str | None = None
    chars: int | None = at_least(0)
    lowercase: bool | None = None


@dataclass(frozen=True)
class TrainSettings:
    """lstm_core.training.trainer.TrainConfig as it was, and the precision it ran in."""

    seq_len: int | None = at_least(1)
    batch_size: int | None = at_least(1)
    learning_rate: float | None = at_least(0)
    clipnorm: float | None = at_least(0)
    seed: int | None = None
    val_chars: int | None = at_least(0)
    val_window: int | None = at_least(1)
    validate_every_s: float | None = at_least(0)
    val_budget: float | None = between(0, 1)
    precision: str | None = None
    cool_down: float | None = between(0, 1)


@dataclass(frozen=True)
class Metrics:
    steps: int | None = at_least(0)
    epochs: float | None = at_least(0)
    train_seconds: float | None = at_least(0)
    val_loss_nats: float | None = at_least(0)  # None: never validated
    val_bits: float | None = at_least(0)
    val_perplexity: float | None = at_least(1)


@dataclass(frozen=True)
class HeldOutPlay:
    label: str
    loss_nats: float = at_least(0)


@dataclass(frozen=True)
class HeldOutPoems:
    count: int = at_least(0)
    chars: int = at_least(0)


@dataclass(frozen=True)
class HeldOut:
    """A shipped model's loss on text it never read: Shakespeare's three held-out plays, or Tang poems."""

    mean_loss_nats: float = at_least(0)
    plays: dict[str, HeldOutPlay] = field(default_factory=dict)
    poems: HeldOutPoems | None = None


@dataclass(frozen=True)
class ImportedLayer:
    cell: str
    units: int = at_least(1)


@dataclass(frozen=True)
class Imported:
    """A model trained elsewhere (lstm_core.storage.keras_import): its files and its own id order."""

    # For each of LSTM Lab's ids the model's own, None for an unknown slot it lacks (netweights.as_char_model).
    keras_ids: tuple[int | None, ...]
    file: str | None = None
    vocabulary_file: str | None = None
    vocabulary: str | None = None
    input: str | None = None
    parameters: int | None = at_least(0)
    layers: tuple[ImportedLayer, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CharMeta:
    """meta.json of a character model; its spec checks itself (lstm_core.spec)."""

    spec: ModelSpec
    format: str | None = None
    version: int | None = None
    kind: str = "char-lm"
    created: str | None = None
    label: str | None = None
    corpus: Corpus = Corpus()
    train: TrainSettings | None = None
    metrics: Metrics = Metrics()
    pretrained: bool = False
    held_out: HeldOut | None = None
    imported: Imported | None = None
