"""The server's memory over a scripted classroom session: does it stay bounded?

Starts `streamlit run app.py` on a loopback port and drives several headless Chromium sessions
for --minutes (default 10): in turn they train a small model for 15 s (so trainings queue and
end over and over), read texts on Gates, generate on Sample and classify reviews on Sentiment,
and now and then close their tab and open a new one. Every 10 s it prints the resident memory
(RSS) of the server process and, separately, of its training processes. Finished trainings must
give their memory back: the server's RSS should level off rather than grow with every run.

    python bench/bench_classroom_memory.py [--minutes 10] [--sessions 5]

Prints figures; asserts nothing. Needs /usr/bin/chromium (see the README).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from helpers import click_button, fill_text, open_page, set_slider  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TEXTS = ["To be, or not to be", "Friends, Romans, countrymen", "Out, damned spot!", "Is this a dagger"]
REVIEWS = ["A wonderful, moving film.", "Dull and far too long.", "Not bad at all.", "I hated every minute."]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, data_dir: str) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", LSTM_LAB_DATA_DIR=data_dir)
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start within 60 s")


def memory_mb(proc: psutil.Process) -> tuple[float, float, int]:
    """(server RSS, its child processes' RSS in MB, how many: the trainings and multiprocessing's resource tracker)."""
    server = proc.memory_info().rss / 2**20
    children = proc.children(recursive=True)
    trainers = 0.0
    for child in children:
        try:
            trainers += child.memory_info().rss / 2**20
        except psutil.Error:
            pass
    return server, trainers, len(children)


class Student:
    """One browser tab doing the next thing on its list each time it is asked."""

    def __init__(self, browser, base: str, index: int):
        self.browser, self.base, self.index, self.turn = browser, base, index, 0
        self.context = self.page = None
        self.new_tab()

    def new_tab(self) -> None:
        if self.context is not None:
            self.context.close()
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 800})
        self.page = self.context.new_page()
        open_page(self.page, self.base, "/")

    def act(self) -> str:
        self.turn += 1
        step = (self.turn + self.index) % 6
        page = self.page
        if step == 0:
            open_page(page, self.base, "/train")
            set_slider(page, "Units per layer", "32")
            set_slider(page, "Training time", 0)  # 15 s
            if page.get_by_role("button", name="Start", exact=True).is_enabled():
                click_button(page, "Start")
                return "train"
            return "train (busy)"
        if step in (1, 2):
            open_page(page, self.base, "/gates")
            fill_text(page, "Text to read", TEXTS[self.turn % len(TEXTS)])
            return "gates"
        if step == 3:
            open_page(page, self.base, "/sample")
            click_button(page, "Generate")
            return "sample"
        if step == 4:
            open_page(page, self.base, "/sentiment")
            fill_text(page, "Review", REVIEWS[self.turn % len(REVIEWS)])
            return "sentiment"
        self.new_tab()  # a student closes the tab and opens the app again
        return "new tab"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sessions", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(port, data_dir)
        base = f"http://127.0.0.1:{port}"
        proc = psutil.Process(server.pid)
        samples = []
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                students = [Student(browser, base, i) for i in range(args.sessions)]
                started = next_print = time.monotonic()
                end = started + args.minutes * 60
                actions = 0
                print(f"{'time':>6} {'server MB':>10} {'training MB':>12} {'children':>9} {'actions':>8}")
                while time.monotonic() < end:
                    for student in students:
                        try:
                            student.act()
                            actions += 1
                        except Exception as exc:  # a slow page is a figure, not the end of the benchmark
                            print(f"  session {student.index}: {type(exc).__name__}: {str(exc)[:120]}")
                            student.new_tab()
                        now = time.monotonic()
                        if now >= next_print:
                            server_mb, train_mb, n = memory_mb(proc)
                            samples.append((now - started, server_mb, train_mb))
                            print(f"{now - started:6.0f} {server_mb:10.0f} {train_mb:12.0f} {n:9d} {actions:8d}",
                                  flush=True)
                            next_print = now + 10
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    if samples:
        first_half = [s for t, s, _ in samples if t < args.minutes * 30]
        second_half = [s for t, s, _ in samples if t >= args.minutes * 30]
        print(f"server RSS: start {samples[0][1]:.0f} MB, peak {max(s for _, s, _ in samples):.0f} MB, "
              f"end {samples[-1][1]:.0f} MB; mean first half {sum(first_half) / max(1, len(first_half)):.0f} MB, "
              f"second half {sum(second_half) / max(1, len(second_half)):.0f} MB")
        print(f"training processes: peak {max(t for _, _, t in samples):.0f} MB (they exit when their run ends)")


if __name__ == "__main__":
    main()
