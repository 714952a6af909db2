"""One training run of a character model, in a child process that a page watches.

Why a process and not a thread of the server: after every script run of every session (a
fragment refreshing a progress bar once a second included) Streamlit calls
`keras.backend.clear_session()`, which clears TensorFlow's kernel cache, and a full `gc.collect()`
in its own process. A training thread there slows down by 2x with one session watching and far
more with a classroom. In a spawned child TensorFlow runs undisturbed, the server process never
imports it, and the memory goes back to the system as soon as the run ends.

Each run is one process: it builds the Trainer (or, to resume, reloads the model the previous
run saved, optimizer state included), trains for its budget, looks at the model every few
seconds (samples at a few temperatures; the weights as a NumPy network for the other pages),
saves the model folder (also every minute while it trains, as a checkpoint) and exits. It
reports (lstm_core.training.reports) on a queue, in order: Preparing, Prepared, then any of
Stepped, Losses, Look, Note and Checkpoint, then Ended or Failed, and always Done last. The
child never touches Streamlit.

It has no reader either, so what it says for a person (a status message, a save error) is a
`Said` (lstm_core.said): English here, in the reader's language where the page shows it.
The notes are for a bug report and stay English.
"""

from __future__ import annotations

import math
import os
import time
import traceback
from dataclasses import dataclass, field, replace

import numpy as np

from lstm_core.i18n import N_
from lstm_core.training import reports as r
from lstm_core.training.budget import over_budget
from lstm_core.training.outcome import diverged
from lstm_core.said import Said, said_of
from lstm_core.training.slots import yield_to_pages
from lstm_core.training.states import FAILED
from lstm_core.spec import ModelSpec
from lstm_core.training.tf_runtime import retry_ast_race
from lstm_core.training.trainer import HistoryPoint, Progress, TrainConfig, Trainer
from lstm_core.data.vocab import CharVocab

REPORT_EVERY_S = 0.25  # progress reports; the history goes every 0.5 s
HISTORY_EVERY_S = 0.5
CHECKPOINT_MARGIN_S = 5.0


@dataclass(frozen=True)
class TrainRecipe:
    """Everything needed to build the Trainer in the child (pickled to it)."""

    spec: ModelSpec
    vocab: CharVocab
    ids: np.ndarray
    config: TrainConfig
    corpus_name: str = ""

    @classmethod
    def from_text(cls, spec: ModelSpec, vocab: CharVocab, text: str, config: TrainConfig,
                  corpus_name: str = "") -> TrainRecipe:
        ids = vocab.ids(text)
        # The smallest integer type: a 20 MB text crosses to the child as 20 MB, not 80.
        return cls(spec, vocab, ids.astype(np.uint8 if vocab.size <= 256 else np.int32), config, corpus_name)

    def build(self, model=None) -> Trainer:
        return Trainer(self.spec, self.vocab, self.ids, self.config, corpus_name=self.corpus_name, model=model)


@dataclass(frozen=True)
class Watch:
    """What the child shows of the model while it learns, and how much time it may spend on it."""

    sample_every_s: float = 5.0
    sample_chars: int = 200
    temperatures: tuple[float, ...] = (0.5, 1.0)
    prime: str = ""
    sample_seed: int = 0
    max_overhead: float = 0.04  # of the training time: big models are looked at less often


@dataclass(frozen=True)
class Resume:
    """What the previous runs of this model left: the page's record, the weights are in `folder`."""

    steps: int
    train_seconds: float
    last_val_loss: float | None
    history: tuple[HistoryPoint, ...] = ()


@dataclass(frozen=True)
class RunOrder:
    seconds: float
    folder: str  # where the model is saved when the run ends (and read from to resume)
    corpus: dict = field(default_factory=dict)
    label: str = ""
    learning_rate: float | None = None  # to resume at a new learning rate
    resume: Resume | None = None
    cool_down: bool = True  # lower the learning rate at the end of the budget (not for "until I stop it")
    # The model is also saved this often during the run, so a server that stops mid-run loses little.
    checkpoint_every_s: float = 60.0
    memory_mb: int | None = None  # the run's hard memory limit (lstm_core.training.budget)


