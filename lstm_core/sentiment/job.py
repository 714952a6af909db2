"""Training sentiment classifiers in a separate process, for a page to watch.

A `TrainingJob` trains one classifier, or several one after the other on the same data, split
and vocabulary (the comparison of SimpleRNN, LSTM and GRU). When a run ends, its test accuracy
per domain (next to VADER's) is measured, it is saved as a model folder, and the job loads that
folder back for NumPy scoring.

Why a process and not a thread: after every script run (a fragment refreshing the progress once
a second included) Streamlit calls `keras.backend.clear_session()` and `gc.collect()` in its own
process whenever Keras has been imported there. That clears TensorFlow's kernel cache and holds
the interpreter for a long time, which made a training thread ten to a hundred times slower.
In a child process (spawned, so it starts clean) training runs at full speed, the server never
imports TensorFlow, and memory goes back to the system when training ends.

The child never touches Streamlit. It reports on a queue; a listener thread in the parent copies
the reports into the job under a lock, and the page reads a consistent copy with `view()`. Where a
deployment has a Ray cluster, the child is a task on it instead (lstm_core.training.launcher): it
saves under a folder of its own and each model folder comes back here before its result.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import queue
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from lstm_core.i18n import N_
from lstm_core.said import Said, said_of, say
from lstm_core.training.launcher import Work, start_run
from lstm_core.training.slots import SLOTS, TrainingSlots, yield_to_pages
from .data import Example
from .model import ARCHS
from .training import EpochPoint, Evaluation, Progress, TrainSettings

log = logging.getLogger(__name__)

WAITING, BUILDING, RUNNING, FINISHED, STOPPED, DIVERGED, ERROR = (
    "waiting", "building", "running", "finished", "stopped", "diverged", "error")
ENDED = (FINISHED, STOPPED, DIVERGED, ERROR)
MAX_POINTS = 2_000  # per-step history kept for the chart (older points thinned)
GONE_GRACE_S = 60.0  # a session whose browser has been gone this long stops its training
REPORT_EVERY_S = 0.25


@dataclass(frozen=True)
class RunView:
    settings: TrainSettings
    status: str
    said: Said | str  # made in the training process or the listener: put into words when read
    progress: Progress | None
    steps: tuple[int, ...]
    loss: tuple[float, ...]
    accuracy: tuple[float, ...]
    epochs: tuple[EpochPoint, ...]
    evaluation: Evaluation | None
    model: object | None  # store.SentimentModel once saved
    seconds: float

    @property
    def arch_name(self) -> str:
        return ARCHS[self.settings.arch]

    @property
    def message(self) -> str:
        """What happened to the run, in the language of whoever reads it (English outside a page)."""
        return say(self.said)


@dataclass(frozen=True)
class JobView:
    job_id: str
    kind: str  # "single" or "compare"
    runs: tuple[RunView, ...]
    current: int  # index of the run in progress (or the last one)
    status: str
    queue_position: int = 0  # waiting for a free training slot: 1 = next in line
    slots: int = 1  # how many models the server trains at once; 0: a Ray cluster trains them, as it has room

    @property
    def running(self) -> bool:
        return self.status in (WAITING, BUILDING, RUNNING)

    @property
    def ended(self) -> bool:
        return self.status in ENDED


class _Run:
    def __init__(self, settings: TrainSettings):
        self.settings = settings
        self.status, self.message = WAITING, ""
        self.progress: Progress | None = None
        self.steps: list[int] = []
        self.loss: list[float] = []
        self.accuracy: list[float] = []
        self.epochs: list[EpochPoint] = []
        self.evaluation: Evaluation | None = None
        self.model = None
        self.seconds = 0.0
        self.traceback = ""

    def view(self) -> RunView:
        return RunView(self.settings, self.status, self.message, self.progress, tuple(self.steps), tuple(self.loss),
                       tuple(self.accuracy), tuple(self.epochs), self.evaluation, self.model, self.seconds)


class TrainingJob:
    """Train `settings` one after the other on `examples`; models are saved under `out_dir`."""

    def __init__(self, examples: Sequence[Example], settings: Sequence[TrainSettings], out_dir: str | Path,
                 kind: str = "single", label_prefix: str = "", alive: Callable[[], bool] | None = None,
                 alive_every_s: float = 5.0, gone_grace_s: float = GONE_GRACE_S, slots: TrainingSlots = SLOTS):
        if not settings:
            raise ValueError("nothing to train")
        self.job_id = f"sentiment-{uuid.uuid4().hex[:8]}"
        self.kind, self.label_prefix = kind, label_prefix
        self.examples = list(examples)
        self.out_dir = Path(out_dir)
        self._runs = [_Run(s) for s in settings]
        self._lock = threading.Lock()
        self._current = 0
        self._stop = multiprocessing.get_context("spawn").Event()  # shared with the training process
        self._run = None  # where the training executes: launcher.LocalRun or RayRun
        self._started = False
        self._listener: threading.Thread | None = None
        self._alive, self._alive_every_s, self._gone_grace_s = alive, alive_every_s, gone_grace_s
        self._slots = slots

    # -- control (page thread) ------------------------------------------------------------------
    def start(self) -> None:
        """Queue for a training slot; the process starts when the job holds one."""
        with self._lock:
            if self._listener is not None:
                raise RuntimeError("This job has already started.")
            self.out_dir.mkdir(parents=True, exist_ok=True)
            work = Work(partial(_child, self.examples, [r.settings for r in self._runs], self.job_id,
                                self.label_prefix), str(self.out_dir), self.job_id, ships=_ships)
            self._run = start_run(work, self._stop, self._slots)
            self._listener = threading.Thread(target=self._listen, daemon=True, name=f"{self.job_id}-listener")
            self._listener.start()

    def stop(self) -> None:
        """Ask the training to stop; it is honoured within one training step."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the job has ended (its reports all read); True if it has."""
        if self._listener is not None:
            self._listener.join(timeout)
            return not self._listener.is_alive()
        return True

    @property
    def is_alive(self) -> bool:
        return self._listener is not None and self._listener.is_alive()

    def view(self) -> JobView:
        with self._lock:
            runs = tuple(r.view() for r in self._runs)
            current = self._current
        statuses = [r.status for r in runs]
        position = self._run.position() if self._run is not None and not self._started else 0
        if self.is_alive:
            status = RUNNING
        elif self._listener is None:
            status = WAITING
        elif ERROR in statuses:
            status = ERROR
        elif STOPPED in statuses or WAITING in statuses or BUILDING in statuses or RUNNING in statuses:
            status = STOPPED
        elif DIVERGED in statuses:
            status = DIVERGED
        else:
            status = FINISHED
        slots = self._slots.limit if self._run is None else self._run.slots
        return JobView(self.job_id, self.kind, runs, current, status, position, slots)

    # -- the listener thread (parent process) ---------------------------------------------------
    def _listen(self) -> None:
        next_alive, gone_since = 0.0, None
        try:
            while not self._run.wait_start(0.5):
                now = time.monotonic()
                if self._alive is not None and now >= next_alive:
                    next_alive = now + self._alive_every_s
                    gone_since = None if self._is_alive() else (gone_since or now)
                if self._stop.is_set() or (gone_since is not None and now - gone_since >= self._gone_grace_s):
                    self._left_queue()
                    return
            self._started = True
            while True:
                try:
                    message = self._run.get(timeout=0.5)
                except queue.Empty:
                    if not self._run.alive():
                        self._child_died()
                        return
                    message = None
                if message is not None:
                    if message[0] == "done":
                        return
                    self._apply(message)
                now = time.monotonic()
                if self._alive is not None and now >= next_alive:
                    next_alive = now + self._alive_every_s
                    gone_since = None if self._is_alive() else (gone_since or now)
                    if gone_since is not None and now - gone_since >= self._gone_grace_s:
                        self.stop()
        except Exception as exc:  # never lost silently (a cluster that cannot be reached): the page shows it
            log.exception("Sentiment training %s could not be watched", self.job_id)
            said = said_of(exc)
            self._failed(said if isinstance(said, Said) else _readable(exc))
        finally:
            self._run.close()

    def _is_alive(self) -> bool:
        try:
            return bool(self._alive())
        except Exception:  # a check that cannot answer counts as a closed tab: never train on for nobody
            log.warning("Could not tell whether sentiment training %s's tab is still open", self.job_id,
                        exc_info=True)
            return False

    def _left_queue(self) -> None:
        with self._lock:
            for run in self._runs:
                run.status = STOPPED
                run.message = Said(N_("Stopped while waiting for a free training slot: nothing was trained."))

    def _child_died(self) -> None:
        self._failed(self._run.death())

    def _failed(self, message: Said | str) -> None:
        with self._lock:
            for run in self._runs:
                if run.status not in ENDED:
                    run.status, run.message = ERROR, message

    def _apply(self, message: tuple) -> None:
        if message[0] == "note":  # where a cluster worker trains, for a bug report: this job keeps none
            return
        kind, index = message[0], message[1]
        run = self._runs[index]
        if kind == "result":
            _, _, evaluation, folder, seconds, status, text = message
            model = None
            if folder is not None:
                from .store import SentimentModelError, load_folder

                try:
                    model = load_folder(self.out_dir / folder)
                except SentimentModelError as exc:
                    status, text = ERROR, Said(N_("The trained model could not be read back: {problem}"),
                                               problem=exc)
            with self._lock:
                run.evaluation, run.model, run.seconds, run.status, run.message = \
                    evaluation, model, seconds, status, text
            return
        with self._lock:
            self._current = index
            if kind == "status":
                run.status, run.message = message[2], message[3]
            elif kind == "steps":
                for step, loss, acc in message[2]:
                    run.steps.append(step)
                    run.loss.append(loss)
                    run.accuracy.append(acc)
                if len(run.steps) > MAX_POINTS:  # keep every other old point: the chart stays light
                    half = len(run.steps) // 2
                    for series in (run.steps, run.loss, run.accuracy):
                        series[:half] = series[:half:2]
            elif kind == "progress":
                run.progress = message[2]
            elif kind == "epoch":
                run.epochs.append(message[2])
            elif kind == "error":
                run.status, run.message, run.traceback = ERROR, message[2], message[3]
                log.error("Sentiment training %s failed: %s\n%s", self.job_id, message[2], message[3])


