"""Runs' functions for the spare process's tests, in a module of their own: the spare process, already
started, imports it to unpickle the run it is given."""

from __future__ import annotations

import os
import sys
import time


def describe(folder, reports, stop, parent_pid) -> None:
    """Says which process it runs in, and whether TensorFlow was imported before it began."""
    reports.put((os.getpid(), "tensorflow" in sys.modules))
    reports.close()
    reports.join_thread()


def until_stopped(folder, reports, stop, parent_pid) -> None:
    """Waits for its Stop, as a training does between two steps."""
    reports.put("waiting")
    while not stop.is_set():
        time.sleep(0.02)
    reports.put("stopped")
    reports.close()
    reports.join_thread()


def deaf(folder, reports, stop, parent_pid) -> None:
    """Never looks at its Stop, as a run inside one long step: only ending its process ends it."""
    reports.put(os.getpid())
    time.sleep(3600)
