"""A whole class on one server: 30 browser sessions browse while three more train.

Starts `streamlit run app.py` on a free loopback port (two training slots, a fresh data folder)
and drives it through the real front end: headless Chromium, one browser context per student
session. Each session switches with the sidebar between Gates, Sample and Sentiment and changes
things there: Gates reads a text and shows another unit; Sample takes a prime, moves the
temperature and generates; Sentiment classifies a review. Meanwhile three other sessions press
Start on Train (8 units, 15 s): two train, the third waits in line.

Printed: per page, the time from an interaction to a settled page (p50 / p95 / max); the
resident memory of the server and its training processes (start, peak, end); the errors seen
(exception boxes, page errors, console errors, tracebacks in the server log); and isolation:
every session types its own made-up word on each page, and no other session's word may ever
show on its pages. Goals, printed and never asserted: p95 ≤ 2 s, no errors, no leaks.
tests/e2e/test_class_load_e2e.py runs a smaller class through `run` and asserts correctness.

    python bench/bench_class_load.py [--sessions 30] [--rounds 2] [--minutes 3.5]

--minutes bounds the run: no page visit starts after it (those left are reported as skipped).
Needs /usr/bin/chromium (see the README). The server's output: tests/artifacts/class-load-server.log.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

# The browser tests' server recipe and page helpers, so the bench drives the app exactly as they do.
from conftest import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, SERVER_START_TIMEOUT_S, VIEWPORT,  # noqa: E402
                      _die_with_parent, _free_port, _healthy, _stop)
from helpers import (click_button, exception_texts, fill_text, go, nudge_slider, open_page,  # noqa: E402
                     prepare_training, screenshot, wait_for_idle)

SERVER_LOG = ARTIFACTS / "class-load-server.log"
GOAL_P95_S = 2.0
MAX_TRAININGS = 2  # three trainers: two train, the third queues
TRAINERS = 3
# Playwright's sync API (that of the helpers) needs one Playwright, hence one browser, per thread.
# A thread takes turns over its sessions: while one acts, the others "think", as students do.
SESSIONS_PER_THREAD = 5
# An interaction not settled by then counts as unsettled. Generous: on two busy cores eight sessions
# opening Sample at once wait ~30 s, the server's one process being busy running their scripts.
STEP_TIMEOUT_MS = 60_000
JOIN_GRACE_S = 300  # for the visits under way at the deadline (four interactions at most)
PAGES = ("Gates", "Sample", "Sentiment")
PRIME = "Prime: the model reads this first, then carries on"
LINES = ["To be, or not to be", "Friends, Romans, countrymen", "Out, damned spot", "Is this a dagger"]
REVIEWS = ["A wonderful, moving film", "Dull and far too long", "Not bad at all", "I hated every minute"]
_SEEN_JS = """() => document.querySelector('[data-testid="stApp"]').innerText + '\\n' +
    [...document.querySelectorAll('input, textarea')].map(e => e.value).join('\\n')"""


def word(i: int) -> str:
    """Session i's made-up word: "qz" occurs in no English (or generated) text, and all words have
    the same length, so none contains another."""
    return f"qz{chr(97 + i // 26 % 26)}{chr(97 + i % 26)}x"


@dataclass
class Results:
    sessions: int
    rounds: int
    timings: dict[str, list[tuple[float, str]]] = field(default_factory=lambda: {p: [] for p in PAGES})
    unsettled: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # failed loads from other hosts (no internet here)
    leaks: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # page visits the deadline left out
    queue_notice: str = ""  # what the third trainer was told
    trainings: list[str] = field(default_factory=list)  # each trainer's state at the end
    trained_listed: list[int] = field(default_factory=list)  # per trainer: models "trained here" in its list
    memory_mb: tuple[float, float, float] = (0.0, 0.0, 0.0)  # start, peak, end
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average at the start and end
    seconds: float = 0.0


# -- the server ---------------------------------------------------------------------------------


@contextmanager
def _server():
    """`streamlit run app.py` as the e2e conftest starts it, but with two training slots and its
    own fresh data folder; yields (base URL, psutil process)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lstm-lab-class-") as data_dir, open(SERVER_LOG, "wb") as log:
        env = dict(os.environ, PYTHONUNBUFFERED="1", LSTM_LAB_MAX_TRAININGS=str(MAX_TRAININGS),
                   LSTM_LAB_DATA_DIR=data_dir)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env.setdefault("KERAS_BACKEND", "tensorflow")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
        try:
            until = time.monotonic() + SERVER_START_TIMEOUT_S
            while not _healthy(f"{base}/_stcore/health"):
                if proc.poll() is not None or time.monotonic() > until:
                    raise RuntimeError(f"the Streamlit server did not start; see {SERVER_LOG}")
                time.sleep(0.25)
            yield base, psutil.Process(proc.pid)
        finally:
            _stop(proc)


