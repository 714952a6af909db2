"""The first seconds a person waits: a server started, Home's content on screen; then Train opened in a fresh
tab, its Start button enabled; then Start pressed, the first reported step on screen.

Each run starts `streamlit run app.py` afresh (its own empty data folder, as a new server), opens Home in
headless Chromium as soon as the server answers its health check, and times from the server's start to
Home's title and its page links being visible. A second tab of that browser (a new session) then opens /train and is timed
until *Start* can be pressed; pressing it is timed until the page shows a step of the run.
Printed: best and median of the runs for each wait, with the machine line. The goals (issue #29): Home
≤ 2.5 s, Train's Start ≤ 1.0 s, Start → the first step ≤ 2.0 s; printed, never asserted.

    python bench/bench_first_seconds.py [--runs 5] [--no-training]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from bench.machine import cpu  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, _die_with_parent, _free_port, _healthy, _stop  # noqa: E402

SERVER_LOG = ROOT / "tests" / "artifacts" / "first-seconds-server.log"
START_TIMEOUT_S = 60.0


def _start(data_dir: str, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    env = dict(os.environ, PYTHONUNBUFFERED="1", LSTM_LAB_DATA_DIR=data_dir)
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(SERVER_LOG, "ab") as log:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)


def one_run(browser, training: bool) -> dict[str, float]:
    times = {}
    with tempfile.TemporaryDirectory(prefix="lstm-lab-first-") as data_dir:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        proc = _start(data_dir, port)
        try:
            while not _healthy(f"{base}/_stcore/health"):
                if proc.poll() is not None or time.monotonic() - started > START_TIMEOUT_S:
                    raise RuntimeError(f"the server did not start; see {SERVER_LOG}")
                time.sleep(0.05)
            times["server healthy"] = time.monotonic() - started
            context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
            page = context.new_page()
            page.goto(f"{base}/?lang=en")
            times["start → page loaded"] = time.monotonic() - started
            page.get_by_role("heading", name="LSTM Lab", level=1).wait_for(timeout=60_000)
            page.locator('[data-testid="stPageLink"]').first.wait_for(timeout=60_000)
            times["start → Home visible"] = time.monotonic() - started

            fresh = context.new_page()  # a second tab of the same browser: a new session, the app's files cached
            opened = time.monotonic()
            fresh.goto(f"{base}/train?lang=en")
            start = fresh.get_by_role("button", name="Start", exact=True)
            start.wait_for(timeout=60_000)
            while not start.is_enabled():
                time.sleep(0.02)
            times["Train opened → Start enabled"] = time.monotonic() - opened
            if training:
                pressed = time.monotonic()
                start.click()
                step = fresh.locator('[data-testid="stMetric"]').filter(has_text="Step").locator(
                    '[data-testid="stMetricValue"]')
                until = time.monotonic() + 120
                while not (step.count() and step.first.inner_text().strip() not in ("", "0")):
                    if time.monotonic() > until:
                        raise RuntimeError("no step was reported within 120 s")
                    time.sleep(0.05)
                times["Start → first step"] = time.monotonic() - pressed
            context.close()
        finally:
            _stop(proc)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-training", action="store_true", help="time Home and Train only")
    args = parser.parse_args()
    print(f"Machine: {cpu()}; {os.cpu_count()} cores")
    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        for k in range(args.runs):
            runs.append(one_run(browser, not args.no_training))
            print(f"run {k + 1}: " + ", ".join(f"{name} {s:.2f} s" for name, s in runs[-1].items()), flush=True)
        browser.close()
    print(f"\n{'wait':32s} {'best':>7s} {'median':>7s}")
    for name in runs[0]:
        values = [run[name] for run in runs]
        print(f"{name:32s} {min(values):6.2f}s {statistics.median(values):6.2f}s")


if __name__ == "__main__":
    main()
