"""One training job, whatever it trains: every run of it queued, started, watched, stopped and ended here.

A `TrainingJob` is one model (or one comparison of models) trained in runs: Start, then, for a model
that can go on, any number of Resumes. Each run waits for one of the server's training slots
(slots.py; on a Ray cluster, for room there: launcher.py), runs in a process of its own under a hard
memory limit (budget.py), and sends reports (reports.py) to a thread of this job, which copies them
into the job under a lock. A page reads a consistent copy with `view()`. No thread here touches
Streamlit.

What differs between kinds, what a run's process does and what its reports mean, is a `RunKind`
(lstm_core.training.character_runs for character models, lstm_core.sentiment.runs for classifiers).
What is the same for every kind is here:
- one set of states (states.py);
- Stop at any moment: asked between two steps, and a process that has not ended `stop_grace_s` later
  (building its model, inside one long step) is ended;
- a time limit: the run's own time from when its model is built, plus `overtime_s` (its first step is
  traced by TensorFlow, which a busy server makes slow), after at most `prepare_allowance_s` of building;
  "until I stop it" is an hour, so a forgotten tab cannot hold the server's CPU forever;
- a closed tab: `alive` says whether the browser session still exists; gone for `gone_grace_s`, the run
  stops (or leaves the queue). A check that cannot answer counts as a closed tab.

What the job says for a person (why a run ended) is a `Said` (lstm_core.said), English text that the
page says in the reader's language.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from lstm_core.i18n import N_, _
from lstm_core.said import Said, said_of
from lstm_core.training import reports as r
from lstm_core.training.launcher import Work, start_run
from lstm_core.training.slots import SLOTS, TrainingSlots
from lstm_core.training.states import FAILED, FINISHED, NEW, PREPARING, QUEUED, RUNNING, STOPPED, STOPPING

log = logging.getLogger(__name__)
T = TypeVar("T")

UNTIL_STOPPED_CAP_S = 3600.0
_POLL_S = 0.2
# Why a run's process was ended from here, and whether it was still building its model.
_ENDED_HERE = {
    ("closed", True): N_("The browser tab was closed while the run was still building its model, so its process "
                         "was ended."),
    ("closed", False): N_("The browser tab was closed while the run was inside a training step, so its process "
                          "was ended."),
    ("time", True): N_("Its time was up while the run was still building its model, so its process was ended."),
    ("time", False): N_("Its time was up while the run was inside a training step, so its process was ended."),
    ("stop", True): N_("Stop was pressed while the run was still building its model, so its process was ended."),
    ("stop", False): N_("Stop was pressed while the run was inside a training step, so its process was ended."),
}


@dataclass(frozen=True)
class Limits:
    """How long a run may take to do what it was asked (seconds)."""

    stop_grace_s: float = 3.0
    overtime_s: float = 60.0
    prepare_allowance_s: float = 120.0
    gone_grace_s: float = 60.0
    alive_every_s: float = 5.0


@dataclass(frozen=True)
class Planned:
    """One run as its kind planned it: what to start, and its time once its model is built."""

    work: Work
    seconds: float


@dataclass(frozen=True)
class Outcome:
    """How the watching of a run ended. `how`: "reported" (its own reports say how it ended),
    "left queue", "ended here" (its process, by this job), "died" (without its last report) or
    "lost" (the watching itself failed); `said` says it for the last four."""

    how: str
    said: str = ""
    tab_closed: bool = False


@dataclass(frozen=True)
class JobState:
    """What every kind of job shows: its state, why, and its place in the queue."""

    run_id: str
    status: str
    message: str  # often a Said: show it with lstm_core.said.say
    runs_ended: int
    budget_s: float | None  # None: until stopped
    queue_position: int  # while queued: 1 = next in line
    slots: int  # how many models the server trains at once; 0: a Ray cluster trains them, as it has room


class RunKind(Protocol):
    """What one kind of job trains. The job calls these with its lock held (never two at once)."""

    def plan(self, seconds: float, until_stopped: bool, learning_rate: float | None, resume: bool) -> Planned:
        """The next run, of `seconds` (`until_stopped`: the cap of a run given no time of its own), or an
        error for a person when it cannot be (over its memory budget, nothing to resume)."""

    def apply(self, report: r.Report) -> None:
        """Take in one report of the running run."""

    def conclude(self, outcome: Outcome) -> tuple[str, str]:
        """The run's end state and what it says, once it is over."""

    def view(self, state: JobState):
        """A consistent copy of the job, for the page."""


