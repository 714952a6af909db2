"""bench/wire_client.py against the real server: the class-load bench's thirty sessions speak the
browser's protocol through it, so it must find the pages and widgets a browser finds, and its
changes must reach the app as a browser's do."""

import sys

import pytest

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))

from wire_client import WireError, WireSession  # noqa: E402

pytestmark = pytest.mark.e2e


def test_a_wire_session_browses_and_changes_widgets(app_url):
    session = WireSession(app_url, timeout=60)
    try:
        session.open()
        assert "ws=" in session.query, "the app gives the tab its workspace in the address"
        assert {"Gates", "Sample", "Sentiment"} <= set(session.pages)

        session.go("Sentiment")
        session.set("Review", "A wonderful film, said qzzzx")
        assert "qzzzx" in session.run.text() and not session.run.exceptions()

        session.go("Gates")
        session.set("Unit (…", 3)
        assert "unit 3 · tanh(c)" in session.run.text(), "the coloured text shows the unit asked for"
        with pytest.raises(WireError):
            session.set("No such widget", 1)
    finally:
        session.close()


def test_two_wire_sessions_are_two_sessions(app_url):
    """Each socket is its own session with its own workspace, as two browser tabs are."""
    first, second = WireSession(app_url), WireSession(app_url)
    try:
        first.open()
        second.open()
        assert first.query != second.query
    finally:
        first.close()
        second.close()


def test_a_wire_session_follows_the_views_a_teacher_shows(tmp_path):
    """A student's tab in a class: its check (a fragment every 2 s) switches it to each view shown,
    a run the wire client reads as the page's; the view's settings then stay for its next click, as
    in a browser (the session's earlier value of the widget is not sent again)."""
    from conftest import ARTIFACTS, streamlit_server
    from lstm_core.storage import classroom

    classes = classroom.root(tmp_path)
    code = classroom.start(classes)
    with streamlit_server({"LSTM_LAB_DATA_DIR": str(tmp_path)}, ARTIFACTS / "wire-follow-server.log") as base:
        session = WireSession(base, timeout=60)
        try:
            session.open()
            session.set("Class code", code)
            session.click("Join")
            assert session.widget("Follow the teacher")[1].value
            session.go("Gates")
            session.set("Unit (…", 7)
            assert [run.whole_page for run in session.wait(2.5)] == [False], "a check that found nothing new"

            classroom.show(classes, code, "gates", {"unit": "42"})
            runs = session.wait(2.5)
            assert [(run.whole_page, run.page_changed) for run in runs] == [(True, False)]
            assert "unit=42" in session.query.split("&") and not session.run.exceptions()
            session.set("Text to read", "To be, qzzzx")
            assert "unit=42" in session.query.split("&"), "the shown unit stays, not the one set before"

            classroom.show(classes, code, "sample", {"t": "1.5"})
            runs = session.wait(2.5)
            assert [(run.whole_page, run.page_changed) for run in runs] == [(True, True)]
            assert session.page_hash == session.pages["Sample"] and "t=1.5" in session.query.split("&")
            assert session.widget("Temperature") and not session.run.exceptions()
        finally:
            session.close()
