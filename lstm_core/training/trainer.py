"""Training the character language model one step at a time, so a UI thread can drive it.

Each step trains on a batch of random windows of the corpus and predicts every next character
in every window (many-to-many). A stop request is checked between steps, so it is honoured
within one step; calling run() again resumes with the same weights and optimizer state.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, replace
from typing import Callable

import numpy as np

from lstm_core.data.corpora import split_train_val
from lstm_core.i18n import N_, _
from lstm_core.training.precision import PRECISIONS, resolve
from lstm_core.said import Said
from lstm_core.spec import ModelSpec
from lstm_core.data.vocab import CharVocab

NATS_TO_BITS = 1 / math.log(2)
MAX_LEARNING_RATE = 10.0
GOOD_EVERY_S = 1.0  # how often run() keeps a copy of weights known to be finite, to go back to
# Building a model seeds Keras' global random state; two sessions building at once must not interleave.
_BUILD_LOCK = threading.Lock()


class TrainError(ValueError):
    """Settings or data that training cannot start from, explained for a person.

    Raised where the page sets a run up, in the reader's language (`_`); raised in a training's
    child process, as a `Said` the page translates (see train_worker.readable)."""


@dataclass(frozen=True)
class TrainConfig:
    # Short windows, many of them: a step over 128 windows of 16 characters costs about what one over
    # 64 of 64 does, but the recurrence runs 16 steps deep instead of 64, so a minute makes several
    # times the updates and a lower loss (figures: bench/bench_app_training.py and the README).
    # Longer windows teach longer memory.
    seq_len: int = 16
    batch_size: int = 128
    learning_rate: float = 0.01
    clipnorm: float = 1.0
    seed: int = 0
    # Validation reads at most this many held-out characters, so its cost does not grow with the corpus.
    val_chars: int = 100_000
    # Held-out text is read in passages of this length whatever seq_len is, so validation losses of
    # runs with different settings can be compared.
    val_window: int = 256
    # At least this often, but never more than val_budget of the time: validation is not training.
    validate_every_s: float = 10.0
    val_budget: float = 0.05
    # "auto": bfloat16 products where the CPU has them natively (about 1.7x faster), else float32.
    precision: str = "auto"
    # A run with a time or step budget spends this last share of it lowering the learning rate
    # linearly to zero: big steps find the way, small ones settle (about 0.03 nats better after 60 s).
    cool_down: float = 0.4

    def __post_init__(self):
        checks = (
            (N_("The sequence length must be a whole number from {low} to {high}, not {value}."),
             self.seq_len, 2, 2000),
            (N_("The batch size must be a whole number from {low} to {high}, not {value}."),
             self.batch_size, 1, 1024),
        )
        for message, value, low, high in checks:
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise TrainError(_(message).format(low=low, high=high, value=repr(value)))
        lr = self.learning_rate
        if not isinstance(lr, (int, float)) or not math.isfinite(lr) or not 0 < lr <= MAX_LEARNING_RATE:
            raise TrainError(_("The learning rate must be above 0 and at most {most:g}, not {value}.").format(
                most=MAX_LEARNING_RATE, value=repr(lr)))
        if not math.isfinite(self.clipnorm) or self.clipnorm <= 0:
            raise TrainError(_("Gradient clipping needs a positive norm."))
        if not (isinstance(self.cool_down, (int, float)) and 0 <= self.cool_down < 1):
            raise TrainError(_("The cool-down share must be at least 0 and below 1, not {value}.").format(
                value=repr(self.cool_down)))
        if self.precision not in PRECISIONS:
            raise TrainError(_("The precision must be one of {choices}, not {value}.").format(
                choices=", ".join(PRECISIONS), value=repr(self.precision)))


@dataclass(frozen=True)
class Progress:
    step: int
    epoch: float
    train_loss: float
    val_loss: float | None
    chars_per_s: float
    elapsed_s: float
    eta_s: float | None
    learning_rate: float
    precision: str = "float32"  # what the training step computes in (see precision.py)

    @property
    def train_bits(self) -> float:
        return self.train_loss * NATS_TO_BITS

    @property
    def val_bits(self) -> float | None:
        return None if self.val_loss is None else self.val_loss * NATS_TO_BITS

    @property
    def val_perplexity(self) -> float | None:
        return None if self.val_loss is None else math.exp(self.val_loss)


@dataclass(frozen=True)
class RunResult:
    status: str  # "finished", "stopped" or "diverged"
    progress: Progress | None
    message: str = ""


@dataclass
class HistoryPoint:
    step: int
    train_loss: float
    val_loss: float | None = None


def min_corpus_chars(seq_len: int, val_fraction: float = 0.1) -> int:
    """Characters needed for one training window after the validation tail is set aside."""
    return math.ceil((seq_len + 2) / (1 - val_fraction))


class Trainer:
    def __init__(self, spec: ModelSpec, vocab: CharVocab, ids: np.ndarray, config: TrainConfig = TrainConfig(),
                 corpus_name: str = "", model=None):
        """`model`: a compiled Keras model to go on training (its weights and optimizer state), as
        persistence.load_keras_model gives back from a folder saved with its optimizer."""
        if spec.vocab_size != vocab.size:
            raise TrainError(Said(N_("The model's vocabulary size does not match the corpus vocabulary.")))
        ids = np.asarray(ids)
        needed = min_corpus_chars(config.seq_len)
        if ids.size < needed:
            raise TrainError(Said(N_("The text has {chars:,} characters; a sequence length of {seq_len} needs at "
                                     "least {needed:,} (one training window plus the 10% held out). Use a longer "
                                     "text or a shorter sequence length."),
                                  chars=ids.size, seq_len=config.seq_len, needed=needed))
        self.spec, self.vocab, self.config, self.corpus_name = spec, vocab, config, corpus_name
        # The smallest integer type that holds every id keeps a 20 MB corpus at 20-40 MB.
        dtype = np.uint8 if vocab.size <= 256 else np.uint16 if vocab.size <= 65536 else np.int32
        train, val = split_train_val(ids.astype(dtype, copy=False))
        self.train_ids, self.val_ids = train, val[: config.val_chars + 1]
        self._rng = np.random.default_rng(config.seed)
        self._offsets = np.arange(config.seq_len + 1)
        self._stop = threading.Event()
        self.steps = 0
        self.history: list[HistoryPoint] = []
        self.last_val_loss: float | None = None
        self.train_seconds = 0.0  # of the runs that ended; see seconds_trained
        self._run_started: float | None = None
        self._last_good: tuple[int, list, list] | None = None
        self._last_good_at = -math.inf
        self.good_every_s = GOOD_EVERY_S
        self._val_cost = 0.0  # seconds the last validation took
        self.precision = resolve(config.precision)
        mixed = self.precision != "float32"
        # `model` trains; `_float_model` validates, is saved and is what the NumPy engine reads, so
        # neither depends on the CPU. They are one model unless training computes in bfloat16.
        with _BUILD_LOCK:
            if model is None:
                self.model = self._compiled(self.precision, seed=config.seed)
                self._float_model = self._compiled("float32") if mixed else self.model
            else:
                self._float_model = model
                self.model = self._compiled(self.precision) if mixed else model
        if model is not None and self.model is not model:
            self.model.set_weights(model.get_weights())
            _copy_optimizer_state(model, self.model)
        # Adam's moments now, not inside the first step: a traced step that creates variables is
        # traced twice by TensorFlow, which made the first step of a run twice as slow.
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        self.set_learning_rate(config.learning_rate)

    def _compiled(self, precision: str, seed: int | None = None):
        from lstm_core.training.keras_model import build_char_model
        from lstm_core.training.tf_runtime import keras

        k = keras()
        model = build_char_model(self.spec, seed=seed, precision=precision)
        model.compile(optimizer=k.optimizers.Adam(self.config.learning_rate, clipnorm=self.config.clipnorm),
                      loss="sparse_categorical_crossentropy")
        return model

    def float_model(self, with_optimizer: bool = False):
        """The float32 model with the current weights (and, if asked, the optimizer state, to be
        saved for resuming)."""
        if self._float_model is not self.model:
            self._float_model.set_weights(self.model.get_weights())
            if with_optimizer:
                _copy_optimizer_state(self.model, self._float_model)
        return self._float_model

    def forget_traced(self) -> None:
        """Drop the traced step functions: a trace that failed half-way leaves them unusable
        ("creating variables on a non-first call"); fresh ones trace again from the start."""
        for model in (self.model, self._float_model):  # possibly one model twice: harmless
            model.train_function = None
            model.test_function = None

    # -- one step -------------------------------------------------------------------------
    def _batch(self) -> tuple[np.ndarray, np.ndarray]:
        starts = self._rng.integers(0, self.train_ids.size - self.config.seq_len - 1, self.config.batch_size)
        windows = self.train_ids[starts[:, None] + self._offsets].astype(np.int32)
        return windows[:, :-1], windows[:, 1:]

    def train_step(self) -> float:
        """One optimizer step; returns its loss in nats per character (may be NaN: see run())."""
        x, y = self._batch()
        loss = float(self.model.train_on_batch(x, y))
        self.steps += 1
        return loss

    def validate(self) -> float:
        """Mean next-character loss (nats) over non-overlapping held-out passages."""
        t = min(self.config.val_window, self.val_ids.size - 1)
        n = (self.val_ids.size - 1) // t
        starts = np.arange(n) * t
        windows = self.val_ids[starts[:, None] + np.arange(t + 1)].astype(np.int32)
        model = self.float_model()  # float32 on every machine, so losses compare across machines
        total = 0.0
        for i in range(0, n, 64):
            chunk = windows[i:i + 64]
            total += float(model.test_on_batch(chunk[:, :-1], chunk[:, 1:])) * len(chunk)
        self.last_val_loss = total / n
        return self.last_val_loss

    # -- the loop a UI drives -------------------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()

    def reseed(self, salt: int) -> None:
        """Draw the next windows from a generator seeded by the config's seed and `salt` (e.g. the
        steps already done, when a saved model resumes training in a new process)."""
        self._rng = np.random.default_rng([self.config.seed, int(salt)])

    def set_learning_rate(self, lr: float) -> None:
        """The base learning rate (a run's cool-down lowers it from there)."""
        self.config = replace(self.config, learning_rate=float(lr))  # replace() re-validates
        self._use_learning_rate(self.config.learning_rate)

    def _use_learning_rate(self, lr: float) -> None:
        self.model.optimizer.learning_rate.assign(lr)
        self.learning_rate_now = lr

    def cooled_learning_rate(self, fraction: float) -> float:
        """The learning rate `fraction` (0-1) of the way through a run with a budget."""
        base, share = self.config.learning_rate, self.config.cool_down
        if share <= 0 or fraction <= 1 - share:
            return base
        return base * max(0.0, 1.0 - fraction) / share

    @property
    def seconds_trained(self) -> float:
        """Training time so far, the run in progress included (for a checkpoint saved mid-run)."""
        running = 0.0 if self._run_started is None else time.perf_counter() - self._run_started
        return self.train_seconds + running

    @property
    def epoch(self) -> float:
        return self.steps * self.config.batch_size * self.config.seq_len / self.train_ids.size

    def run(self, *, steps: int | None = None, seconds: float | None = None,
            on_progress: Callable[[Progress], None] | None = None, progress_every_s: float = 1.0,
            cool_down: bool = True) -> RunResult:
        """Train until `steps` more steps or `seconds` of wall time, a stop request, or divergence.

        With `cool_down` the learning rate falls to zero over the last `config.cool_down` of that
        budget; without it (a run that goes on until stopped) it stays at the base rate."""
        if steps is None and seconds is None:
            raise TrainError("Say how long to train: a number of steps or of seconds.")  # a caller's mistake
        self._stop.clear()
        self._use_learning_rate(self.config.learning_rate)
        start, start_steps = time.perf_counter(), self.steps
        self._run_started = last_report = last_val = start
        train_losses: list[float] = []
        status, message = "finished", ""
        while not self._stop.is_set():
            done = self.steps - start_steps
            now = time.perf_counter()
            if (steps is not None and done >= steps) or (seconds is not None and now - start >= seconds):
                break
            if cool_down:
                fraction = max(done / steps if steps else 0.0, (now - start) / seconds if seconds else 0.0)
                lr = self.cooled_learning_rate(fraction)
                if lr != self.learning_rate_now:  # the optimizer's variable is written only while cooling
                    self._use_learning_rate(lr)
            # Weights before a step are known good once that step's loss, computed on them, is finite.
            # Copying them costs 5% of a step, so a copy is kept about once a second: a run that
            # diverges goes back at most that far.
            snapshot = None
            if self._last_good is None or now - self._last_good_at >= self.good_every_s:
                snapshot, self._last_good_at = self._snapshot(), now
            loss = self.train_step()
            if not math.isfinite(loss):
                status, message = "diverged", self._restore(self._last_good or snapshot)
                break
            if snapshot is not None:
                self._last_good = snapshot
            train_losses.append(loss)
            now = time.perf_counter()
            val = None
            if now - last_val >= max(self.config.validate_every_s, self._val_cost / self.config.val_budget):
                val = self.validate()
                last_val = time.perf_counter()
                self._val_cost = last_val - now
            self.history.append(HistoryPoint(self.steps, loss, val))
            if on_progress is not None and now - last_report >= progress_every_s:
                on_progress(self._progress(start, start_steps, train_losses, steps, seconds))
                last_report = now
        else:
            status = "stopped"
        self.train_seconds += time.perf_counter() - start
        self._run_started = None
        if status != "diverged" and self.steps > start_steps:
            self.validate()
            if self.history:
                self.history[-1].val_loss = self.last_val_loss
        progress = self._progress(start, start_steps, train_losses, steps, seconds) if train_losses else None
        if on_progress is not None and progress is not None:
            on_progress(progress)
        self._use_learning_rate(self.config.learning_rate)  # the next run, or a saved optimizer, starts from it
        return RunResult(status, progress, message)

    def _progress(self, start: float, start_steps: int, losses: list[float], steps, seconds) -> Progress:
        elapsed = time.perf_counter() - start
        done = self.steps - start_steps
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = None
        if steps is not None and rate > 0:
            eta = max(0.0, (steps - done) / rate)
        if seconds is not None:
            eta = max(0.0, seconds - elapsed) if eta is None else min(eta, max(0.0, seconds - elapsed))
        recent = losses[-20:]
        return Progress(step=self.steps, epoch=self.epoch, train_loss=float(np.mean(recent)),
                        val_loss=self.last_val_loss,
                        chars_per_s=rate * self.config.batch_size * self.config.seq_len,
                        elapsed_s=elapsed, eta_s=eta, learning_rate=self.learning_rate_now,
                        precision=self.precision)

    # -- divergence -----------------------------------------------------------------------
    def _snapshot(self) -> tuple[int, list, list]:
        return self.steps, self.model.get_weights(), [v.numpy() for v in self.model.optimizer.variables]

    def _restore(self, snapshot: tuple[int, list, list]) -> Said:
        bad_step = self.steps
        step, weights, opt_vars = snapshot
        self.model.set_weights(weights)
        for var, value in zip(self.model.optimizer.variables, opt_vars):
            var.assign(value)
        self.steps = step
        while self.history and self.history[-1].step > step:
            self.history.pop()
        return Said(N_("The loss became NaN or infinite at step {bad_step}, so training stopped and the weights from "
                       "step {step} were restored. Lower the learning rate (now {rate:g}) and resume."),
                    bad_step=bad_step, step=step, rate=self.config.learning_rate)

    # -- results --------------------------------------------------------------------------
    def network(self):
        """The current weights as a NumPy network for the gate engine and the sampler."""
        from lstm_core.inference.keras_config import from_keras_model

        return from_keras_model(self.float_model())

    def save(self, folder, corpus: dict, include_optimizer: bool = True, label: str | None = None):
        """Write a model folder with the corpus, settings and metrics a person needs to trust it."""
        from lstm_core.storage.persistence import save_model_folder

        val = self.last_val_loss
        metrics = {"steps": self.steps, "epochs": round(self.epoch, 3), "train_seconds": round(self.seconds_trained, 1),
                   "val_loss_nats": val, "val_bits": None if val is None else val * NATS_TO_BITS,
                   "val_perplexity": None if val is None else math.exp(val)}
        label = label or f"{self.spec.cell_name} {self.spec.layers}×{self.spec.units} · {corpus.get('label', '')}"
        train = {**asdict(self.config), "precision": self.precision}
        meta = {"label": label, "corpus": corpus, "train": train, "metrics": metrics}
        model = self.float_model(with_optimizer=include_optimizer)
        return save_model_folder(folder, model, self.vocab, self.spec, meta, include_optimizer)


def _copy_optimizer_state(source, target) -> None:
    """Adam's step count, learning rate and moments, between two models with the same weights' shapes."""
    if not source.optimizer.built:  # e.g. a model saved without its optimizer: nothing to carry over
        return
    if not target.optimizer.built:
        target.optimizer.build(target.trainable_variables)
    pairs = list(zip(source.optimizer.variables, target.optimizer.variables, strict=True))
    for a, b in pairs:
        if tuple(a.shape) != tuple(b.shape):
            raise TrainError(Said(N_("The optimizer state does not fit this model ({variable}: {found} vs {wanted})."),
                                  variable=a.path, found=str(a.shape), wanted=str(b.shape)))
    for a, b in pairs:
        b.assign(a)
