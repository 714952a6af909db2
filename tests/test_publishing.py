"""A teacher publishes a model to the class with the server's teacher key; a wrong key or none cannot."""

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test
from lstm_core.storage import published


@pytest.fixture
def server(lab_env, tmp_path):
    """A server's data folder of its own, and the teacher key it was given."""
    lab_env("LSTM_LAB_DATA_DIR", str(tmp_path / "data"))
    lab_env("LSTM_LAB_TEACHER_KEY", "owl-2026")
    return tmp_path / "data" / "published"


def session() -> AppTest:
    at = app_test()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def with_own_model(at: AppTest, tiny_model_dir, tmp_path) -> str:
    from lstm_core.storage.persistence import load_model_folder
    from ui.models import ModelEntry

    folder = tmp_path / "mine"
    shutil.copytree(tiny_model_dir, folder)
    at.session_state["models"]["run-mine"] = ModelEntry("run-mine", "Trained here", load_model_folder(folder))
    at.session_state["active_model"] = "run-mine"
    at.run()
    return "run-mine"


def test_without_a_key_on_the_server_nobody_can_publish(lab_env, tmp_path):
    lab_env("LSTM_LAB_DATA_DIR", str(tmp_path / "data"))
    lab_env("LSTM_LAB_TEACHER_KEY", None)
    at = session()
    assert not [e for e in at.sidebar.expander if "Share with the class" in e.label]
    assert not [b for b in at.sidebar.button if b.key == "publish_active"]


def test_a_wrong_key_changes_nothing_and_says_so(server, tiny_model_dir, tmp_path):
    at = session()
    with_own_model(at, tiny_model_dir, tmp_path)
    at.sidebar.text_input(key="teacher_key").set_value("guess").run()
    at.sidebar.button(key="publish_active").click().run()
    assert any("That is not the teacher key" in e.value for e in at.sidebar.error)
    assert published.listing(server) == []


def test_the_right_key_lists_the_model_in_every_session_until_it_is_withdrawn(server, tiny_model_dir, tmp_path):
    teacher = session()
    with_own_model(teacher, tiny_model_dir, tmp_path)
    teacher.sidebar.text_input(key="teacher_key").set_value("owl-2026").run()
    teacher.sidebar.button(key="publish_active").click().run()
    assert any("is now listed in every session" in s.value for s in teacher.sidebar.success)
    [(pid, _folder, info)] = published.listing(server)
    student = session()  # another browser: lists it, shared by the teacher
    key = "published:" + pid
    assert key in student.session_state["models"]
    assert student.session_state["models"][key].label.startswith("From the teacher: ")
    assert not [b for b in student.sidebar.button if b.key == "publish_active"]  # a pretrained model is active
    teacher.sidebar.button(key=f"withdraw_{pid}").click().run()
    assert published.listing(server) == []
    student.run()  # an open session drops it at its next rerun
    assert key not in student.session_state["models"]
