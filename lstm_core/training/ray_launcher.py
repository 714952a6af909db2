"""Training runs on a Ray cluster, for a class bigger than one machine (LSTM_LAB_RAY_ADDRESS).

A run is one Ray actor asking the cluster for its resources: LSTM_LAB_RAY_CPUS CPUs (default 1),
its memory budget, and LSTM_LAB_RAY_GPUS GPUs when set and the cluster has them (TensorFlow then
trains on the GPU Ray gives it). Ray's scheduler starts it when a worker has room, in place of the
server's slots. An actor, not a task: a task gives its CPU back while it waits on the cluster (each
time the worker asks whether Stop was pressed), and the next run in line would start beside it.
The actor runs the same function a local child process would (train_worker.run, sentiment.job's
child), so the job watching it sees the same reports:

- Reports go to a small mailbox actor of the run, which the server empties every fraction of a
  second; Stop goes the other way through it, and the worker looks a few times a second. A run
  that does not stop within the job's grace period is ended (`ray.kill`), its worker process with it.
- The worker may not share the server's disk: it saves in a folder of its own and, whenever a
  report says that folder is complete (a checkpoint, the end of the run), sends it first
  (storage.shipping), which the server writes into the session's folder. A worker lost mid-run
  thus leaves the last checkpoint that reached the server.
- Which waiting run starts first is Ray's choice; the page shows where a run stands in a line
  kept by one named actor in arrival order, shared by every app server (`_Line`).

Workers need the packages of requirements.txt; LSTM Lab's own code travels with the connection
(runtime_env `py_modules`), so they need no copy of the repository.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import ray

import lstm_core
from lstm_core import settings
from lstm_core.i18n import N_
from lstm_core.said import Explained, Said
from lstm_core.storage import shipping
from lstm_core.training.budget import over_budget
from lstm_core.training.reports import Note

NAMESPACE = "lstm-lab"
# How often the worker asks whether Stop was pressed (each training step would be too often),
# and how often a waiting run renews its place in the line.
STOP_POLL_S, PLACE_EVERY_S = 0.25, 1.0
# A place not renewed for this long belongs to a server that is gone.
LEASE_S = 15.0
# The longest a call to the cluster may hold up the job's watching thread.
CALL_S = 10.0
_MB = 1 << 20
_connecting = threading.Lock()


class ClusterUnreachable(Explained):
    """The cluster at LSTM_LAB_RAY_ADDRESS could not be joined, said for the page."""


class TooBigForTheCluster(Explained):
    """No machine of the cluster could ever take the run: it would wait forever, so it does not."""


def connect(address: str) -> None:
    """Join the cluster once per server process (the first run does it)."""
    with _connecting:
        if ray.is_initialized():
            return
        try:
            ray.init(address=address, namespace=NAMESPACE, logging_level=logging.WARNING,
                     log_to_driver=False,  # the reports say what a person needs; TensorFlow's logs stay on the worker
                     runtime_env={"py_modules": [str(Path(lstm_core.__file__).parent)]})
        except Exception as exc:
            raise ClusterUnreachable(N_("Could not reach the Ray cluster at {address}: {reason}"), address=address,
                                     reason=f"{type(exc).__name__}: {exc}") from None


@ray.remote(num_cpus=0)
class _Mailbox:
    """One run's reports on their way to the server, and its Stop on the way to the worker.

    Not ray.util.queue.Queue: its actor is asynchronous, and Ray keeps the order of one caller's
    calls only for a synchronous actor, so reports sent without waiting (_Outbox) could arrive out of
    order; waiting for each put instead holds training up for a round trip per report. Emptying it
    takes two calls (qsize, then get_nowait_batch), and Stop would need a second actor."""

    def __init__(self):
        self.reports, self.stopping = [], False

    def put(self, report) -> None:
        self.reports.append(report)

    def take(self) -> list:
        reports, self.reports = self.reports, []
        return reports

    def stop(self) -> None:
        self.stopping = True

    def stop_asked(self) -> bool:
        return self.stopping


@ray.remote(num_cpus=0)
class _Line:
    """The runs waiting for the cluster, from every app server, in the order they arrived."""

    def __init__(self):
        self.waiting: dict[str, tuple[float, float]] = {}  # run -> (arrived, last renewed)

    def place(self, key: str, arrived: float) -> int:
        """Renew `key`'s place; its position, 1 = next."""
        now = time.time()
        self.waiting[key] = (arrived, now)
        self.waiting = {k: v for k, v in self.waiting.items() if now - v[1] < LEASE_S}
        return 1 + sum(1 for k, (a, _) in self.waiting.items() if (a, k) < (arrived, key))

    def leave(self, key: str) -> None:
        self.waiting.pop(key, None)


