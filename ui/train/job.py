"""Training a character model for one browser session, in a child process, watched from the page.

A `TrainingJob` is one model. Each Start or Resume is a run: it waits for a free training slot
(lstm_core.training.slots: the server trains a few models at a time, the rest queue in order), then
spawns a process (lstm_core.training.train_worker) that trains, saves the model folder and exits; Resume
starts a new process from the saved folder, optimizer state included. Where a deployment has a Ray
cluster, the run is a task on it instead, queued by Ray (lstm_core.training.launcher says where).
A supervisor thread per run copies the run's reports into the job under a lock; the page (the
script thread) reads a consistent copy with `view()`. No thread here touches Streamlit.

Nor does any of them know who reads: what they say for a person (why a run ended) is a `Said`
(lstm_core.said), English text that the page says in the reader's language (`say`).

The job keeps what a class wants to watch: the loss history, a few recent samples, and weight
snapshots spread over the whole run (at most `max_snapshots`, fewer for big models), so other
pages can look at the model as it was.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import queue
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from lstm_core.i18n import N_, _
from lstm_core.inference.params import total_params
from lstm_core.said import Said, said_of
from lstm_core.training.launcher import Work, start_run
from lstm_core.training.slots import SLOTS, TrainingSlots
from lstm_core.training.train_worker import Resume, RunOrder, TrainRecipe, Watch, run_in, ships, until_stopped_cap
from lstm_core.training.trainer import NATS_TO_BITS, HistoryPoint, Progress

from ui.models import Snapshot

log = logging.getLogger(__name__)

READY, QUEUED, RUNNING = "ready", "queued", "running"
STOPPED, FINISHED, DIVERGED, ERROR = "stopped", "finished", "diverged", "error"
ENDED = (STOPPED, FINISHED, DIVERGED, ERROR)
# "Until I stop it" still ends by itself, so a forgotten tab cannot hold the server's CPU forever.
UNTIL_STOPPED_CAP_S = 3600.0
# A session whose browser has been gone this long stops training (or leaves the queue).
GONE_GRACE_S = 60.0
# Stop (or the time limit) asks the run to end between two steps; one that does not within this
# many seconds (building its model, or inside a long step) has its process ended.
STOP_GRACE_S = 3.0
# Starting TensorFlow and building the model does not count against a run's time, up to this long
# (a busy server can take a minute to start a process); a run still building after it is ended.
BUILD_ALLOWANCE_S = 120.0
# A run past its time is asked to stop at once and ended after this much more: its first step
# (traced by TensorFlow) can take many seconds on a busy server, and that is no runaway.
OVERTIME_S = 60.0
_POLL_S = 0.2
# Why a run's process was ended from here (the browser tab closed, its time up, Stop pressed),
# and whether it was still building its model.
_ENDED = {
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
class SampleSet:
    """Text generated from the weights at one step, at each temperature."""

    step: int
    texts: tuple[tuple[float, str], ...]  # (temperature, text)


@dataclass(frozen=True)
class LossHistory:
    """The loss curve for the chart: one training loss per step, validation where measured."""

    steps: tuple[int, ...] = ()
    train: tuple[float, ...] = ()
    val_steps: tuple[int, ...] = ()
    val: tuple[float, ...] = ()

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class JobView:
    """A consistent copy of a job's state at one moment (safe to use without the lock)."""

    run_id: str
    status: str
    message: str  # often a Said: show it with lstm_core.said.say
    progress: Progress | None
    history: LossHistory
    samples: tuple[SampleSet, ...]
    snapshots: tuple  # of ui.models.Snapshot
    latest_net: object | None
    latest_step: int
    runs_ended: int
    budget_s: float | None  # None: until stopped
    building: bool
    steps: int
    train_seconds: float
    notes: tuple[str, ...] = ()
    queue_position: int = 0  # while queued: 1 = next in line
    slots: int = 1  # how many models the server trains at once; 0: a Ray cluster trains them, as it has room
    saved: bool = False  # the last run's model is in the job's folder
    save_error: str = ""  # a Said, when not empty

    @property
    def running(self) -> bool:
        """Training or waiting for a slot to train: Start is unavailable, Stop is."""
        return self.status in (RUNNING, QUEUED)

    @property
    def queued(self) -> bool:
        return self.status == QUEUED

    @property
    def ended(self) -> bool:
        return self.status in ENDED


