"""The server as the repository configures it for a class (.streamlit/config.toml, read by Streamlit)."""

import os
from pathlib import Path

import pytest
from streamlit import config
from streamlit.watcher.path_watcher import NoOpPathWatcher, get_default_path_watcher_class

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo_config():
    before = os.getcwd()
    os.chdir(ROOT)  # Streamlit reads ./.streamlit/config.toml from the working folder
    try:
        config.get_config_options(force_reparse=True)
        yield config
    finally:
        os.chdir(before)
        config.get_config_options(force_reparse=True)


def test_the_app_files_are_not_watched(repo_config):
    # Polling them made ten idle sessions keep a core busy.
    assert get_default_path_watcher_class() is NoOpPathWatcher


def test_no_forced_garbage_collection_after_each_run(repo_config):
    assert repo_config.get_option("runner.postScriptGC") is False


def test_no_usage_statistics_leave_the_classroom(repo_config):
    assert repo_config.get_option("browser.gatherUsageStats") is False