def _line():
    return _Line.options(name="waiting-line", namespace=NAMESPACE, get_if_exists=True,
                         lifetime="detached").remote()  # shared by the servers, whichever came first


# -- on the worker ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Files:
    """A run's folder (relative to its own), packed: it comes before the report that says it is complete."""

    folder: str
    packed: bytes


class _Outbox:
    """The reports queue the run's function writes to (put, close, join_thread, as multiprocessing's)."""

    def __init__(self, mailbox, folder: str, ships):
        self.mailbox, self.folder, self.ships = mailbox, Path(folder), ships
        self.last = None

    def put(self, report) -> None:
        complete = self.ships(report)
        if complete is not None:  # the server must hold these files before it reads the report
            self.last = self.mailbox.put.remote(_Files(complete, shipping.pack(self.folder / complete)))
        # Not waited for: a sync actor runs one caller's calls in the order they were made.
        self.last = self.mailbox.put.remote(report)

    def close(self) -> None:
        pass

    def join_thread(self) -> None:
        if self.last is not None:
            ray.get(self.last)  # every report is in the mailbox before the run ends


class _StopFlag:
    """The job's stop event, as the worker sees it (is_set), asked at most every STOP_POLL_S."""

    def __init__(self, mailbox):
        self.mailbox, self.set, self.next = mailbox, False, 0.0

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self.set and now >= self.next:
            self.set, self.next = ray.get(self.mailbox.stop_asked.remote()), now + STOP_POLL_S
        return self.set


# One actor (one worker process) per run, killed when the run ends: its memory limit, TensorFlow
# and its memory go with it. Not restarted (Ray's default): a run whose worker was lost ends, keeping
# its last checkpoint; it does not start over from scratch behind the student's back.
@ray.remote
class _Trainer:
    def train(self, target, ships, seed: bytes | None, mailbox, cpus: int) -> None:
        # TensorFlow keeps to the CPUs the cluster gave the run (it would take every core of the machine).
        os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["TF_NUM_INTEROP_THREADS"] = str(cpus)
        folder = tempfile.mkdtemp(prefix="lstm-lab-run-")
        try:
            if seed is not None:
                shipping.unpack(seed, folder)
            reports = _Outbox(mailbox, folder, ships)
            reports.put(Note(f"Training on {socket.gethostname()}, worker process {os.getpid()}."))
            target(folder, reports, _StopFlag(mailbox), os.getppid())
        finally:
            shutil.rmtree(folder, ignore_errors=True)


# -- on the server ---------------------------------------------------------------------------------
def _resources(memory_mb: int | None) -> dict:
    cpus = settings.current().ray_cpus
    options = {"num_cpus": cpus}
    if memory_mb is not None:
        options["memory"] = memory_mb * _MB
    gpus = settings.current().ray_gpus
    if gpus and ray.cluster_resources().get("GPU", 0) >= gpus:  # asked for, and some worker has one
        options["num_gpus"] = gpus
    return options


