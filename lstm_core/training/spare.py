"""A spare training process: started with the server, TensorFlow imported, waiting for the next run.

Most of a run's start was its new process importing TensorFlow: 4 to 7 s of the 8.5 s from Start to the
first reported step on a busy 2-core machine (bench/bench_first_step.py). The server keeps one process
that has done so already; the next run here (launcher.LocalRun) takes it, and another is started
REPLACE_AFTER_S later to wait for the run after. A spare that a run took is that run's process like a
fresh one:

- The run's limits are applied by the run's function when it begins, in the process: its memory limit
  (launcher._within_memory) and the training priority (slots.yield_to_pages, which the spare applied
  already before importing, so that its import never slows the pages).
- Stop: multiprocessing hands an event to a process only as it starts, so the spare has its own stop
  event, which the run sets as soon as the job's is set (LocalRun.get). It is ended, and its exit code
  read, as a fresh process is.
- It never outlives the server: daemonic, it is ended at the server's exit; should the server be killed,
  its end of the pipe closes and the spare's wait ends with it.
- One spare at a time, none where a Ray cluster trains, none with LSTM_LAB_SPARE_PROCESS=no: it costs its
  memory once, in the server's share (README): about 230 MB of its own, 630 MB resident with the
  TensorFlow libraries it shares with the trainings.
- A run finds no spare ready (one still importing, many Starts at once, none kept): it starts a process of
  its own, as before there were spares. A spare that died before its run is not used either, and no spare
  is started again (the same failure would repeat at every run).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable

from lstm_core import settings

log = logging.getLogger(__name__)

# The next spare starts this long after a run took the last one (or when that run ends, if sooner): its
# import would otherwise take a core from that run's own start, the model's build and first step.
REPLACE_AFTER_S = 10.0


def _settings_environment() -> dict[str, str]:
    """The variables a run's process reads its settings from (lstm_core.settings)."""
    return {name: os.environ[name] for name in settings.VARIABLES if name in os.environ}


def _wait_for_a_run(orders, reports, stop, ready) -> None:
    """The spare's life (its process's target): import TensorFlow, wait for a run, run it, exit."""
    from lstm_core.training.slots import yield_to_pages
    from lstm_core.training.tf_runtime import keras

    yield_to_pages()
    keras()
    ready.set()
    try:
        target, folder, parent_pid = orders.recv()
    except EOFError:  # the server dropped this spare, or is gone, before a run took it
        return
    orders.close()
    target(folder, reports, stop, parent_pid)


class Spare:
    """One waiting process, with the report queue and stop event it was started with."""

    def __init__(self, context):
        self.reports, self.stop, self.ready = context.Queue(), context.Event(), context.Event()
        self.environment = _settings_environment()
        theirs, self._orders = context.Pipe(duplex=False)
        self.process = context.Process(target=_wait_for_a_run, name="lstm-lab-spare", daemon=True,
                                       args=(theirs, self.reports, self.stop, self.ready))
        self.process.start()
        theirs.close()  # only the spare holds its end: it reads the end of its orders when ours closes

    def give(self, target: Callable, folder: str, parent_pid: int) -> bool:
        """Hand the spare its run: `target(folder, reports, stop, parent_pid)`; False if it is gone."""
        try:
            if not self.process.is_alive():
                return False
            self._orders.send((target, folder, parent_pid))
            return True
        except OSError:  # it died between the question and the order
            return False
        finally:
            self._orders.close()

    def discard(self) -> None:
        """End a spare no run will take: it has nothing to finish (reaped: no zombie left)."""
        self._orders.close()
        self.process.kill()
        self.process.join(timeout=5)


class Spares:
    """The server's spare: kept once `keep()` is called, given to one run, then replaced (`replenish`)."""

    def __init__(self):
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._spare: Spare | None = None
        self._kept = self._failed = False

    def keep(self) -> None:
        """Keep a spare from now on (the server's first page run asks; again, nothing happens)."""
        current = settings.current()
        with self._lock:
            if self._kept or not current.spare_process or current.ray_address:
                return
            self._kept = True
        self.replenish()

    def ready(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a spare to wait with TensorFlow imported (for benches and tests)."""
        with self._lock:
            spare = self._spare
        return spare is not None and spare.ready.wait(timeout)

    def hand(self, target: Callable, folder: str, parent_pid: int) -> Spare | None:
        """The spare that now runs `target(folder, reports, stop, parent_pid)`; None when none is ready:
        the run then starts a process of its own. One still importing is left to the next run: many
        Starts at once would otherwise each wait for the import of the spare the one before started."""
        with self._lock:
            spare = self._spare
            if spare is None or (not spare.ready.is_set() and spare.process.is_alive()):
                return None
            self._spare = None
        if spare.environment != _settings_environment():
            # Started under other settings (a test changed them): its run would read the old ones.
            spare.discard()
            self.replenish()
            return None
        if spare.ready.is_set() and spare.give(target, folder, parent_pid):
            return spare
        log.warning("The spare training process ended before a run took it (exit code %s): every run starts "
                    "a process of its own from now on.", spare.process.exitcode)
        with self._lock:
            self._failed = True  # the same failure would come back with every spare
        spare.discard()
        return None

    def replenish(self) -> None:
        """Start a new spare, unless one waits, spares failed or none are kept."""
        with self._lock:
            if not self._kept or self._failed or self._spare is not None:
                return
            try:
                self._spare = Spare(self._context)
            except Exception:  # no spare, then: every run starts its own process, as without one
                log.exception("Could not start a spare training process")
                self._failed = True


SPARES = Spares()
