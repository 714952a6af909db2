"""Trainings belong to a workspace, not to one browser session.

A reload, or a second tab on the same address, is a new Streamlit session of the same workspace
(the `?ws=` id). It finds the workspace's training here, still running, and shows it live; Stop
works from any of them. A training stops only when no session of its workspace has been open for
a minute: its job asks `alive_check(ws)`, which looks at every session that opened the workspace.

This is the server process's memory: a server restart loses it (the workspace folder keeps the
saved models and checkpoints, and ui.workspace.restart_notice says what was lost).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

SWEEP_EVERY_S = 30.0
_lock = threading.Lock()
_next_sweep = 0.0
_jobs: dict[tuple[str, str], tuple] = {}  # (workspace id, kind) -> the page's record of its job
_sessions: dict[str, set[str]] = {}  # workspace id -> ids of the sessions that opened it


def enter(ws: str, session_id: str, is_open: Callable[[str], bool]) -> None:
    """A session has opened workspace `ws` (called on each of its runs; cheap). Now and then the
    records of workspaces with no open session and no running training are dropped: their jobs
    hold weight snapshots, and the saved models are in the workspace folder anyway."""
    global _next_sweep
    with _lock:
        _sessions.setdefault(ws, set()).add(session_id)
        if time.monotonic() < _next_sweep:
            return
        _next_sweep = time.monotonic() + SWEEP_EVERY_S
        for key in list(_sessions):
            _sessions[key] = {s for s in _sessions[key] if is_open(s)}
            if not _sessions[key]:
                del _sessions[key]
        for key, record in list(_jobs.items()):
            if key[0] not in _sessions and not record[0].is_alive:
                del _jobs[key]


def alive_check(ws: str) -> Callable[[], bool] | None:
    """A function telling whether any session of workspace `ws` is still open (None outside a server)."""
    try:
        from streamlit.runtime import Runtime
    except ImportError:
        return None
    if not Runtime.exists():
        return None
    runtime = Runtime.instance()

    def alive() -> bool:
        with _lock:
            sessions = set(_sessions.get(ws, ()))
        return any(runtime.is_active_session(s) for s in sessions)  # enter()'s sweep forgets closed ones

    return alive


def keep(ws: str, kind: str, record: tuple) -> None:
    """The workspace's current `kind` of training ("char" or "sentiment"): its job and page record."""
    with _lock:
        _jobs[(ws, kind)] = record


def find(ws: str, kind: str) -> tuple | None:
    with _lock:
        return _jobs.get((ws, kind))
