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
