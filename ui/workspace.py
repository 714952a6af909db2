"""A tab's saved models outlive a server restart.

Each browser tab gets a workspace: a folder on the server named by a random id that the page
keeps in its address (`?ws=...`). Models trained or uploaded are saved there, with the active
choices in `state.json`. When the server restarts, the tab reconnects with the same address: its
new session finds the folder, and the model lists (ui.models, the Sentiment page) put its models
back. What lived only in memory (a training in progress, a run's snapshots and samples) is gone,
and `restart_notice` says so.

The id is 128 random bits: knowing it is what gives access, as with a private link. Workspaces
untouched for KEEP_DAYS are removed when the server starts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import streamlit as st

from lstm_core import settings
from lstm_core.i18n import _, ngettext
from lstm_core.sentiment.opened import SETTINGS_FILE as OPENED_SETTINGS

KEEP_DAYS = 7
STATE_FILE = "state.json"
_ID = re.compile(r"^[0-9a-f]{32}$")
Model = TypeVar("Model")


def root() -> Path:
    return settings.current().data_dir / "workspaces"


@st.cache_resource(show_spinner=False)
def _swept() -> bool:
    """Once per server: remove workspaces nobody has opened for KEEP_DAYS."""
    cutoff = time.time() - KEEP_DAYS * 86400
    try:
        for folder in root().iterdir():
            if _ID.match(folder.name) and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
    except OSError:
        pass
    return True


def folder() -> Path:
    """This tab's workspace folder; keeps its id in the page's address. Call on every run."""
    _swept()
    ws = st.session_state.get("workspace_id")
    if ws is None:
        asked = st.query_params.get("ws", "")
        if _ID.match(asked) and (root() / asked).is_dir():
            ws = asked
            st.session_state.workspace_restored = True  # a new session for a tab that had one
            os.utime(root() / ws)  # opened again: not to be swept
        else:
            ws = uuid.uuid4().hex
        st.session_state.workspace_id = ws
    if st.query_params.get("ws") != ws:
        st.query_params["ws"] = ws
    path = root() / ws
    if not st.session_state.get("workspace_made"):
        path.mkdir(parents=True, exist_ok=True)
        st.session_state.workspace_made = True
    return path


def restored() -> bool:
    """This session took over a workspace from before a server restart (or a reload)."""
    return bool(st.session_state.get("workspace_restored"))


def recall(key: str, default=None):
    try:
        return json.loads((folder() / STATE_FILE).read_text(encoding="utf-8")).get(key, default)
    except (OSError, ValueError, AttributeError):
        return default


def remember(key: str, value) -> None:
    """Store a small choice (a model key, a run id) in the workspace; None forgets it."""
    # Pages call this on every run: the file is touched only when the value changes.
    written = st.session_state.setdefault("workspace_written", {})
    if key in written and written[key] == value:
        return
    written[key] = value
    path = folder() / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        state = state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        state = {}
    if state.get(key) == value:
        return
    if value is None:
        state.pop(key, None)
    else:
        state[key] = value
    tmp = path.with_suffix(".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)  # made at the session's start; gone if deleted by hand since
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(path)


def load_saved(trained: str, uploaded: str, load: Callable[[Path], Model],
               error: type[Exception]) -> list[tuple[str, bool, Model]]:
    """The models of one kind this tab saved before a restart (none in a new tab), as
    (key, trained here?, model). `trained` and `uploaded` are glob patterns in the workspace;
    a folder that cannot be read (a run that never finished saving) is skipped."""
    found = []
    ws = folder()
    for pattern, was_trained in ((trained, True), (uploaded, False)):
        for path in sorted(ws.glob(pattern)):
            try:
                model = load(path)
            except error:
                continue
            found.append((path.name if was_trained else f"upload:{path.name}", was_trained, model))
    return found


def saved_models() -> list[Path]:
    """The model folders in the workspace: trained or uploaded, character or sentiment models, and the
    sentiment classifiers opened from a .keras file (kept as they came, with no meta.json)."""
    ws = folder()
    return sorted(p.parent for p in (*ws.glob("*/meta.json"), *ws.glob("*/*/meta.json"),
                                     *ws.glob(f"*/*/{OPENED_SETTINGS}")))


def restart_notice(page: str) -> None:
    """Once, in a session that took over a workspace: what came back and what could not (on Train, the
    running training shows itself)."""
    if not restored() or st.session_state.get("workspace_notice_shown"):
        return
    st.session_state.workspace_notice_shown = True
    models_back = len(saved_models())
    parts = []
    if models_back:
        parts.append(ngettext("Your {n} saved model is back in the lists.", "Your {n} saved models are back in the lists.",
                              models_back).format(n=models_back))
    training = recall("training")
    job = st.session_state.get("train_job")  # taken up from the workspace by ui.train.session.attach
    if training and job is not None and job.run_id == training:
        if job.is_alive and page != "train":
            parts.append(_("Your training is still running: it is shown live on the **Train** page."))
    elif training:
        parts.append(_("A training was running when the connection was lost. It has stopped: a run is saved every "
                       "minute and when it ends; what it learnt since its last save is gone."))
        remember("training", None)
    if parts:
        st.info(" ".join([_("**This page reconnected (after a reload or a server restart).**"), *parts]),
                icon=":material/restore:")