# -- the child process ---------------------------------------------------------------------------


def _child(examples, settings_list, job_id, label_prefix, out_dir, reports, stop, parent_pid) -> None:
    """Train every run in turn, saving under `out_dir` and reporting on `reports` (a result names its
    model's folder within `out_dir`); ends with ("done", -1)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    yield_to_pages()
    from .store import SentimentModelError  # noqa: F401  (fail early if the package is broken)
    from .training import SentimentTrainer

    def stopping() -> bool:
        return stop.is_set() or os.getppid() != parent_pid  # the parent is gone: stop too

    vocab = None
    try:
        for index, settings in enumerate(settings_list):
            if stopping():
                break
            try:
                reports.put(("status", index, BUILDING, ""))
                trainer = SentimentTrainer(examples, settings, vocab=vocab)
                vocab = trainer.vocab  # the comparison's models read the same words
                reports.put(("status", index, RUNNING, ""))
                sent = 0

                def flush() -> None:
                    nonlocal sent
                    new = trainer.history[sent:]
                    sent = len(trainer.history)
                    if new:
                        reports.put(("steps", index, list(new)))

                def on_progress(p: Progress) -> None:
                    if stopping():
                        trainer.request_stop()
                    flush()
                    reports.put(("progress", index, p))

                def on_epoch(point: EpochPoint) -> None:
                    flush()
                    reports.put(("epoch", index, point))

                started = time.perf_counter()
                result = trainer.run(on_progress=on_progress, on_epoch=on_epoch, progress_every_s=REPORT_EVERY_S)
                seconds = time.perf_counter() - started
                if not trainer.epoch_history:
                    status = STOPPED if result.status == "stopped" else result.status
                    reports.put(("result", index, None, None, seconds, status,
                                 result.message or Said(N_("Stopped before the first epoch ended: nothing to keep."))))
                    continue
                evaluation = trainer.evaluate("test")
                folder = f"{job_id}-{index + 1}-{settings.arch}"
                trainer.save(Path(out_dir) / folder, evaluation, label=f"{label_prefix}{trainer.spec.arch_name}")
                reports.put(("result", index, evaluation, folder, seconds, result.status, result.message))
            except Exception as exc:  # never lost silently: the page shows it
                reports.put(("error", index, _readable(exc), "".join(traceback.format_exception(exc))[-4000:]))
    finally:
        reports.put(("done", -1))
        reports.close()
        reports.join_thread()


def _ships(report: tuple) -> str | None:
    """A result names a model folder that is complete (launcher.Work.ships)."""
    return report[3] if report[0] == "result" else None


def _readable(exc: BaseException) -> Said | str:
    """What a failure says to a person: our own errors as Said (put into words on the page)."""
    text = str(exc).strip()
    name = type(exc).__name__
    if name in ("TrainError", "DataError", "SentimentModelError", "WeightsError", "SpecError", "VocabError") and text:
        return said_of(exc)
    return f"{name}: {text[:500]}" if text else name


def comparison_settings(base: TrainSettings) -> list[TrainSettings]:
    """SimpleRNN, LSTM and GRU with everything else equal."""
    return [replace(base, arch=arch) for arch in ("rnn", "lstm", "gru")]


def elapsed_label(seconds: float) -> str:
    seconds = max(0, int(math.ceil(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"