class TrainingJob:
    """One model, trained in runs (Start, then any number of Resumes), each in a child process
    (or a task on the deployment's Ray cluster).

    `folder` is where each run saves the model (and where a resume reads it back). `alive`, if
    given, says whether the browser session still exists; gone for `gone_grace_s`, its run stops.
    """

    def __init__(self, recipe: TrainRecipe, folder, *, run_id: str | None = None, corpus: dict | None = None,
                 label: str = "", watch: Watch = Watch(), keep_samples: int = 10, snapshot_every_s: float = 5.0,
                 max_snapshots: int = 24, snapshot_bytes: int = 128 << 20, alive=None, alive_every_s: float = 5.0,
                 gone_grace_s: float = GONE_GRACE_S, slots: TrainingSlots = SLOTS, checkpoint_every_s: float = 60.0,
                 memory_mb: int | None = None, stop_grace_s: float = STOP_GRACE_S, overtime_s: float = OVERTIME_S):
        self.run_id = run_id or new_run_id()
        self.recipe, self.folder, self.corpus, self.label, self.watch = recipe, str(folder), corpus or {}, label, watch
        self.vocab = recipe.vocab
        self.slots, self.checkpoint_every_s = slots, checkpoint_every_s
        self.memory_mb, self.stop_grace_s, self.overtime_s = memory_mb, stop_grace_s, overtime_s
        self._alive, self.alive_every_s, self.gone_grace_s = alive, alive_every_s, gone_grace_s
        self.keep_samples = keep_samples
        self.snapshot_every_s, self.max_snapshots, self.snapshot_bytes = snapshot_every_s, max_snapshots, snapshot_bytes
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None
        self._stop = multiprocessing.get_context("spawn").Event()  # shared with the run's process
        # What the page reads (under the lock).
        self._status, self._message = READY, ""
        self._progress: Progress | None = None
        self._history: list[HistoryPoint] = []
        self._samples: list[SampleSet] = []
        self._snapshots: list[Snapshot] = []
        self._latest_net, self._latest_step = None, -1
        self._runs_ended = 0
        self._budget_s: float | None = None
        self._building = False
        self._notes: list[str] = []
        self._steps, self._train_seconds, self._last_val = 0, 0.0, None
        self._saved, self._save_error = False, ""
        self._checkpoint: tuple | None = None  # (steps, train_seconds, last_val) of this run's last checkpoint
        self._run_start: tuple = (0, 0.0, None)  # the same, as the run found them
        self._run = None  # where the current (or last) run executes: launcher.LocalRun or RayRun
        self._snapshot_interval = snapshot_every_s
        self._last_snapshot_clock = -math.inf
        # The supervisor's own bookkeeping of the browser session.
        self._gone_since: float | None = None
        self._next_alive = 0.0
        # At interpreter exit or when the job is dropped, a running child is told to stop.
        weakref.finalize(self, self._stop.set)

    # -- control (script thread) -------------------------------------------------------------
    def start(self, seconds: float | None = None) -> None:
        """Train from random weights for `seconds` of wall time (None: until stopped, at most an hour)."""
        with self._lock:
            if self._runs_ended:
                raise RuntimeError(_("This model has been trained already: resume it, or start a new one."))
        self._launch(seconds, None)

    def resume(self, seconds: float | None = None, learning_rate: float | None = None) -> None:
        """Continue from the saved weights and optimizer state, optionally at a new learning rate."""
        with self._lock:
            if not self._saved:
                raise RuntimeError(_("There is no saved model to resume yet; start one first."))
        self._launch(seconds, learning_rate)

    def _launch(self, seconds: float | None, learning_rate: float | None) -> None:
        budget = until_stopped_cap(seconds, UNTIL_STOPPED_CAP_S)
        with self._lock:
            if self._supervisor is not None and self._supervisor.is_alive():
                raise RuntimeError(_("This model is already training."))
            resume = (Resume(self._steps, self._train_seconds, self._last_val, tuple(self._history))
                      if self._saved else None)
            order = RunOrder(budget, self.folder, self.corpus, self.label, learning_rate, resume,
                             cool_down=seconds is not None, checkpoint_every_s=self.checkpoint_every_s,
                             memory_mb=self.memory_mb)
            self._stop.clear()  # one event for the job's life: the finalizer set up in __init__ holds it
            self._status, self._message = QUEUED, ""
            self._budget_s = seconds
            self._progress = None  # the last run's progress (elapsed time, ETA) means nothing for this one
            self._checkpoint = None
            self._run_start = (self._steps, self._train_seconds, self._last_val)
            work = Work(partial(run_in, self.recipe, order, self.watch), self.folder, f"lstm-lab-{self.run_id}",
                        memory_mb=self.memory_mb, seeded=resume is not None, ships=ships)
            self._run = start_run(work, self._stop, self.slots)
            self._supervisor = threading.Thread(target=self._supervise, args=(order, self._run, self._stop),
                                                daemon=True, name=f"lstm-lab-train-{self.run_id}")
            self._supervisor.start()

    def stop(self) -> None:
        """Stop the run: honoured within one training step, or at once while it waits to start."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run to end (its reports all read); True if it has."""
        thread = self._supervisor
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    @property
    def is_alive(self) -> bool:
        """A run is training or waiting for a slot."""
        thread = self._supervisor
        return thread is not None and thread.is_alive()

    def latest(self) -> tuple[object | None, int, list, Progress | None, str]:
        """Cheap: the latest weights (a NumPy network), their step, the snapshots, progress and status."""
        with self._lock:
            return self._latest_net, self._latest_step, list(self._snapshots), self._progress, self._status

    def view(self) -> JobView:
        with self._lock:
            steps = tuple(h.step for h in self._history)
            train = tuple(h.train_loss for h in self._history)
            vals = [(h.step, h.val_loss) for h in self._history if h.val_loss is not None]
            launched, status = self._run, self._status
            view = dict(
                run_id=self.run_id, status=status, message=self._message, progress=self._progress,
                history=LossHistory(steps, train, tuple(s for s, _ in vals), tuple(v for _, v in vals)),
                samples=tuple(self._samples), snapshots=tuple(self._snapshots), latest_net=self._latest_net,
                latest_step=self._latest_step, runs_ended=self._runs_ended, budget_s=self._budget_s,
                building=self._building, steps=self._steps, train_seconds=self._train_seconds,
                notes=tuple(self._notes), slots=self.slots.limit if launched is None else launched.slots,
                saved=self._saved, save_error=self._save_error)
        position = launched.position() if status == QUEUED and launched is not None else 0
        return JobView(queue_position=position, **view)

    # -- the supervisor thread ------------------------------------------------------------------
    def _supervise(self, order: RunOrder, launched, stop) -> None:
        status, message = ERROR, ""
        try:
            if not self._wait_for_slot(launched, stop):
                status = STOPPED
                message = (Said(N_("Stopped while waiting for a free training slot: nothing was trained."))
                           if order.resume is None else Said(N_("Stopped while waiting for a free training slot.")))
                if self._gone_for(time.monotonic()) >= self.gone_grace_s:
                    message = Said(N_("The browser tab was closed, so this training left the queue."))
                return
            with self._lock:
                self._status, self._building = RUNNING, True
                self._message = Said(N_("Starting TensorFlow and building the model…"))
            status, message = self._watch_child(order, launched, stop)
        except Exception as exc:  # never lost silently: the page shows it, the server's log keeps it
            log.exception("Training run %s could not be watched", self.run_id)
            said = said_of(exc)
            status, message = ERROR, said if isinstance(said, Said) else f"{type(exc).__name__}: {exc}"
        finally:
            launched.close()
            if status == ERROR:
                details = next((n for n in reversed(self._notes) if "Traceback" in n), "")
                log.error("Training run %s failed: %s\n%s", self.run_id, message, details)
            with self._lock:
                self._status, self._message, self._building = status, message, False
                self._runs_ended += 1

    def _wait_for_slot(self, launched, stop) -> bool:
        """True once the run has started; False when stopped (or the tab closed) while queued."""
        self._gone_since, self._next_alive = None, 0.0
        while not launched.wait_start(_POLL_S):
            if stop.is_set():
                return False
            if self._check_alive() and self._gone_for(time.monotonic()) >= self.gone_grace_s:
                return False
        return not stop.is_set()

    def _watch_child(self, order: RunOrder, launched, stop) -> tuple[str, str]:
        ended: tuple | None = None
        error: tuple | None = None
        # The run's hard deadline: its budget from when its model is built (or, should building
        # never end, from now plus the building allowance), plus overtime. The child keeps to its
        # budget between steps; this ends one that cannot (building, or inside one long step).
        deadline = time.monotonic() + BUILD_ALLOWANCE_S + order.seconds + self.overtime_s
        asked_at: float | None = None  # when the run was asked to stop (Stop, a closed tab, its deadline)
        forced = ""  # why the process was ended from here, if it was
        while True:
            try:
                message = launched.get(timeout=_POLL_S)
            except queue.Empty:
                if not launched.alive():
                    try:  # the last reports may still be on their way
                        message = launched.get(timeout=1.0)
                    except queue.Empty:
                        break
                else:
                    message = None
            if message is not None:
                if message[0] == "done":
                    break
                if message[0] == "built":
                    deadline = time.monotonic() + order.seconds + self.overtime_s
                elif message[0] == "ended":
                    ended = message
                elif message[0] == "error":
                    error = message
                self._apply(message)
            now = time.monotonic()
            if self._check_alive() and self._gone_for(now) >= self.gone_grace_s:
                stop.set()
            if ended is None and asked_at is None and stop.is_set():
                asked_at = now
            overdue = asked_at is not None and now - asked_at >= self.stop_grace_s
            if ended is None and (now >= deadline or overdue):
                stop.set()
                why = ("closed" if self._gone_for(now) >= self.gone_grace_s
                       else "time" if now >= deadline else "stop")
                forced = self._end_process(launched, why)
                break
        if forced:
            return STOPPED, forced.then(self._back_to_checkpoint())
        if error is not None:
            return ERROR, error[1]
        if ended is None:
            return ERROR, launched.death().then(self._back_to_checkpoint())
        status, message = ended[1], ended[2]
        if status == STOPPED and self._gone_for(time.monotonic()) >= self.gone_grace_s:
            message = Said(N_("The browser tab was closed, so training stopped."))
        elif status == FINISHED and self._budget_s is None:
            message = Said(N_("Training stopped by itself after {minutes:.0f} minutes."),
                           minutes=UNTIL_STOPPED_CAP_S / 60)
        return status, message

    def _end_process(self, launched, why: str) -> Said:
        """End a run that did not stop when asked (`why`: "closed", "time" or "stop"); the message
        says why and what it was doing."""
        with self._lock:
            building = self._building
        launched.end()
        return Said(_ENDED[why, building])

    def _back_to_checkpoint(self) -> Said:
        """After a run died or was ended: the record goes back to the model saved last, by this
        run's last checkpoint or else by the run before it."""
        with self._lock:
            if self._checkpoint is not None:
                self._steps, self._train_seconds, self._last_val = self._checkpoint
                said = Said(N_("The model saved at step {step:,} (its last checkpoint) is kept."), step=self._steps)
            else:
                self._steps, self._train_seconds, self._last_val = self._run_start
                said = (Said(N_("The model as the previous run left it (step {step:,}) is kept."), step=self._steps)
                        if self._saved else Said(N_("Nothing was trained.")))
            self._history = [h for h in self._history if h.step <= self._steps]
            return said

    def _apply(self, message: tuple) -> None:
        kind = message[0]
        with self._lock:
            if kind == "built":
                self._building, self._message = False, ""
            elif kind == "progress":
                self._progress = message[1]
                self._steps = self._progress.step
            elif kind == "history":
                _, full, points = message
                if full:
                    self._history = []
                self._history.extend(HistoryPoint(*p) for p in points)
            elif kind == "look":
                self._look(*message[1:])
            elif kind == "note":
                self._note(message[1])
            elif kind == "ended":
                _, _, _, progress, steps, seconds, last_val, saved, save_error = message
                if progress is not None:
                    self._progress = progress
                self._steps, self._train_seconds, self._last_val = steps, seconds, last_val
                self._saved = self._saved or saved
                self._save_error = save_error
            elif kind == "checkpoint":
                self._checkpoint, self._saved = message[1:], True
            elif kind == "error":
                self._note(message[2])

    def _look(self, step: int, clock: float, net, texts: tuple, force: bool) -> None:
        """A new look at the weights (lock held): the latest net, a sample set, maybe a snapshot."""
        self._latest_net, self._latest_step = net, step
        if texts and (not self._samples or self._samples[-1].step != step):
            self._samples.append(SampleSet(step, texts))
            del self._samples[:-self.keep_samples]
        if self._snapshots and self._snapshots[-1].step == step:
            self._snapshots[-1] = Snapshot(step, net)  # the same weights: one snapshot, the latest net
            return
        # A diverged run goes back to an earlier step: later snapshots no longer happened.
        while self._snapshots and self._snapshots[-1].step > step:
            self._snapshots.pop()
        # The untrained model and the end of every run are kept; in between, one per snapshot interval.
        if force or clock - self._last_snapshot_clock >= self._snapshot_interval - 1e-9:
            self._snapshots.append(Snapshot(step, net))
            self._last_snapshot_clock = clock
            self._thin_snapshots()

    def _thin_snapshots(self) -> None:
        """Keep at most max_snapshots (fewer for big models): drop every other older one and
        double the interval, so the ones kept stay evenly spread over the whole run."""
        per_net = max(1, total_params(self.recipe.spec) * 4 * 2)  # the weights, and the engine's prepared copy
        limit = max(4, min(self.max_snapshots, self.snapshot_bytes // per_net))
        while len(self._snapshots) > limit:
            latest = self._snapshots[-1]
            self._snapshots = self._snapshots[:-1][::2] + [latest]
            self._snapshot_interval *= 2

    def _check_alive(self) -> bool:
        """Ask whether the browser session still exists (every alive_every_s); True if asked."""
        now = time.monotonic()
        if self._alive is None or now < self._next_alive:
            return False
        self._next_alive = now + self.alive_every_s
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

    def _gone_for(self, now: float) -> float:
        return 0.0 if self._gone_since is None else now - self._gone_since

    def _note(self, text: str) -> None:
        self._notes.append(text)
        del self._notes[:-20]


def new_run_id() -> str:
    return f"run-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def bits(nats: float | None) -> float | None:
    return None if nats is None else nats * NATS_TO_BITS
