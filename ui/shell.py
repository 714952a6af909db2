"""The app's shell: navigation, workspace and sidebar around every page.

app.py draws it and runs the page inside. Streamlit 1.67 still knows its older multipage mode:
while no script of the process has called st.navigation, a folder named `pages/` beside app.py
makes it run the file of the address (`/train` → pages/train.py) without app.py. That happens on
the first run of a fresh server when its first visitor opens a page's address: the page then
switches that mode off and runs again through app.py (require_app, ui.pages_folder), before anyone
could click.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import preload  # first: its thread starts importing before any page needs the libraries
from lstm_core.i18n import _

from ui import i18n, lesson_return, pages_folder, sidebar, streamlit_words, view_link, workspace
from ui.classroom import student
from ui.classroom.teacher import KEY_OK
from ui.page_list import CLASS_PAGE, PAGES
from ui.train import session as training_session

ICON = Path(__file__).resolve().parents[1] / "assets" / "icon.png"


def frame():
    """Navigation, workspace and sidebar; returns the page the address asks for, and what to do once it
    has run (app.py calls it even when the page stops early)."""
    # The icon is a file of ours: a Material icon would make every tab fetch it from the internet.
    st.set_page_config(page_title="LSTM Lab", page_icon=str(ICON), layout="wide")
    workspace.folder()  # the tab's address carries its workspace id, for a server restart
    i18n.choose()  # before any text: the page titles below are the first
    streamlit_words.follow()
    shown = [*PAGES, CLASS_PAGE] if st.session_state.get(KEY_OK) else PAGES
    pages = [st.Page(path, title=_(title), icon=icon, default=i == 0) for i, (path, title, icon) in enumerate(shown)]
    page = st.navigation(pages)
    name = shown[pages.index(page)][0].removeprefix("pages/").removesuffix(".py")
    if name != "home":
        preload.ready()  # Home needs none of them: a new server's first page does not wait
    view_link.adopt(name)  # a link's view, before the page sets its defaults
    training_session.attach()  # a reload or a second tab of this workspace shows its trainings live
    link_slot = sidebar.render(name)
    workspace.restart_notice(name)
    lesson_return.offer(name)

    def after() -> None:
        view_link.publish(name)
        student.report(name)
        if link_slot is not None:
            sidebar.link_to_view(link_slot, name)

    return page, after


def require_app() -> None:
    """First line of every page: if the older multipage mode ran this page alone, run again through
    app.py. (A page a test runs as its own main script has no `pages/` beside it: left alone.)"""
    if pages_folder.ran_alone_then_off():
        st.rerun()
