"""Training the sentiment classifier one step at a time, so a page can watch it, and evaluating it.

Batches hold reviews of exactly the same number of words (reviews are grouped by length, shuffled
within each length, cut into batches, and the batches shuffled), so there is no padding: what the
model learns from a review is exactly what it computes on that review when scoring it. A stop
request is honoured within one step. After every epoch the validation accuracy is measured (in
NumPy), and at the end the weights of the best epoch are kept.

Evaluation runs in NumPy too (batch.py): accuracy per domain and the confusion matrix on a split,
next to VADER's accuracy on the same texts.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from lstm_core.i18n import N_
from lstm_core.said import Explained, Said

from . import baseline, batch
from .data import SPLITS, Example, NEUTRAL_MARGIN, domain_label, negation_examples
from .model import ARCHS, SentimentSpec, build_classifier, parameter_count
from .tokens import UNK_ID, WordVocab, words

MAX_TRAIN_WORDS = 100  # longer reviews are cut to their first 100 words for training
MAX_EPOCHS = 50
PRIOR_DIMS = 4  # embedding dimensions that start as VADER's rating of the word
_BUILD_LOCK = threading.Lock()


class SentimentTrainError(Explained):
    """Settings or data that training cannot start from, explained for a person."""


@dataclass(frozen=True)
class TrainSettings:
    arch: str = "lstm"
    epochs: int = 3
    units: int = 64
    embed_dim: int = 32
    dropout: float = 0.3
    batch_size: int = 32
    learning_rate: float = 0.003
    min_count: int = 2
    max_words: int = 20_000
    lexicon_prior: bool = True
    negation_phrases: int = 2000  # synthetic "not good" phrases added to the training split (data.negation_examples)
    word_dropout: float = 0.0
    lr_decay: float = 0.3  # the learning rate is multiplied by this after every epoch
    seed: int = 0

    def __post_init__(self):
        if self.arch not in ARCHS:
            raise SentimentTrainError(N_("Architecture must be one of {archs}."), archs=", ".join(ARCHS.values()))
        for name, value, low, high in ((N_("epochs"), self.epochs, 1, MAX_EPOCHS),
                                       (N_("batch size"), self.batch_size, 1, 1024),
                                       (N_("minimum word count"), self.min_count, 1, 1000),
                                       (N_("vocabulary size"), self.max_words, 1, 100_000),
                                       (N_("units"), self.units, 1, 256), (N_("embedding size"), self.embed_dim, 1, 256)):
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise SentimentTrainError(N_("The {name} must be a whole number from {low} to {high}, not "
                                             "{value!r}."), name=Said(name), low=low, high=high, value=value)
        lr = self.learning_rate
        if not isinstance(lr, (int, float)) or not math.isfinite(lr) or not 0 < lr <= 1:
            raise SentimentTrainError(N_("The learning rate must be above 0 and at most 1, not {value!r}."), value=lr)
        if not isinstance(self.lr_decay, (int, float)) or not 0 < self.lr_decay <= 1:
            raise SentimentTrainError(N_("The learning-rate decay must be above 0 and at most 1, not {value!r}."),
                                      value=self.lr_decay)
        if not isinstance(self.negation_phrases, int) or not 0 <= self.negation_phrases <= 100_000:
            raise SentimentTrainError(N_("The number of negation phrases must be a whole number from 0 to 100,000."))
        for name, value in ((N_("dropout"), self.dropout), (N_("word dropout"), self.word_dropout)):
            if not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise SentimentTrainError(N_("The {name} must be at least 0 and below 1, not {value!r}."),
                                          name=Said(name), value=value)


@dataclass(frozen=True)
class SentimentProgress:
    step: int
    epoch: float  # epochs done, fractional
    steps_per_epoch: int
    train_loss: float  # mean of the last ~50 steps
    train_acc: float
    val_acc: float | None
    elapsed_s: float
    eta_s: float | None


@dataclass(frozen=True)
class EpochPoint:
    epoch: int
    step: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float


@dataclass(frozen=True)
class SentimentRunResult:
    status: str  # "finished", "stopped" or "diverged"
    message: Said | str = ""  # a Said: made in the training process, put into words where it is shown


@dataclass(frozen=True)
class Evaluation:
    """A classifier (and VADER) on one split: accuracy per domain and the confusion matrix."""

    split: str
    n: dict[str, int]
    accuracy: dict[str, float]  # per domain, plus "all"
    vader_accuracy: dict[str, float]
    confusion: list[list[int]]  # [[true neg, false pos], [false neg, true pos]]: rows truth, columns verdict
    positive_rate: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def lexicon_embedding(vocab: WordVocab, embed_dim: int, lexicon: dict[str, float], seed: int = 0) -> np.ndarray:
    """A starting embedding that already knows VADER's rating of each word it lists.

    Dimension 0 holds the word's rating divided by 4 (so -1..+1; 0 for words VADER does not
    list); the other dimensions start as Keras would start them (uniform in ±0.05). Training
    moves all of them: the prior is a head start, not a constraint."""
    rng = np.random.default_rng(seed)
    table = rng.uniform(-0.05, 0.05, (vocab.size, embed_dim)).astype(np.float32)
    dims = min(PRIOR_DIMS, embed_dim)
    table[:, :dims] = 0.0
    for word, valence in lexicon.items():
        i = vocab.id_of(word)
        if i > 1:
            table[i, :dims] = valence / 4.0
    return table


@lru_cache(maxsize=100_000)
def cached_words(text: str) -> tuple[str, ...]:
    """tokens.words(text), remembered: training, validation and evaluation read the same texts often."""
    return tuple(words(text))


def encode_examples(vocab: WordVocab, examples: Sequence[Example],
                    max_words: int = MAX_TRAIN_WORDS) -> list[np.ndarray]:
    return [vocab.encode(cached_words(e.text)[:max_words]).ids for e in examples]


def evaluate(net, vocab: WordVocab, examples: Sequence[Example], split: str = "test",
             vader_scores: Sequence[float] | None = None, tie_label: dict[str, int] | None = None) -> Evaluation:
    """Accuracy per domain and overall, the confusion matrix, and VADER on the same texts.

    VADER counts a text positive when its compound score is above 0, negative below 0; a text it
    scores exactly 0 (no sentiment word at all) gets the majority label of its domain's training
    split (`tie_label`), the best a constant guess can do."""
    from .baseline import vader_label, vader_scores as compute_vader

    chosen = [e for e in examples if e.split == split]
    if not chosen:
        raise SentimentTrainError(N_("There are no {split} examples to evaluate on."), split=split)
    probs = batch.final_probs(net, encode_examples(vocab, chosen))
    verdict = (probs >= 0.5).astype(int)
    truth = np.array([e.label for e in chosen])
    if vader_scores is None:
        vader_scores = compute_vader([e.text for e in chosen])
    tie_label = tie_label or {}
    vader = np.array([vader_label(s, tie_label.get(e.domain, 1)) for s, e in zip(vader_scores, chosen)])
    domains = np.array([e.domain for e in chosen])
    n, acc, vacc, pos = {}, {}, {}, {}
    for d in [*dict.fromkeys(domains.tolist()), "all"]:
        m = np.ones(len(chosen), bool) if d == "all" else domains == d
        n[d] = int(m.sum())
        acc[d] = float((verdict[m] == truth[m]).mean())
        vacc[d] = float((vader[m] == truth[m]).mean())
        pos[d] = float(truth[m].mean())
    confusion = [[int(((truth == t) & (verdict == v)).sum()) for v in (0, 1)] for t in (0, 1)]
    return Evaluation(split, n, acc, vacc, confusion, pos)


def majority_labels(examples: Sequence[Example]) -> dict[str, int]:
    """The more common label of each domain's training split (VADER's answer when it has no clue)."""
    out = {}
    for d in dict.fromkeys(e.domain for e in examples):
        labels = [e.label for e in examples if e.domain == d and e.split == "train"]
        out[d] = int(np.mean(labels) >= 0.5) if labels else 1
    return out


class SentimentTrainer:
    """Owns the vocabulary, the encoded splits and the Keras model; train with run()."""

    def __init__(self, examples: Sequence[Example], settings: TrainSettings = TrainSettings(),
                 vocab: WordVocab | None = None, margin: float = NEUTRAL_MARGIN):
        self.settings, self.margin = settings, margin
        self.examples = list(examples)
        self.domains = tuple(dict.fromkeys(e.domain for e in self.examples))
        self.phrases = 0
        if settings.negation_phrases:
            known = {w for e in self.examples if e.split == "train" for w in cached_words(e.text)}
            phrases = negation_examples(baseline.lexicon(), known, settings.negation_phrases, settings.seed)
            self.examples += phrases
            self.phrases = len(phrases)
        train = [e for e in self.examples if e.split == "train"]
        val = [e for e in self.examples if e.split == "val"]
        if len(train) < 10 or len({e.label for e in train}) < 2:
            raise SentimentTrainError(N_("Training needs at least 10 labelled texts of both kinds in the training "
                                         "split."))
        if not val:
            raise SentimentTrainError(N_("There are no validation texts to choose the best epoch with; add more data."))
        lexicon = baseline.lexicon() if settings.lexicon_prior else {}
        if vocab is None:
            vocab = WordVocab.from_texts((cached_words(e.text) for e in train), min_count=settings.min_count,
                                         max_words=settings.max_words, extra=lexicon)
        self.vocab = vocab
        self.spec = SentimentSpec(vocab_size=vocab.size, arch=settings.arch, units=settings.units,
                                  embed_dim=settings.embed_dim, dropout=settings.dropout)
        self.train_ids = encode_examples(vocab, train)
        self.train_y = np.array([e.label for e in train], np.float32)
        self.val_examples = val
        self.val_ids = encode_examples(vocab, val)
        self.val_y = np.array([e.label for e in val], np.float32)
        self._rng = np.random.default_rng(settings.seed)
        self._by_length: dict[int, np.ndarray] = {}
        for i, ids in enumerate(self.train_ids):
            self._by_length.setdefault(len(ids), []).append(i)
        self._by_length = {k: np.array(v) for k, v in self._by_length.items() if k > 0}
        self._plan: list[np.ndarray] = []
        self.steps_per_epoch = sum(math.ceil(len(v) / settings.batch_size) for v in self._by_length.values())
        self._stop = threading.Event()
        self.steps = 0
        self.epochs_done = 0
        self.train_seconds = 0.0
        self.history: list[tuple[int, float, float]] = []  # (step, loss, accuracy) per step
        self.epoch_history: list[EpochPoint] = []
        self.best: tuple[float, int, list] | None = None  # (val accuracy, epoch, weights)
        self._embedding_init = lexicon_embedding(vocab, settings.embed_dim, lexicon, settings.seed) \
            if lexicon else None
        with _BUILD_LOCK:
            self.model = self._build()

    @property
    def parameters(self) -> int:
        return parameter_count(self.spec)

    def _build(self):
        from lstm_core.training.tf_runtime import keras

        k = keras()
        model = build_classifier(self.spec, seed=self.settings.seed, embedding_init=self._embedding_init)
        model.compile(optimizer=k.optimizers.Adam(self.settings.learning_rate, clipnorm=1.0),
                      loss="binary_crossentropy", metrics=["accuracy"])
        return model

    # -- batches ----------------------------------------------------------------------------
    def _new_epoch_plan(self) -> list[np.ndarray]:
        size = self.settings.batch_size
        batches = []
        for length in sorted(self._by_length):
            members = self._rng.permutation(self._by_length[length])
            batches.extend(members[i:i + size] for i in range(0, len(members), size))
        order = self._rng.permutation(len(batches))
        return [batches[i] for i in order]

    def _batch(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.stack([self.train_ids[i] for i in members]).astype(np.int32)
        if self.settings.word_dropout > 0:
            # Word dropout: some words read as unknown, so no single word can carry a review alone.
            x[self._rng.random(x.shape) < self.settings.word_dropout] = UNK_ID
        return x, self.train_y[members][:, None]

    # -- the loop a page drives -------------------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()

    @property
    def epoch(self) -> float:
        left = len(self._plan)
        return self.epochs_done + (1 - left / self.steps_per_epoch if left else 0.0)

    def train_step(self) -> tuple[float, float]:
        if not self._plan:
            self._plan = self._new_epoch_plan()
        x, y = self._batch(self._plan.pop())
        loss, acc = self.model.train_on_batch(x, y)
        self.steps += 1
        return float(loss), float(acc)

    def run(self, epochs: int | None = None, steps: int | None = None,
            on_progress: Callable[[SentimentProgress], None] | None = None,
            on_epoch: Callable[[EpochPoint], None] | None = None,
            progress_every_s: float = 0.5) -> SentimentRunResult:
        """Train for `epochs` more epochs (default: the settings'), or `steps` steps, or until stopped."""
        if epochs is None and steps is None:
            epochs = self.settings.epochs
        self._stop.clear()
        start, start_steps = time.perf_counter(), self.steps
        target = None if steps is not None else self.steps + epochs * self.steps_per_epoch - \
            (self.steps_per_epoch - len(self._plan) if self._plan else 0)
        last_report = -math.inf
        status, message = "finished", ""
        while True:
            if self._stop.is_set():
                status = "stopped"
                break
            if (steps is not None and self.steps - start_steps >= steps) or \
                    (target is not None and self.steps >= target):
                break
            loss, acc = self.train_step()
            if not math.isfinite(loss):
                status, message = "diverged", Said(N_("The loss became NaN at step {step}; the weights of the best "
                                                      "epoch so far are kept. Try a lower learning rate."),
                                                   step=self.steps)
                break
            self.history.append((self.steps, loss, acc))
            if not self._plan:
                point = self._end_epoch()
                if on_epoch is not None:
                    on_epoch(point)
            now = time.perf_counter()
            if on_progress is not None and now - last_report >= progress_every_s:
                on_progress(self._progress(start, start_steps, target, steps))
                last_report = now
        self.train_seconds += time.perf_counter() - start
        if self.best is not None and (status == "diverged" or self.epoch_history):
            self.model.set_weights(self.best[2])
        if on_progress is not None and self.history:
            on_progress(self._progress(start, start_steps, target, steps))
        return SentimentRunResult(status, message)

    def _end_epoch(self) -> EpochPoint:
        self.epochs_done += 1
        net = self.network()
        probs = batch.final_probs(net, self.val_ids)
        p = np.clip(probs, 1e-7, 1 - 1e-7)
        val_loss = float(-np.mean(self.val_y * np.log(p) + (1 - self.val_y) * np.log(1 - p)))
        val_acc = float(((probs >= 0.5) == (self.val_y > 0.5)).mean())
        recent = self.history[-self.steps_per_epoch:]
        point = EpochPoint(self.epochs_done, self.steps, float(np.mean([h[1] for h in recent])),
                           float(np.mean([h[2] for h in recent])), val_loss, val_acc)
        self.epoch_history.append(point)
        if self.best is None or val_acc > self.best[0]:
            self.best = (val_acc, self.epochs_done, self.model.get_weights())
        if self.settings.lr_decay != 1.0:
            rate = self.settings.learning_rate * self.settings.lr_decay ** self.epochs_done
            self.model.optimizer.learning_rate.assign(rate)
        return point

    def _progress(self, start: float, start_steps: int, target: int | None, steps: int | None) -> SentimentProgress:
        elapsed = time.perf_counter() - start
        done = self.steps - start_steps
        total = (target - start_steps) if target is not None else steps
        eta = (total - done) * elapsed / done if done and total else None
        recent = self.history[-50:]
        return SentimentProgress(self.steps, self.epoch, self.steps_per_epoch, float(np.mean([h[1] for h in recent])),
                                 float(np.mean([h[2] for h in recent])),
                                 self.epoch_history[-1].val_acc if self.epoch_history else None, elapsed, eta)

    # -- results ------------------------------------------------------------------------------
    def network(self):
        from lstm_core.inference.keras_config import from_keras_model

        return from_keras_model(self.model)

    @property
    def best_epoch(self) -> int | None:
        return None if self.best is None else self.best[1]

    def evaluate(self, split: str = "test") -> Evaluation:
        return evaluate(self.network(), self.vocab, self.examples, split, tie_label=majority_labels(self.examples))

    def meta(self, evaluation: Evaluation | None = None, label: str | None = None, **extra) -> dict:
        """What a model folder says about this classifier (see store.save_folder)."""
        s = self.settings
        domains = [d for d in self.domains]
        label = label or f"{self.spec.arch_name} · {', '.join(domain_label(d) for d in domains)}"
        counts = {sp: sum(1 for e in self.examples if e.split == sp and e.domain in self.domains) for sp in SPLITS}
        meta = {"label": label, "domains": domains, "margin": self.margin,
                "data": {"examples": counts, "negation_phrases": self.phrases,
                         "split": "by CRC-32 of the lowercased text: 70% train, 15% validation, 15% test"},
                "train": {**asdict(s), "steps": self.steps, "epochs_done": self.epochs_done,
                          "best_epoch": self.best_epoch, "seconds": round(self.train_seconds, 1)},
                "history": [asdict(p) for p in self.epoch_history],
                "parameters": self.parameters, **extra}
        if evaluation is not None:
            meta["test"] = evaluation.to_dict()
        return meta

    def save(self, folder, evaluation: Evaluation | None = None, label: str | None = None, **extra):
        from .store import save_folder

        return save_folder(folder, self.model, self.vocab, self.spec, self.meta(evaluation, label, **extra))

