"""Anatomy's memory test (toy_memory.train) as a training job: one run in a process of its own.

Like every training (lstm_core.training.job) it queues for a slot, trains under a hard memory limit,
and ends at its time budget; its process sends the phases, the accuracy checkpoints with the
networks as NumPy arrays, and the result. Runs are shared between sessions by configuration
(`shared_job`): a class pressing the button at once costs the server one run, and the last few
configurations stay ready for whoever asks next.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from functools import partial

from cachetools import LRUCache

from lstm_core.i18n import N_
from lstm_core.said import Said
from lstm_core.training import budget
from lstm_core.training import reports as r
from lstm_core.training.job import JobState, Outcome, Planned, TrainingJob
from lstm_core.training.launcher import Work
from lstm_core.training.slots import SLOTS, yield_to_pages
from lstm_core.training.states import ENDED, FAILED, FINISHED, QUEUED, STOPPED
from lstm_core.teaching.toy_memory import Checkpoint, ToyConfig, ToyNet, ToyResult, train

KEEP_RESULTS = 8


@dataclass(frozen=True)
class Phase(r.Report):
    """What the run is doing, for the progress line (marked for translation, said where shown)."""

    text: str


@dataclass(frozen=True)
class Measured(r.Report):
    """Accuracy at a step, and the three networks then."""

    checkpoint: Checkpoint
    nets: dict[str, ToyNet]


@dataclass(frozen=True)
class Trained(r.Report):
    final = True
    result: ToyResult


@dataclass(frozen=True)
class MemoryView:
    """A consistent copy of a memory test's state (safe to use without the lock)."""

    status: str
    message: str  # why it ended without a result, a Said
    phase: str
    config: ToyConfig
    step: int
    elapsed_s: float
    history: tuple[Checkpoint, ...]
    initial: dict[str, ToyNet] = field(default_factory=dict)
    latest: dict[str, ToyNet] = field(default_factory=dict)
    result: ToyResult | None = None
    queue_position: int = 0
    slots: int = 1

    @property
    def done(self) -> bool:
        return self.status in ENDED


def estimate_mb(config: ToyConfig) -> float:
    """The runtime, and the three networks' activations for one batch of the longest sequences (as
    budget.estimate counts them): the networks themselves are a few thousand numbers."""
    positions = config.batch * (config.max_gap + 1)
    numbers = positions * config.units * sum(budget.NUMBERS_PER_UNIT[c] for c in config.cells)
    return budget.RUNTIME_MB + numbers * 4 / (1 << 20)


class MemoryTestRuns:
    """The one run of a memory test (a RunKind)."""

    def __init__(self, config: ToyConfig, memory_mb: int):
        self.config, self.memory_mb = config, memory_mb
        self.phase = N_("Waiting for another run to finish…")
        self.history: list[Checkpoint] = []
        self.initial: dict[str, ToyNet] = {}
        self.latest: dict[str, ToyNet] = {}
        self.result: ToyResult | None = None
        self.failed = ""
        self.started: float | None = None

    def plan(self, seconds: float, until_stopped: bool, learning_rate: float | None, resume: bool) -> Planned:
        budget.refuse_over(lambda: estimate_mb(self.config), {}, (), self.memory_mb)
        work = Work(partial(_train, self.config), "", f"lstm-lab-memory-{self.config.seed}", memory_mb=self.memory_mb)
        return Planned(work, self.config.time_budget_s)

    def apply(self, report: r.Report) -> None:
        match report:
            case r.Preparing():
                self.started = time.monotonic()
            case Phase(text=text):
                self.phase = text
            case Measured(checkpoint=point, nets=nets):
                self.history.append(point)
                if point.step == 0:
                    self.initial = dict(nets)
                self.latest = dict(nets)
            case Trained(result=result):
                self.result, self.history, self.latest = result, list(result.history), dict(result.trained)
                self.phase = ""
            case r.Failed(said=said):
                self.failed = said

    def conclude(self, outcome: Outcome) -> tuple[str, str]:
        self.phase = ""
        if outcome.how == "reported" and self.result is not None:
            return (STOPPED if self.result.stopped else FINISHED), ""
        if self.failed:
            return FAILED, self.failed
        if outcome.how in ("left queue", "ended here"):
            return STOPPED, outcome.said or Said(N_("Stopped before it started."))
        return FAILED, outcome.said

    def view(self, state: JobState) -> MemoryView:
        step = self.history[-1].step if self.history else 0
        if self.result is not None:
            elapsed = self.result.seconds
        else:
            elapsed = 0.0 if self.started is None else time.monotonic() - self.started
        phase = self.phase if state.status != QUEUED else N_("Waiting for another run to finish…")
        return MemoryView(state.status, state.message, phase, self.config, step, elapsed, tuple(self.history),
                          dict(self.initial), dict(self.latest), self.result, state.queue_position, state.slots)


def memory_job(config: ToyConfig, slots=SLOTS) -> TrainingJob:
    """A memory test's job, not started."""
    return TrainingJob(MemoryTestRuns(config, budget.budget_mb(slots.limit)), run_id=f"memory-{config.seed}",
                       slots=slots)


# -- shared between sessions ---------------------------------------------------------------------------

_JOBS: LRUCache = LRUCache(maxsize=KEEP_RESULTS)
_JOBS_LOCK = threading.Lock()


def shared_job(config: ToyConfig = ToyConfig(), *, start: bool = True) -> TrainingJob | None:
    """The run for this configuration: one already finished or under way (in any session), else a
    new one (started unless start=False, when None is returned instead). Failed runs are retried."""
    with _JOBS_LOCK:
        job = _JOBS.get(config)  # a hit makes it the most recently used
        if job is not None and not job.is_alive and job.view().result is None:
            del _JOBS[config]
            job = None
        if job is None and start:
            job = memory_job(config)
            job.start(config.time_budget_s)
            _JOBS[config] = job  # the least recently used goes; a session showing it keeps it running
        return job


def forget_shared() -> None:
    """Drop every kept run (tests); running ones are asked to stop."""
    with _JOBS_LOCK:
        for job in _JOBS.values():
            job.stop()
        _JOBS.clear()


# -- the process ---------------------------------------------------------------------------------------


def _train(config: ToyConfig, folder, reports, stop, parent_pid) -> None:
    """The run's process: `toy_memory.train`, reporting as it goes (the folder is unused: nothing is saved)."""
    import os

    from lstm_core.training.tf_runtime import retry_ast_race

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    yield_to_pages()
    started = time.perf_counter()
    prepared = False

    def on_checkpoint(point: Checkpoint, nets: dict[str, ToyNet]) -> None:
        nonlocal prepared
        if not prepared:  # the networks are built: the run's time counts from here
            prepared = True
            reports.put(r.Prepared())
        reports.put(Measured(point, dict(nets)))

    def stopping() -> bool:
        return stop.is_set() or os.getppid() != parent_pid

    try:
        reports.put(r.Preparing())
        result = retry_ast_race(lambda: train(config, on_checkpoint=on_checkpoint, should_stop=stopping,
                                              on_phase=lambda text: reports.put(Phase(text)), clock_start=started))
        reports.put(Trained(result))
    except Exception as exc:  # shown on the page, never lost
        detail = "".join(traceback.format_exception_only(exc)).strip() or type(exc).__name__
        reports.put(r.Failed(detail[-1500:], "".join(traceback.format_exception(exc))[-4000:]))
    finally:
        reports.put(r.Done())
        reports.close()
        reports.join_thread()