def readable(exc: BaseException) -> str:
    """An error for the page: ours are written for people (one made as a `Said` stays one, for the
    page to translate); others keep their type for a bug report."""
    text = str(exc).strip()
    name = type(exc).__name__
    if not text:
        return name
    if name in ("TrainError", "CorpusError", "SpecError", "ModelFileError", "WeightsError"):
        return said_of(exc)
    return f"{name}: {text[:500]}"


def run(recipe: TrainRecipe, order: RunOrder, watch: Watch, reports, stop, parent_pid: int) -> None:
    """The child's main function (multiprocessing target)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    yield_to_pages()
    try:
        reports.put(r.Preparing())
        trainer = retry_ast_race(lambda: _trainer(recipe, order),
                                 on_retry=lambda exc: reports.put(r.Note(_hiccup(exc))))
        reports.put(r.Prepared())
        _Run(trainer, order, watch, reports, stop, parent_pid).go()
    except Exception as exc:  # never lost silently: the page shows it
        reports.put(r.Failed(readable(exc), "".join(traceback.format_exception(exc))[-4000:]))
    finally:
        reports.put(r.Done())
        reports.close()
        reports.join_thread()


def run_in(recipe: TrainRecipe, order: RunOrder, watch: Watch, folder: str, reports, stop, parent_pid: int) -> None:
    """`run`, saving in `folder`: the target of a launcher.Work (a cluster worker saves in a folder of
    its own, sent back to the server's `order.folder` by `ships`)."""
    run(recipe, replace(order, folder=folder), watch, reports, stop, parent_pid)


def ships(report: r.Report) -> str | None:
    """The run's folder is complete after a checkpoint, and after an end that saved the model."""
    return "." if isinstance(report, r.Checkpoint) or (isinstance(report, r.Ended) and report.saved) else None


def _trainer(recipe: TrainRecipe, order: RunOrder) -> Trainer:
    if order.resume is None:
        return recipe.build()
    from lstm_core.storage.persistence import load_keras_model

    trainer = recipe.build(model=load_keras_model(order.folder))
    r = order.resume
    trainer.steps, trainer.train_seconds, trainer.last_val_loss = r.steps, r.train_seconds, r.last_val_loss
    trainer.history = [HistoryPoint(p.step, p.train_loss, p.val_loss) for p in r.history]
    # Fresh windows for the new run, still reproducible from the seed and the steps done.
    trainer.reseed(r.steps)
    return trainer


def _out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError"


def _hiccup(exc: BaseException) -> str:
    return f"Retried after a harmless Python threading hiccup ({exc})."


class _Run:
    def __init__(self, trainer: Trainer, order: RunOrder, watch: Watch, reports, stop, parent_pid: int):
        self.trainer, self.order, self.watch, self.reports = trainer, order, watch, reports
        self.stop, self.parent_pid = stop, parent_pid
        self.sent_history = len(trainer.history)
        self.next_report = self.next_history = self.next_look = 0.0
        self.next_checkpoint = self.deadline = math.inf

    def go(self) -> None:
        trainer, order = self.trainer, self.order
        if order.learning_rate is not None:
            trainer.set_learning_rate(order.learning_rate)
        if order.resume is None:
            self.look(clock=0.0, force=True)  # the untrained model: its (random) samples, and its weights at step 0
        status, message, progress = "stopped", "", None
        if not self.stopping():
            now = time.perf_counter()
            self.next_look = now + self.watch.sample_every_s
            self.next_checkpoint = now + order.checkpoint_every_s
            self.deadline = now + order.seconds

            def train():
                left = max(0.0, self.deadline - time.perf_counter())
                return trainer.run(seconds=left, on_progress=self.on_progress, progress_every_s=0.0,
                                   cool_down=order.cool_down)

            def forget_traced_functions(exc: BaseException):
                self.reports.put(r.Note(_hiccup(exc)))
                trainer.forget_traced()

            first = len(trainer.history)
            try:
                result = retry_ast_race(train, on_retry=forget_traced_functions)
                status, message, progress = result.status, result.message, result.progress
                if status in ("finished", "stopped"):  # a run that ran away is no success
                    why = diverged([h.train_loss for h in trainer.history[first:]], trainer.last_val_loss,
                                   trainer.vocab.size, trainer.config.learning_rate)
                    if why:
                        status, message = "diverged", why
            except Exception as exc:  # said on the page; what was trained until then is still saved
                status, message = FAILED, readable(exc)
                if order.memory_mb is not None and _out_of_memory(exc):
                    message = over_budget(order.memory_mb)
                self.reports.put(r.Note("".join(traceback.format_exception(exc))[-4000:]))
            self.reports.put(r.Losses(True, _points(trainer.history)))
            self.look(clock=trainer.train_seconds, force=True)
        saved, save_error = False, ""
        if trainer.steps > 0:
            try:
                trainer.save(order.folder, corpus=order.corpus, label=order.label or None)
                saved = True
            except Exception as exc:  # a full disk: the page says so and keeps the session going
                save_error = Said(N_("The trained model could not be saved: {reason}"), reason=readable(exc))
        self.reports.put(r.Ended(status, message, progress, trainer.steps, trainer.train_seconds,
                                 trainer.last_val_loss, saved, save_error))

    def stopping(self) -> bool:
        return self.stop.is_set() or os.getppid() != self.parent_pid  # the server is gone: stop too

    def on_progress(self, p: Progress) -> None:
        """Called by the trainer after every step; keep it cheap."""
        if self.stopping():
            self.trainer.request_stop()
        now = time.perf_counter()
        if now >= self.next_report:
            self.reports.put(r.Stepped(p))
            self.next_report = now + REPORT_EVERY_S
        if now >= self.next_history:
            history = self.trainer.history
            self.reports.put(r.Losses(False, _points(history[self.sent_history:])))
            self.sent_history = len(history)
            self.next_history = now + HISTORY_EVERY_S
        if now >= self.next_look:
            self.look(clock=self.trainer.train_seconds + p.elapsed_s)
        # Not in the last seconds of a run: the run's own save is about to come.
        if now >= self.next_checkpoint and self.deadline - now > CHECKPOINT_MARGIN_S:
            self.checkpoint()

    def checkpoint(self) -> None:
        trainer = self.trainer
        try:
            trainer.save(self.order.folder, corpus=self.order.corpus, label=self.order.label or None)
        except Exception as exc:  # a full disk: said, and training goes on; the run's end tries again
            self.reports.put(r.Note(f"Could not save a checkpoint at step {trainer.steps}: {readable(exc)}"))
        else:
            self.reports.put(r.Checkpoint(trainer.steps, trainer.seconds_trained, trainer.last_val_loss))
        self.next_checkpoint = time.perf_counter() + self.order.checkpoint_every_s

    def look(self, clock: float, force: bool = False) -> None:
        """Convert the weights to NumPy once, sample from them, and send both."""
        from lstm_core.inference.sampling import generate

        t0 = time.perf_counter()
        trainer, watch = self.trainer, self.watch
        try:
            net = trainer.network()
        except Exception as exc:  # e.g. NaN weights just before the trainer notices: skip this look
            self.reports.put(r.Note(f"Could not read the weights at step {trainer.steps}: {readable(exc)}"))
            net = None
        texts = []
        for temperature in watch.temperatures if net is not None else ():
            try:
                gen = generate(net, trainer.vocab, watch.prime, watch.sample_chars, temperature=temperature,
                               seed=watch.sample_seed)
                texts.append((temperature, gen.text))
            except Exception as exc:
                self.reports.put(r.Note(f"Could not sample at step {trainer.steps}: {readable(exc)}"))
                break
        if net is not None:
            self.reports.put(r.Look(trainer.steps, clock, net, tuple(texts), force))
        cost = time.perf_counter() - t0
        self.next_look = time.perf_counter() + max(watch.sample_every_s, cost / watch.max_overhead)


def _points(history) -> tuple[tuple[int, float, float | None], ...]:
    return tuple((h.step, h.train_loss, h.val_loss) for h in history)

