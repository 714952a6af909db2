"""The app's shell: navigation, workspace and sidebar around every page.

app.py draws it and runs the page inside. Streamlit 1.67 still knows its older multipage mode:
while no script of the process has called st.navigation, a folder named `pages/` beside app.py
makes it run the file of the address (`/train` → pages/train.py) without app.py. That happens on
the first run of a fresh server, and on every run under AppTest, which resets the mode. A page
run that way draws the shell itself (require_app), so it looks and behaves the same.
"""

from __future__ import annotations

import threading
from pathlib import Path

# Plotly imports pandas on first use; two sessions drawing their first figure at the same moment
# could each see it half-imported (AttributeError). Imported here, once, before any session runs.
import pandas  # noqa: F401
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from . import sidebar, training_session, workspace

ICON = Path(__file__).resolve().parents[1] / "assets" / "icon.png"
PAGES = [
    ("pages/home.py", "Home", ":material/home:"),
    ("pages/train.py", "Train", ":material/model_training:"),
    ("pages/gates.py", "Gates", ":material/grid_on:"),
    ("pages/sample.py", "Sample", ":material/edit_note:"),
    ("pages/sentiment.py", "Sentiment", ":material/sentiment_satisfied:"),
    ("pages/anatomy.py", "Anatomy", ":material/biotech:"),
]

# Each session's script runs in its own thread, so a thread-local marks "the shell is drawn".
_run = threading.local()


def frame():
    """Navigation, workspace and sidebar; returns the page the address asks for."""
    # The icon is a file of ours: a Material icon would make every tab fetch it from the internet.
    st.set_page_config(page_title="LSTM Lab", page_icon=str(ICON), layout="wide")
    page = st.navigation([st.Page(path, title=title, icon=icon, default=i == 0)
                          for i, (path, title, icon) in enumerate(PAGES)])
    workspace.folder()  # the tab's address carries its workspace id, for a server restart
    training_session.attach()  # a reload or a second tab of this workspace shows its trainings live
    sidebar.render()
    workspace.restart_notice()
    _run.framed = True
    return page


def run_page(page) -> None:
    try:
        page.run()
    finally:
        _run.framed = False


def require_app() -> None:
    """First line of every page: draw the shell if the older multipage mode ran the page alone.
    (A page that a test runs as its own main script has no `pages/` beside it: left alone.)"""
    if PagesManager.uses_pages_directory and not getattr(_run, "framed", False):
        frame()
        _run.framed = False