def _check_fits(options: dict) -> None:
    """TooBigForTheCluster unless some machine of the cluster has, in all, what the run asks for."""
    asked = {"CPU": options["num_cpus"], "memory": options.get("memory", 0), "GPU": options.get("num_gpus", 0)}
    # ray.nodes() is a developer API, but the one that gives each machine's own total.
    if not any(node.get("Alive") and all((node.get("Resources") or {}).get(k, 0) >= v for k, v in asked.items() if v)
               for node in ray.nodes()):
        raise TooBigForTheCluster(N_("No machine of the Ray cluster is big enough for this run: it asks for {cpus} "
                                     "CPUs and {mb:,} MB of memory. Whoever runs the server can lower "
                                     "LSTM_LAB_TRAIN_MEMORY_MB or LSTM_LAB_RAY_CPUS, or add a bigger machine."),
                                  cpus=options["num_cpus"], mb=options.get("memory", 0) // _MB)


class RayRun:
    """A run on the cluster, watched like a local one (see launcher.LocalRun)."""

    slots = 0  # the cluster, not this server, decides how many train at once

    def __init__(self, work, stop, address: str):
        self.work, self._stop, self._address = work, stop, address
        self._key, self._arrived = uuid.uuid4().hex, time.time()
        self._trainer = self._task = self._mailbox = None
        self._reports: deque = deque()
        self._started, self._stop_sent, self._lost = False, False, None
        self._position, self._next_place = 1, 0.0

    def position(self) -> int:
        return 0 if self._started else self._position

    def wait_start(self, timeout: float) -> bool:
        """True once the run has begun on a worker (its first report came) or has ended."""
        if self._task is None:
            self._submit()  # here, in the watching thread: joining the cluster takes seconds
        if not self._started:
            self._collect()
            if self._reports or not self.alive():
                self._started = True
                self._leave_line()
            else:
                self._place()
                time.sleep(timeout)
        return self._started

    def get(self, timeout: float):
        """The next report; queue.Empty when none came within `timeout` seconds."""
        if not self._reports:
            self._collect()
            if not self._reports:
                time.sleep(timeout)
                self._collect()
        if not self._reports:
            raise queue.Empty
        return self._reports.popleft()

    def alive(self) -> bool:
        return self._lost is None and not ray.wait([self._task], timeout=0)[0]

    def end(self) -> None:
        """End the run now (it did not stop when asked): Ray ends its worker process."""
        ray.kill(self._trainer)
        ray.wait([self._task], timeout=5)

    def death(self) -> Said:
        """Why the run ended without its last report."""
        reason = self._lost
        if reason is None:
            try:
                ray.get(self._task, timeout=CALL_S)
                reason = "no last report"
            except ray.exceptions.OutOfMemoryError:  # Ray's memory monitor ended it
                if self.work.memory_mb is not None:
                    return over_budget(self.work.memory_mb)
                reason = "OutOfMemoryError"
            except ray.exceptions.RayError as exc:
                reason = type(exc).__name__
        return Said(N_("The cluster lost the worker that was training this run ({reason})."), reason=reason)

    def close(self) -> None:
        """After the run (or instead of it: stopped while waiting, it never starts): its actors are gone."""
        if self._task is None:
            return
        try:
            if self._started:
                ray.wait([self._task], timeout=30)  # its last words (the folder is cleaned up)
            ray.kill(self._trainer)
            ray.kill(self._mailbox)
        finally:
            self._leave_line()

    # -- inside --------------------------------------------------------------------------------------
    def _submit(self) -> None:
        connect(self._address)
        work = self.work
        options = _resources(work.memory_mb)
        _check_fits(options)
        seed = shipping.pack(work.folder) if work.seeded else None
        self._mailbox = _Mailbox.remote()
        self._trainer = _Trainer.options(**options).remote()
        self._task = self._trainer.train.remote(work.target, work.ships, seed, self._mailbox, options["num_cpus"])

    def _collect(self) -> None:
        """Take what the mailbox holds: folders are written here at once, reports kept in order."""
        if self._stop.is_set() and not self._stop_sent:
            self._mailbox.stop.remote()
            self._stop_sent = True
        if self._lost is not None:
            return
        try:
            reports = ray.get(self._mailbox.take.remote(), timeout=CALL_S)
        except ray.exceptions.GetTimeoutError:
            return
        except ray.exceptions.RayError as exc:  # the mailbox's node is gone: the run with it
            self._lost = type(exc).__name__
            return
        for report in reports:
            if isinstance(report, _Files):
                shipping.unpack(report.packed, Path(self.work.folder) / report.folder)
            else:
                self._reports.append(report)

    def _place(self) -> None:
        now = time.monotonic()
        if now >= self._next_place:
            self._next_place = now + PLACE_EVERY_S
            try:
                self._position = ray.get(_line().place.remote(self._key, self._arrived), timeout=CALL_S)
            except ray.exceptions.RayError:
                pass  # the place shown is a courtesy: the run waits in Ray's own queue all the same

    def _leave_line(self) -> None:
        try:
            _line().leave.remote(self._key)
        except ray.exceptions.RayError:
            pass