class TrainingJob:
    """One model (or one comparison of models), trained in runs watched by one thread each."""

    def __init__(self, kind: RunKind, *, run_id: str | None = None, alive: Callable[[], bool] | None = None,
                 slots: TrainingSlots = SLOTS, limits: Limits = Limits()):
        self.kind, self.run_id = kind, run_id or new_run_id()
        self.slots, self.limits, self._alive = slots, limits, alive
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = multiprocessing.get_context("spawn").Event()  # shared with the run's process
        self._status, self._message = NEW, ""
        self._runs_ended = 0
        self._budget_s: float | None = None
        self._run = None  # where the current (or last) run executes: launcher.LocalRun or RayRun
        self._traceback = ""  # the last run's, for the server's log
        self._gone_since: float | None = None
        self._next_alive = 0.0
        # At interpreter exit or when the job is dropped, a running child is told to stop.
        weakref.finalize(self, self._stop.set)

    # -- control (the page's thread) -------------------------------------------------------------
    def start(self, seconds: float | None = None) -> None:
        """The first run: `seconds` of training once built (None: until stopped, at most an hour)."""
        with self._lock:
            if self._runs_ended:
                raise RuntimeError(_("This model has been trained already: resume it, or start a new one."))
        self._launch(seconds, None, resume=False)

    def resume(self, seconds: float | None = None, learning_rate: float | None = None) -> None:
        """Another run from where the last one saved the model, optionally at a new learning rate."""
        self._launch(seconds, learning_rate, resume=True)

    def _launch(self, seconds: float | None, learning_rate: float | None, resume: bool) -> None:
        budget = until_stopped_cap(seconds, UNTIL_STOPPED_CAP_S)
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError(_("This model is already training."))
            planned = self.kind.plan(budget, seconds is None, learning_rate, resume)
            self._traceback = ""
            self._stop.clear()  # one event for the job's life: the finalizer set up in __init__ holds it
            self._status, self._message, self._budget_s = QUEUED, "", seconds
            self._run = start_run(planned.work, self._stop, self.slots)
            self._thread = threading.Thread(target=self._supervise, args=(planned, self._run, self._stop),
                                            daemon=True, name=f"lstm-lab-train-{self.run_id}")
            self._thread.start()

    def stop(self) -> None:
        """Stop the run: between two steps, at once while it waits to start, by force after the grace."""
        self._stop.set()
        with self._lock:
            if self._status in (PREPARING, RUNNING):
                self._status = STOPPING

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run to end (its reports all read); True if it has."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    @property
    def is_alive(self) -> bool:
        """A run is training or waiting to."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def peek(self, look: Callable[[RunKind, str], T]) -> T:
        """`look(kind, status)` under the job's lock: a cheap, consistent read of a few fields."""
        with self._lock:
            return look(self.kind, self._status)

    def view(self):
        with self._lock:
            launched, status = self._run, self._status
            slots = self.slots.limit if launched is None else launched.slots
            state = JobState(self.run_id, status, self._message, self._runs_ended, self._budget_s, 0, slots)
        if status == QUEUED and launched is not None:  # asking the line may take a moment: not under the lock
            state = JobState(**{**state.__dict__, "queue_position": launched.position()})
        with self._lock:
            return self.kind.view(state)

    # -- the watching thread -----------------------------------------------------------------------
    def _supervise(self, planned: Planned, launched, stop) -> None:
        try:
            if not self._wait_for_slot(launched, stop):
                outcome = Outcome("left queue", tab_closed=self._tab_closed(time.monotonic()))
            else:
                with self._lock:
                    if self._status == QUEUED:
                        self._status = PREPARING
                    self._message = Said(N_("Starting TensorFlow and building the model…"))
                outcome = self._watch(planned, launched, stop)
        except Exception as exc:  # never lost silently: the page shows it, the server's log keeps it
            log.exception("Training run %s could not be watched", self.run_id)
            said = said_of(exc)
            outcome = Outcome("lost", said if isinstance(said, Said) else f"{type(exc).__name__}: {exc}")
        finally:
            launched.close()
        with self._lock:
            status, message = self.kind.conclude(outcome)
            if outcome.how == "left queue":
                message = Said(N_("The browser tab was closed, so this training left the queue.")
                               if outcome.tab_closed else message)
            elif status == STOPPED and outcome.tab_closed and outcome.how == "reported":
                message = Said(N_("The browser tab was closed, so training stopped."))
            elif status == FINISHED and self._budget_s is None:
                message = Said(N_("Training stopped by itself after {minutes:.0f} minutes."),
                               minutes=UNTIL_STOPPED_CAP_S / 60)
            self._status, self._message = status, message
            self._runs_ended += 1
        if status == FAILED:
            log.error("Training run %s failed: %s\n%s", self.run_id, message, self._traceback)

    def _wait_for_slot(self, launched, stop) -> bool:
        """True once the run has started; False when stopped (or the tab closed) while queued."""
        self._gone_since, self._next_alive = None, 0.0
        while not launched.wait_start(_POLL_S):
            if stop.is_set():
                return False
            if self._check_alive() and self._tab_closed(time.monotonic()):
                return False
        return not stop.is_set()

    def _watch(self, planned: Planned, launched, stop) -> Outcome:
        limits = self.limits
        # The hard deadline: the run's time from when its model is built (or, should building never
        # end, from now plus the allowance), plus overtime. The run keeps to its time between steps;
        # this ends one that cannot.
        deadline = time.monotonic() + limits.prepare_allowance_s + planned.seconds + limits.overtime_s
        prepared = final = False
        asked_at: float | None = None  # when the run was asked to stop (Stop, a closed tab, its deadline)
        while True:
            try:
                report = launched.get(timeout=_POLL_S)
            except queue.Empty:
                report = None
                if not launched.alive():
                    try:  # the last reports may still be on their way
                        report = launched.get(timeout=1.0)
                    except queue.Empty:
                        return Outcome("died", launched.death(), self._tab_closed(time.monotonic()))
            if isinstance(report, r.Done):
                return Outcome("reported", tab_closed=self._tab_closed(time.monotonic()))
            if report is not None:
                final = final or report.final
                with self._lock:
                    if isinstance(report, r.Prepared) and not prepared:
                        prepared, deadline = True, time.monotonic() + planned.seconds + limits.overtime_s
                        self._status = STOPPING if self._status == STOPPING else RUNNING
                        self._message = ""
                    self.kind.apply(report)
                if isinstance(report, r.Failed) or (isinstance(report, r.Note) and "Traceback" in report.text):
                    self._traceback = report.traceback if isinstance(report, r.Failed) else report.text
            now = time.monotonic()
            if self._check_alive() and self._tab_closed(now):
                stop.set()
            if asked_at is None and stop.is_set():
                asked_at = now
                with self._lock:
                    if self._status in (PREPARING, RUNNING):
                        self._status = STOPPING
            overdue = asked_at is not None and now - asked_at >= limits.stop_grace_s
            if not final and (now >= deadline or overdue):
                stop.set()
                why = "closed" if self._tab_closed(now) else "time" if now >= deadline else "stop"
                launched.end()
                return Outcome("ended here", Said(_ENDED_HERE[why, not prepared]), why == "closed")

    def _check_alive(self) -> bool:
        """Ask whether the browser session still exists (every alive_every_s); True if asked."""
        now = time.monotonic()
        if self._alive is None or now < self._next_alive:
            return False
        self._next_alive = now + self.limits.alive_every_s
        try:
            alive = bool(self._alive())
        except Exception:  # a check that cannot answer counts as a closed tab: never train on for nobody
            log.warning("Could not tell whether training run %s's tab is still open", self.run_id, exc_info=True)
            alive = False
        if alive:
            self._gone_since = None
        elif self._gone_since is None:
            self._gone_since = now
        return True

    def _tab_closed(self, now: float) -> bool:
        return self._gone_since is not None and now - self._gone_since >= self.limits.gone_grace_s


def until_stopped_cap(seconds: float | None, cap: float) -> float:
    """The time of a run: `seconds`, or `cap` for "until I stop it" (a forgotten tab must end)."""
    if seconds is None:
        return cap
    if not (isinstance(seconds, (int, float)) and seconds == seconds and 0 < seconds < float("inf")):
        raise ValueError(_("A training time must be a positive number of seconds, not {value}.").format(
            value=repr(seconds)))
    return float(seconds)


def new_run_id() -> str:
    return f"run-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
