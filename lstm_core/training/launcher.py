"""Where a training run executes: a child process of this server (the default), or a Ray cluster.

A training job (lstm_core.training.job) describes one run as `Work` and hands it to `start_run`,
which returns a handle the job watches the same way wherever the run is: wait for it to start,
read its reports, end it, ask why it died. Wherever it is, a run with a memory budget trains under
its hard limit (budget.limit_this_process).

- Here (`LocalRun`): the run takes a ticket from the server's training slots (slots.py) and, once it
  holds one, is a spawned child process that reports on a multiprocessing queue: the server's spare
  process, TensorFlow already imported (spare.py), else a new one. The default.
- On a Ray cluster (ray_launcher.RayRun) when LSTM_LAB_RAY_ADDRESS is set: the cluster's scheduler
  replaces the slots. Ray is imported only then, so a server without the setting never loads it.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.spawn
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from lstm_core import settings
from lstm_core.i18n import N_
from lstm_core.said import Said
from lstm_core.training.budget import limit_this_process, over_budget
from lstm_core.training.slots import TrainingSlots
from lstm_core.training.spare import REPLACE_AFTER_S, SPARES, Spares

# How a child process that was ended shows in its exit code: killed (by us or the kernel's
# out-of-memory killer) or aborted (an allocation over its memory limit failed in TensorFlow).
_KILLED, _ABORTED = -9, -6


def _ships_nothing(report) -> str | None:
    return None


@dataclass(frozen=True)
class Work:
    """One run: `target(folder, reports, stop, parent_pid)`, a module-level function (or a partial of
    one) that a spawned process or a cluster worker can unpickle.

    `folder` is where the run's files belong on this server. A run on another machine writes into a
    folder of its own instead; `ships(report)` names (relative to it) the folder that a report says
    is complete, which then comes back here before that report, and `seeded` sends the folder's
    files there first (a resume reads the model the previous run saved).
    """

    target: Callable
    folder: str
    name: str
    memory_mb: int | None = None
    seeded: bool = False
    ships: Callable[[object], str | None] = _ships_nothing


def _within_memory(target: Callable, memory_mb: int, *args) -> None:
    """`target(*args)` in this process under a hard memory limit: an allocation beyond it fails."""
    limit_this_process(memory_mb)
    target(*args)


def start_run(work: Work, stop, slots: TrainingSlots):
    """Start `work` where this deployment trains: on the Ray cluster at LSTM_LAB_RAY_ADDRESS when set,
    else here, queued on `slots`. `stop` is the job's event: once set, the run is asked to stop."""
    if work.memory_mb is not None:
        work = replace(work, target=partial(_within_memory, work.target, work.memory_mb))
    address = settings.current().ray_address
    if address:
        from lstm_core.training.ray_launcher import RayRun

        return RayRun(work, stop, address)
    return LocalRun(work, stop, slots, SPARES)


def _without_main(get_preparation_data):
    """multiprocessing's preparation data for a spawned child, minus this process's __main__.

    A spawned child runs its parent's __main__ file before its target. In a Streamlit server that is a page
    script: Streamlit makes each script run `__main__`, from any session's thread at any moment, so every
    training process would first run a page without a browser (loading models, warning on each st.* call)
    before training. Swapping `sys.modules["__main__"]` around `start()` lost that race to other sessions'
    script runs (seen in the class-load bench); leaving the main module out of what the child is told cannot.
    """
    def prepared(name):
        data = get_preparation_data(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    prepared.without_main = True
    return prepared


if not getattr(multiprocessing.spawn.get_preparation_data, "without_main", False):
    # Once per process: nothing this server spawns (trainings, memory tests) needs the page script.
    multiprocessing.spawn.get_preparation_data = _without_main(multiprocessing.spawn.get_preparation_data)


class LocalRun:
    """A run in a child process of this server, started once it holds one of the server's slots."""

    def __init__(self, work: Work, stop, slots: TrainingSlots, spares: Spares):
        self.work, self._stop, self._slots, self._spares = work, stop, slots, spares
        self._context = multiprocessing.get_context("spawn")
        self._process = self._reports = None
        self._process_stop = stop  # a spare's own event, which `get` sets once the job's is set
        self._replace_at: float | None = None  # when the spare this run took is replaced
        self._ticket = slots.request()

    @property
    def slots(self) -> int:
        """How many runs the server trains at once."""
        return self._slots.limit

    def position(self) -> int:
        """0 once started (or ended), k while k-th in the queue."""
        return 0 if self._process is not None else max(self._slots.position(self._ticket), 0)

    def wait_start(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a slot, then start the run (in the server's spare process when
        one is ready); True once started."""
        if self._process is None:
            if not self._slots.wait(self._ticket, timeout):
                return False
            spare = self._spares.hand(self.work.target, self.work.folder, os.getpid())
            if spare is not None:
                self._process, self._reports, self._process_stop = spare.process, spare.reports, spare.stop
                self._process.name = self.work.name  # the run's, as a fresh process's (not yet a spare's)
                self._replace_at = time.monotonic() + REPLACE_AFTER_S
                return True
            self._reports = self._context.Queue()
            self._process = self._context.Process(
                target=self.work.target, name=self.work.name, daemon=True,
                args=(self.work.folder, self._reports, self._stop, os.getpid()))
            self._process.start()
        return True

    def get(self, timeout: float):
        """The next report; queue.Empty when none came within `timeout` seconds."""
        # The job watching the run calls this every fraction of a second.
        self._pass_stop()
        if self._replace_at is not None and time.monotonic() >= self._replace_at:
            self._replenish()
        return self._reports.get(timeout=timeout)

    def _replenish(self) -> None:
        """The spare this run took is replaced (once)."""
        self._replace_at = None
        self._spares.replenish()

    def _pass_stop(self) -> None:
        """The job's Stop, to a spare process (which has its own stop event)."""
        if self._stop.is_set():
            self._process_stop.set()

    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def end(self) -> None:
        """End the process now (it did not stop when asked)."""
        self._process.terminate()
        self._process.join(timeout=2)
        if self._process.is_alive():
            self._process.kill()

    def death(self) -> Said:
        """Why the process ended without its last report."""
        code = self._process.exitcode
        if self.work.memory_mb is not None and code in (_KILLED, _ABORTED):
            return over_budget(self.work.memory_mb)
        return Said(N_("The training process ended unexpectedly (exit code {code})."), code=code)

    def close(self) -> None:
        """After the run (or instead of it): the process is gone and the slot given back."""
        try:
            if self._process is not None:
                self._pass_stop()  # a run stopped as it started ends now, not at its time
                self._process.join(timeout=30)
                if self._process.is_alive():
                    self._process.kill()
                    self._process.join(timeout=5)
            if self._replace_at is not None:  # it ended before its spare was replaced: now, then
                self._replenish()
        finally:
            self._slots.release(self._ticket)
