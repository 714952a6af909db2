"""A tab's models come back after a server restart (a new session for the same address), and the
page says what could not come back."""

import shutil

from streamlit.testing.v1 import AppTest

from ui import workspace


def new_session(ws=None, page="pages/sample.py"):
    at = AppTest.from_file("../app.py", default_timeout=60)
    if ws is not None:
        at.query_params["ws"] = ws
    at.run()
    at.first_infos = infos(at)  # what the first page drawn said
    at.switch_page(page)
    at.run()
    assert not at.exception
    return at


def infos(at):
    return [i.value for i in at.info]


def test_a_new_tab_gets_a_workspace_in_its_address():
    at = new_session()
    ws = at.session_state["workspace_id"]
    assert len(ws) == 32 and at.query_params["ws"] == ws
    assert (workspace.root() / ws).is_dir()
    assert not any("reconnected" in i for i in at.first_infos + infos(at))


def test_after_a_restart_the_saved_models_and_the_choice_come_back(tiny_model_dir):
    first = new_session()
    ws = first.session_state["workspace_id"]
    folder = workspace.root() / ws
    # What the first session left on disk: a model it trained, the active choice, and a training
    # that was still running when the server went down.
    shutil.copytree(tiny_model_dir, folder / "run-20260101-000000-abcdef")
    (folder / "state.json").write_text('{"active_model": "run-20260101-000000-abcdef", "training": "run-x"}')

    second = new_session(ws)  # the server restarted; the tab reconnects with its address
    assert second.session_state["workspace_id"] == ws
    registry = second.session_state["models"]
    assert set(registry) == {"pretrained", "run-20260101-000000-abcdef"}
    assert registry["run-20260101-000000-abcdef"].source == "Trained here"
    assert second.session_state["active_model"] == "run-20260101-000000-abcdef"
    notice = [i for i in second.first_infos if "reconnected" in i]
    assert notice and "1 saved model is back" in notice[0] and "training was running" in notice[0]
    assert not any("reconnected" in i for i in infos(second))  # said once
    assert not second.exception


def test_a_forged_or_unknown_workspace_id_gets_a_fresh_one():
    for forged in ("../../etc", "0" * 31 + "g", "f" * 32):  # the last is well formed but does not exist
        at = new_session(forged)
        ws = at.session_state["workspace_id"]
        assert ws != forged and len(ws) == 32
        assert set(at.session_state["models"]) == {"pretrained"}