def _rss_mb(proc: psutil.Process) -> float:
    """Resident memory of the server and its children (training processes), in MB."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # a training process that just ended
            pass
    return total / 2**20


def _sample_memory(proc: psutil.Process, samples: list[float], stop: threading.Event) -> None:
    while not stop.wait(0.5):
        samples.append(_rss_mb(proc))


def _server_tracebacks() -> list[str]:
    """The exception line ("KeyError: 'x'") of each traceback in the server's log, plain or drawn by
    rich in colour."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", SERVER_LOG.read_text(errors="replace"))
    found = []
    for block in text.split("Traceback (most recent call last)")[1:]:
        line = re.search(r"^[A-Za-z_][\w.]*: .*", block, re.M)
        found.append("server log: " + (line[0] if line else "a traceback"))
    return found


# -- the sessions -------------------------------------------------------------------------------


def _listen(page, who: str, base: str, results: Results) -> None:
    """Record the page's JavaScript errors and console errors; a failed load from another host
    (no internet on this machine) is kept apart from the app's own."""
    page.on("pageerror", lambda exc: results.errors.append(f"{who}: page error: {exc}"))

    def console(msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url") or ""
        if url and not url.startswith(base):  # the same for every session: kept without its name
            results.outside.append(f"{msg.text} {url}")
        else:
            results.errors.append(f"{who}: console: {msg.text} {url}".strip())

    page.on("console", console)


def _new_page(browser, who: str, base: str, results: Results):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="en-GB")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    _listen(page, who, base, results)
    return page


def _seen(page) -> str:
    """What the session shows: the app's text, figures included, and the values of its fields."""
    return page.evaluate(_SEEN_JS)


class Student:
    """One browser context, so one Streamlit session, with its own word."""

    def __init__(self, browser, base: str, index: int, words: list[str], results: Results):
        self.index, self.base, self.results = index, base, results
        self.word = words[index]
        self.others = [w for w in words if w != self.word]
        self.page = _new_page(browser, f"session {index}", base, results)

    def open(self) -> None:
        open_page(self.page, self.base, "/", timeout=STEP_TIMEOUT_MS)

    def visit(self, title: str, rnd: int) -> None:
        """Switch to the page, change its widgets one by one, then check it shows the session's word."""
        settled = self._step(title, "open", lambda: self._switch(title))
        for what, action in self._actions(title, rnd):
            settled = self._step(title, what, action) and settled
        if settled and self.word not in _seen(self.page):  # else the leak check could pass by seeing nothing
            self.results.leaks.append(f"session {self.index} does not see its own word on {title}")

    def _switch(self, title: str) -> None:
        """The sidebar's link, then the page's own heading: `go` gives the rerun RERUN_GRACE_MS to
        begin, and a browser short of CPU may take longer, leaving the old page up and idle."""
        go(self.page, title, timeout=STEP_TIMEOUT_MS)
        self.page.get_by_role("heading", name=title, exact=True, level=1).wait_for(timeout=STEP_TIMEOUT_MS)
        wait_for_idle(self.page, timeout=STEP_TIMEOUT_MS)

    def _actions(self, title: str, rnd: int):
        page, w, t = self.page, self.word, STEP_TIMEOUT_MS
        line = LINES[(self.index + rnd) % len(LINES)]  # a new value each round, so each one reruns
        if title == "Gates":
            return [("read a text", lambda: fill_text(page, "Text to read", f"{line}, {w}", timeout=t)),
                    ("show another unit", self._next_unit)]
        if title == "Sample":
            key = "ArrowRight" if rnd % 2 == 0 else "ArrowLeft"
            return [("prime", lambda: fill_text(page, PRIME, f"{line}, {w}", timeout=t)),
                    ("temperature", lambda: nudge_slider(page, "Temperature", key, timeout=t)),
                    ("generate", lambda: click_button(page, "Generate", timeout=t))]
        review = f"{REVIEWS[(self.index + rnd) % len(REVIEWS)]}, said {w}"
        return [("review", lambda: fill_text(page, "Review", review, timeout=t))]

    def _next_unit(self) -> None:
        """Gates' unit box, whose label names the model's range ("Unit (0–255)"): one unit up
        (or down at the top)."""
        label = self.page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(r"^\s*Unit \("))
        box = self.page.locator('[data-testid="stNumberInput"]', has=label).first
        name = box.locator('[data-testid="stWidgetLabel"]').text_content().strip()
        top = int(re.search(r"(\d+)\)$", name)[1])
        unit = int(box.locator("input").input_value())
        fill_text(self.page, name, str(unit + 1 if unit < top else unit - 1), timeout=STEP_TIMEOUT_MS)

    def _step(self, title: str, what: str, action) -> bool:
        """Time one interaction up to the settled page, then look for exceptions and others' words."""
        started = time.monotonic()
        try:
            action()
            elapsed = time.monotonic() - started
            shown, seen = exception_texts(self.page), _seen(self.page)
        except Exception as exc:  # not settled in time, or a widget missing: a finding, the class goes on
            self.results.unsettled.append(f"session {self.index}: {title}: {what}: {str(exc).splitlines()[0]}")
            try:
                screenshot(self.page, f"class-load-session{self.index}-{title}-{what.replace(' ', '-')}")
            except Exception:  # the picture is a courtesy: the page may be gone
                pass
            return False
        self.results.timings[title].append((elapsed, what))
        self.results.errors += [f"session {self.index}: {title}: {what}: exception: {t[:300]}" for t in shown]
        self.results.leaks += [f"session {self.index} sees {other!r} on {title} after {what}"
                               for other in self.others if other in seen]
        return True


