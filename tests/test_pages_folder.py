"""The Streamlit internals ui.pages_folder relies on to keep the older `pages/` folder mode off.

Streamlit 1.67 has no supported way to keep a `pages/` folder beside st.navigation (see
ui.pages_folder). If one of these fails after a Streamlit upgrade, the app may run a page's file
without app.py for a fresh server's first visitor, and AppTest may run pages without the shell:
look for a supported way first, else follow the flag to where Streamlit now keeps it.
"""

import inspect
from pathlib import Path

from streamlit.commands import navigation
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import app_test

from ui import pages_folder

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MOVED = ("Streamlit changed what ui.pages_folder relies on ({what}); its older `pages/` folder mode may "
         "now run LSTM Lab's pages without app.py. See ui/pages_folder.py.")


def test_a_pages_folder_beside_the_main_script_turns_the_older_mode_on():
    assert "uses_pages_directory" in vars(PagesManager), MOVED.format(what="PagesManager.uses_pages_directory")
    streamlits_own_init = PagesManager.__init__.__wrapped__  # conftest's keep_off_in_apptest wraps it
    saved = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = None
        streamlits_own_init(PagesManager.__new__(PagesManager), APP, None, setup_watcher=False)
        assert PagesManager.uses_pages_directory is True, MOVED.format(
            what="PagesManager() no longer sets uses_pages_directory from the pages/ folder")
    finally:
        PagesManager.uses_pages_directory = saved


def test_the_flag_is_what_runs_a_page_alone_what_navigation_and_apptest_set():
    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner.ScriptRunner), MOVED.format(
        what="the script runner no longer reads PagesManager.uses_pages_directory")
    assert "PagesManager.uses_pages_directory = False" in inspect.getsource(navigation.navigation), MOVED.format(
        what="st.navigation no longer sets PagesManager.uses_pages_directory to False")
    assert "PagesManager.uses_pages_directory = None" in inspect.getsource(app_test.AppTest), MOVED.format(
        what="AppTest no longer resets PagesManager.uses_pages_directory before a run")


def test_the_older_mode_is_switched_off_once():
    saved = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = True
        assert pages_folder.ran_alone_then_off()
        assert PagesManager.uses_pages_directory is False
        assert not pages_folder.ran_alone_then_off()
    finally:
        PagesManager.uses_pages_directory = saved


def test_under_apptest_the_older_mode_stays_off():
    saved = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = None
        PagesManager(APP, None, setup_watcher=False)  # as AppTest makes it, after conftest's patch
        assert PagesManager.uses_pages_directory is False
    finally:
        PagesManager.uses_pages_directory = saved
