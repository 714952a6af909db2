"""One Settings for every LSTM_LAB_* variable: read once, every wrong value named at once, the app
refusing to start with a clear message, and the README's table listing them all."""

import re
from pathlib import Path

import pytest
from helpers_apptest import app_test

from lstm_core import settings
from lstm_core.settings import VARIABLES, SettingsError, read

ROOT = Path(__file__).resolve().parents[1]


def test_nothing_set_gives_the_defaults():
    s = read({"XDG_CACHE_HOME": "/cache"})
    assert s.data_dir == Path("/cache/lstm-lab")
    assert (s.max_trainings, s.train_memory_mb, s.teacher_key, s.ray_address) == (None, None, None, None)
    assert (s.ray_cpus, s.ray_gpus, s.cpu_bfloat16, s.spare_process) == (1, 0, None, True)
    assert s.poetry_dir == ROOT / "data" / "chinese-poetry"


def test_every_variable_is_read():
    s = read({"LSTM_LAB_DATA_DIR": "/srv/lab", "LSTM_LAB_MAX_TRAININGS": "3", "LSTM_LAB_TRAIN_MEMORY_MB": " 2048 ",
              "LSTM_LAB_TEACHER_KEY": "owl", "LSTM_LAB_RAY_ADDRESS": "head:6379", "LSTM_LAB_RAY_CPUS": "2",
              "LSTM_LAB_RAY_GPUS": "1", "LSTM_LAB_POETRY_DIR": "/poems", "LSTM_LAB_CPU_BFLOAT16": "No",
              "LSTM_LAB_SPARE_PROCESS": "no"})
    assert s == settings.Settings(Path("/srv/lab"), 3, 2048, "owl", "head:6379", 2, 1, Path("/poems"), False, False)


def test_every_wrong_value_is_named_in_one_message():
    with pytest.raises(SettingsError) as caught:
        read({"LSTM_LAB_MAX_TRAININGS": "0", "LSTM_LAB_TRAIN_MEMORY_MB": "lots", "LSTM_LAB_CPU_BFLOAT16": "maybe",
              "LSTM_LAB_RAY_GPUS": "-1"})
    message = str(caught.value)
    for name in ("LSTM_LAB_MAX_TRAININGS must be at least 1", "LSTM_LAB_TRAIN_MEMORY_MB must be a whole number",
                 "LSTM_LAB_CPU_BFLOAT16 must be “yes” or “no”", "LSTM_LAB_RAY_GPUS must be at least 0"):
        assert name in message


def test_read_once_until_read_again(lab_env, monkeypatch):
    first = lab_env("LSTM_LAB_TEACHER_KEY", "owl")
    monkeypatch.setenv("LSTM_LAB_TEACHER_KEY", "changed")
    assert settings.current() is first and settings.current().teacher_key == "owl"
    assert settings.reread().teacher_key == "changed"


def test_a_server_with_a_wrong_value_says_so_instead_of_starting(monkeypatch):
    monkeypatch.setenv("LSTM_LAB_MAX_TRAININGS", "many")
    with pytest.raises(SettingsError):
        settings.reread()  # as a server starting with this environment
    at = app_test().run()
    assert not at.exception
    [error] = at.error
    assert "LSTM Lab cannot start" in error.value and "LSTM_LAB_MAX_TRAININGS must be a whole number" in error.value
    assert not at.sidebar.radio  # nothing else was drawn


def test_the_readme_lists_every_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `(LSTM_LAB_[A-Z0-9_]+)` \|", readme, re.M))
    assert table == set(VARIABLES)
    assert set(VARIABLES) == {f"LSTM_LAB_{field.upper()}" for field in settings.Settings.__dataclass_fields__}