def _browse(base: str, indexes: list[int], words: list[str], rounds: int, deadline: float, results: Results) -> None:
    """One thread: its own browser, a few sessions taking turns, page visit by page visit."""
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            students = [Student(browser, base, i, words, results) for i in indexes]
            for student in students:
                student.open()
            for rnd in range(rounds):
                for k in range(len(PAGES)):
                    for s in students:
                        # Each session starts on another page, so the class spreads over all three.
                        title = PAGES[(s.index + k) % len(PAGES)]
                        if time.monotonic() > deadline:
                            results.skipped.append(f"session {s.index}: {title}, round {rnd + 1}")
                        else:
                            s.visit(title, rnd)
            browser.close()
    except Exception as exc:  # the browser or a page load failed: every later interaction is lost
        results.unsettled.append(f"sessions {indexes}: stopped: {str(exc).splitlines()[0]}")


def _trained_here_listed(page) -> int:
    """How many models trained here the session's sidebar lists (each trainer trained one: more is
    another session's model)."""
    page.locator('[data-testid="stSidebar"]').get_by_role("combobox").first.click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return sum(o.startswith("Trained here") for o in options)


def _train(base: str, words: list[str], done: threading.Event, results: Results) -> None:
    """Three sessions start a training each as soon as they are set up, while the class browses; the
    third must be told it waits in line. They stay on Train (its live chart reruns every second)
    until the class is done."""
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            pages = [_new_page(browser, f"trainer {k}", base, results) for k in range(TRAINERS)]
            for page in pages:
                prepare_training(page, base)
            for page in pages:
                click_button(page, "Start", timeout=STEP_TIMEOUT_MS)
            notice = pages[-1].get_by_text(re.compile(r"number \d+ in line"))
            notice.first.wait_for(timeout=STEP_TIMEOUT_MS)
            results.queue_notice = notice.first.inner_text()
            while not done.is_set():
                pages[0].wait_for_timeout(1000)  # keeps Playwright delivering the pages' events
            for k, page in enumerate(pages):
                seen = _seen(page)
                state = re.search(r"(Finished|Stopped|Training failed):.*|.*in line.*", seen)
                results.trainings.append(state[0][:200] if state else "training")
                results.trained_listed.append(_trained_here_listed(page))
                results.errors += [f"trainer {k}: exception: {t[:300]}" for t in exception_texts(page)]
                results.leaks += [f"trainer {k} sees {w!r}" for w in words if w in seen]
            browser.close()
    except Exception as exc:
        results.unsettled.append(f"trainers: stopped: {str(exc).splitlines()[0]}")


