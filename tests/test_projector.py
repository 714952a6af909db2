"""The projector switch enlarges what a class reads, and is remembered with the workspace."""

from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test


def styles(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html") if h.proto.body.startswith("<style>")]


def test_the_projector_switch_enlarges_text_and_is_remembered():
    at = app_test()
    at.run()
    assert not styles(at)
    at.sidebar.toggle(key="projector").set_value(True).run()
    [style] = styles(at)
    assert ".gates-text" in style and "pre.sample-output" in style
    ws = at.session_state["workspace_id"]
    again = app_test()  # the tab reconnects
    again.query_params["ws"] = ws
    again.run()
    assert again.sidebar.toggle(key="projector").value is True and styles(again)
