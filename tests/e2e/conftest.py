"""End-to-end fixtures: one Streamlit server and one headless Chromium for the whole session.

Fixtures
- ``app_url`` (session): base URL of ``streamlit run app.py`` on a free loopback port, e.g.
  ``http://127.0.0.1:40123`` (no trailing slash). Server output: tests/artifacts/streamlit-server.log.
- ``browser`` (session): a Playwright (sync API) Chromium browser, Debian's /usr/bin/chromium.
- ``page`` (function): a fresh browser context and page, viewport 1280x800 (the projector size).
  When a test fails, a screenshot of its page is saved as tests/artifacts/screenshots/FAILED-<test>.png.

Every test in this folder gets the ``e2e`` marker, so ``pytest -m "not e2e"`` leaves them out.
Without /usr/bin/chromium (or the playwright package) they are skipped with the reason, unless
LSTM_LAB_REQUIRE_BROWSER=1 (CI), where they fail instead.

LSTM_LAB_E2E_APP_DIR may point at another copy of the app to serve (default: the repository).
The server trains one model at a time (LSTM_LAB_MAX_TRAININGS=1); later trainings queue.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
SERVER_LOG = ARTIFACTS / "streamlit-server.log"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
SERVER_START_TIMEOUT_S = 60.0


def _browser_required() -> bool:
    return os.environ.get("LSTM_LAB_REQUIRE_BROWSER", "").strip() not in ("", "0", "false", "no")


def _browser_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing (install it: `apt-get install chromium`, or `make browser` as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the playwright package is not installed ({exc}; `pip install -r requirements-dev.txt`)"
    return None


def _skip_or_fail(reason: str) -> None:
    if _browser_required():
        pytest.fail(f"LSTM_LAB_REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end browser test (Streamlit server + headless Chromium)")
    reason = _browser_missing_reason()
    if reason and _browser_required() and "playwright" in reason:
        # The test modules import playwright: without it they could not even be collected.
        raise pytest.UsageError(f"LSTM_LAB_REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}")


def _in_this_folder(item) -> bool:
    try:
        return Path(str(item.path)).resolve().is_relative_to(E2E_DIR)
    except (AttributeError, OSError):
        return False


def pytest_collection_modifyitems(config, items):
    reason = _browser_missing_reason()
    for item in items:
        if not _in_this_folder(item):
            continue
        item.add_marker(pytest.mark.e2e)
        if reason and not _browser_required():
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed and _in_this_folder(item):
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None:
            try:
                from helpers import screenshot

                path = screenshot(page, "FAILED-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name))
                report.sections.append(("e2e screenshot", str(path)))
            except Exception:  # the screenshot is a courtesy; never hide the real failure
                pass
    return report


# -- the Streamlit server -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(lines: int = 40, path: Path = SERVER_LOG) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.splitlines()[-lines:]) or "(server log is empty)"


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _die_with_parent() -> None:
    """In the server's process, before exec: get SIGTERM when pytest dies, even by SIGKILL (Linux),
    so a killed test run leaves no orphaned server behind."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the server is its own process-group leader
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


@contextmanager
def streamlit_server(extra_env: dict | None = None, log_path: Path = SERVER_LOG):
    """Run ``streamlit run app.py`` on a free loopback port (with `extra_env` added to its
    environment) until the block ends; yield its base URL."""
    app_dir = Path(os.environ.get("LSTM_LAB_E2E_APP_DIR") or REPO_ROOT).resolve()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        # Others edit the sources while tests run: no file watcher (no CPU, no "source changed" banner).
        "--server.fileWatcherType", "none",
    ]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("KERAS_BACKEND", "tensorflow")
    # One training at a time, as on CI's two cores, so the classroom test sees the queue anywhere.
    env["LSTM_LAB_MAX_TRAININGS"] = "1"
    env.update(extra_env or {})
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        log.write(f"$ (cd {app_dir} && {' '.join(cmd)})\n".encode())
        log.flush()
        proc = subprocess.Popen(cmd, cwd=app_dir, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    try:
        started = time.monotonic()
        while not _healthy(f"{base}/_stcore/health"):
            if proc.poll() is not None:
                pytest.fail(f"Streamlit exited with code {proc.returncode} before it was healthy.\n"
                            f"Server log ({log_path}), last lines:\n{_log_tail(path=log_path)}", pytrace=False)
            if time.monotonic() - started > SERVER_START_TIMEOUT_S:
                pytest.fail(f"Streamlit did not answer {base}/_stcore/health within "
                            f"{SERVER_START_TIMEOUT_S:.0f} s.\n"
                            f"Server log ({log_path}), last lines:\n{_log_tail(path=log_path)}", pytrace=False)
            time.sleep(0.25)
        yield base
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def app_url():
    """One server for the session's browser tests; yield its base URL."""
    reason = _browser_missing_reason()
    if reason:  # do not pay for a server no browser will visit
        _skip_or_fail(reason)
    # This one keeps its spare training process, as deployed; the tests' own servers do without (tests/
    # conftest.py), each of which would import TensorFlow once more for a run it never starts.
    with streamlit_server({"LSTM_LAB_SPARE_PROCESS": "yes"}) as base:
        yield base


# -- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    reason = _browser_missing_reason()
    if reason:
        _skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="en-GB")
    context.set_default_timeout(30_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()