def run(sessions: int = 30, rounds: int = 2, minutes: float = 3.5, per_thread: int = SESSIONS_PER_THREAD) -> Results:
    """Drive a class of `sessions` browsing sessions plus three trainers on a server of its own,
    `per_thread` sessions to a driving thread."""
    results = Results(sessions=sessions, rounds=rounds, load=(os.getloadavg()[0], 0.0))
    words = [word(i) for i in range(sessions)]
    started = time.monotonic()
    deadline = started + minutes * 60
    with _server() as (base, proc):
        samples, stop = [_rss_mb(proc)], threading.Event()
        sampler = threading.Thread(target=_sample_memory, args=(proc, samples, stop), daemon=True)
        sampler.start()
        n = math.ceil(sessions / per_thread)
        done = threading.Event()
        # Daemon threads: one stuck past the deadline cannot keep the bench from ending.
        browsing = [threading.Thread(target=_browse, daemon=True, args=(
            base, list(range(k, sessions, n)), words, rounds, deadline, results)) for k in range(n)]
        trainer = threading.Thread(target=_train, daemon=True,
                                   args=(base, words, done, results))
        for thread in [trainer, *browsing]:
            thread.start()
        for thread in browsing:
            thread.join(timeout=max(0.0, deadline - time.monotonic()) + JOIN_GRACE_S)
        done.set()
        trainer.join(timeout=JOIN_GRACE_S)
        results.unsettled += [f"a driver thread still ran {JOIN_GRACE_S} s after the deadline"
                              for t in [trainer, *browsing] if t.is_alive()]
        stop.set()
        sampler.join()
        samples.append(_rss_mb(proc))
        results.memory_mb = (samples[0], max(samples), samples[-1])
    results.errors += _server_tracebacks()
    results.seconds = time.monotonic() - started
    results.load = (results.load[0], os.getloadavg()[0])
    return results


# -- the report ---------------------------------------------------------------------------------


def _pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def _listed(title: str, items: list[str], goal: str = "", shown: int = 8) -> None:
    print(f"{title}: {len(items)}{goal}")
    for text, count in Counter(items).most_common(shown):
        print(f"  {count}× {text[:300]}")
    if len(set(items)) > shown:
        print(f"  … and {len(set(items)) - shown} more kinds")


def report(r: Results) -> None:
    print(f"Class load: {r.sessions} sessions × {r.rounds} rounds of Gates, Sample and Sentiment, and "
          f"{TRAINERS} trainers on {MAX_TRAININGS} training slots; {r.seconds / 60:.1f} min in all")
    print(f"machine: {os.cpu_count()} cores; 1-minute load average {r.load[0]:.1f} before the class, "
          f"{r.load[1]:.1f} at its end")
    print(f"{'page':<10} {'n':>4} {'p50 s':>7} {'p95 s':>7} {'max s':>7}   slowest   (goal: p95 ≤ {GOAL_P95_S:g} s)")
    rows = [*r.timings.items(), ("all", [t for timed in r.timings.values() for t in timed])]
    for title, timed in rows:
        secs = [s for s, _ in timed]
        if not secs:
            print(f"{title:<10} {0:>4}")
            continue
        slowest = max(timed)[1] if title != "all" else ""
        print(f"{title:<10} {len(secs):>4} {_pct(secs, 0.5):7.2f} {_pct(secs, 0.95):7.2f} {max(secs):7.2f}   {slowest}")
    start, peak, end = r.memory_mb
    print(f"server memory (RSS, server + training processes): start {start:.0f} MB, peak {peak:.0f} MB, "
          f"end {end:.0f} MB (as the class leaves; trainings still running count)")
    _listed("errors", r.errors, " (goal: 0)")
    _listed("failed loads from other hosts (this machine has no internet)", r.outside)
    _listed("isolation problems (another session's word seen, or its own missing)", r.leaks, " (goal: 0)")
    _listed("interactions not settled", r.unsettled)
    if r.skipped:
        print(f"page visits skipped at the deadline: {len(r.skipped)}")
    print(f"queue: the third trainer was told {r.queue_notice!r}" if r.queue_notice
          else "queue: the third trainer was NOT told it waits in line")
    print("trainings at the end:" + "".join(f"\n  {t}" for t in r.trainings) if r.trainings
          else "trainings at the end: unknown")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2, help="visits of each page per session")
    parser.add_argument("--minutes", type=float, default=3.5, help="no page visit starts after this")
    args = parser.parse_args()
    report(run(args.sessions, args.rounds, args.minutes))


if __name__ == "__main__":
    main()
