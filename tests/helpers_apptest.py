"""What the AppTest tests share: a fresh tab of the app (or of a page alone), and reruns until the
page shows what a test waits for."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.testing.v1 import AppTest

from helpers_training import wait_for

ROOT = Path(__file__).resolve().parents[1]
# How long one run of the script may take (AppTest's default_timeout), the same for every test: a
# tab's first run reads a pretrained model or builds one with Keras, on a busy two-core machine. A
# page that works never takes that long; one that hangs fails no sooner than this.
RUN_TIMEOUT_S = 120


def app_test(script: str = "app.py") -> AppTest:
    """A new tab of `script`, a path from the repository's root (app.py, or a page run alone)."""
    at = AppTest.from_file(str(ROOT / script), default_timeout=RUN_TIMEOUT_S)
    # AppTest's first run looks for custom components in every installed package's metadata (half a
    # second here, once per AppTest: minutes over the suite). The installed packages do not change
    # while the tests run, so one search serves every tab.
    at._bidi_component_manager = _components()
    return at


@cache
def _components() -> BidiComponentManager:
    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


def rerun_until(at: AppTest, condition, what: str) -> None:
    """Run the page again (never with an exception) until condition() holds, as a tab refreshing
    itself does; say what the page showed if it never does."""

    def rerun():
        at.run()
        assert not at.exception, at.exception
        return condition()

    def shown() -> str:
        job = at.session_state["train_job"] if "train_job" in at.session_state else None  # the Train page's
        state = (job.view().status, job.view().steps, job.view().message) if job is not None else None
        return f"info={[e.value for e in at.info]} errors={[e.value for e in at.error]} job={state}"

    wait_for(rerun, what=what, interval=0.5, explain=shown)
