"""A whole class on one server: 30 sessions browse while three more train.

Starts `streamlit run app.py` on a free loopback port (two training slots, a fresh data folder).
Each browsing session switches between Gates, Sample and Sentiment and changes things there (see
class_students.py); meanwhile three other sessions press Start on Train (8 units): two train, the
third waits in line. With the wire driver they train for 10 minutes, so two trainings run through
the whole class; in Chromium (the browser test) for 15 s. The sessions are driven either

- `--driver wire` (the default): over the app's websocket with the browser's own messages
  (wire_client.py), one thread each, pausing 5–15 s (`--think`) between interactions as a student reading the
  page. Timed from the message sent to the run's end: the server's answer, without the drawing.
  Thirty Chromium pages would measure two cores drawing thirty pages, not the server; or
- `--driver browser`: in headless Chromium, a few sessions per browser taking turns (the browser
  test, tests/e2e/test_class_load_e2e.py, runs a small class this way and asserts correctness).

With `--class` (wire driver) the sessions are a class a teacher leads: the server has a teacher
key, the bench starts a class in the server's data folder (lstm_core.storage.classroom), every
browsing session joins it first thing in its sidebar ("Class code", Join: following the teacher),
and a teacher thread shows a new view every `--show-every` seconds (60), Gates with a unit and
Sample with a temperature in turn (classroom.show, as the teacher's tab does). Each student's tab
then checks the class every 2 s while its student thinks (the banner's fragment), and is switched
to each view shown (a follow: the check's run, or a click's, becomes the run of the teacher's page);
a follow ends the page visit under way. Compare a run with `--class` to one without.

Printed: per page, the time from an interaction to a settled page (p50 / p95 / max); the
resident memory of the server and its training processes (start, peak, end); the errors seen
(exception boxes, page errors, console errors, tracebacks in the server log, its warnings of app
code run outside a script run); and isolation: every session types its own made-up word on each
page, and no other session's word may ever show on its pages; the server's CPU seconds; and, in a class, the joins, the class checks (fragment
polls), the follows (p50 / p95 / max of a check's run to the teacher's page, and of the lag from the
view shown to the page settled) and each follow's page (the view's page and settings, no exception).
Goals, printed and never asserted: p95 ≤ 2 s, no errors, no leaks.

    python bench/bench_class_load.py [--sessions 30] [--rounds 2] [--minutes 5] [--driver wire|browser] [--think 5,15]
                                     [--class [--show-every 60]]

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
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT))

# The browser tests' server recipe and page helpers, so the bench drives the app exactly as they do.
from conftest import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, SERVER_START_TIMEOUT_S,  # noqa: E402
                      _die_with_parent, _free_port, _healthy, _stop)
from helpers import click_button, exception_texts, prepare_training  # noqa: E402

from class_students import (PAGES, STEP_TIMEOUT_MS, THINK_S, BrowserStudent, Results, WireStudent,  # noqa: E402
                            new_page, seen_in, word)
from wire_client import WireSession  # noqa: E402
import machine  # noqa: E402

from lstm_core.storage import classroom  # noqa: E402

SERVER_LOG = ARTIFACTS / "class-load-server.log"
GOAL_P95_S = 2.0
MAX_TRAININGS = 2  # three trainers: two train, the third queues
TRAINERS = 3
# Playwright's sync API (that of the helpers) needs one Playwright, hence one browser, per thread.
# A thread takes turns over its sessions: while one acts, the others "think", as students do.
SESSIONS_PER_THREAD = 5
JOIN_GRACE_S = 300  # for the visits under way at the deadline (four interactions at most)
TEACHER_KEY = "bench-teacher-key"  # --class: the server has one, as a class's server does
SHOW_EVERY_S = 60.0
# --class: the views the teacher shows in turn, (page, its title, view-link parameters); each a new one.
VIEWS = [("gates", "Gates", lambda n: {"unit": str((37 * n + 5) % 256)}),
         ("sample", "Sample", lambda n: {"t": ("1.5", "0.5", "1.2", "0.3")[n // 2 % 4]})]


# -- the server ---------------------------------------------------------------------------------


@contextmanager
def _server(teacher_key: str | None = None):
    """`streamlit run app.py` as the e2e conftest starts it, but with two training slots, its own
    fresh data folder and, for a class, a teacher key; yields (base URL, psutil process, data folder)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false"]  # the rest as .streamlit/config.toml ships it
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lstm-lab-class-") as data_dir, open(SERVER_LOG, "wb") as log:
        env = dict(os.environ, PYTHONUNBUFFERED="1", LSTM_LAB_MAX_TRAININGS=str(MAX_TRAININGS),
                   LSTM_LAB_DATA_DIR=data_dir)
        if teacher_key:
            env["LSTM_LAB_TEACHER_KEY"] = teacher_key
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
            yield base, psutil.Process(proc.pid), Path(data_dir)
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


def _cpu_seen(server: psutil.Process, seen: dict[int, tuple[str, float]]) -> None:
    """Each process's CPU seconds so far, by who it is: the server, its training processes, this
    bench's own process (the wire sessions), or Chromium (the browser sessions and trainers)."""
    me = psutil.Process()
    trainings = server.children(recursive=True)
    ours = {server.pid, *(p.pid for p in trainings)}
    groups = [("server", [server]), ("trainings", trainings), ("bench driver", [me]),
              ("chromium", [p for p in me.children(recursive=True) if p.pid not in ours])]
    for group, procs in groups:
        for p in procs:
            try:
                t = p.cpu_times()
                seen[p.pid] = (group, t.user + t.system)
            except psutil.Error:  # ended between the listing and the reading
                pass


def _sample_usage(proc: psutil.Process, samples: list[float], cpu: dict, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        samples.append(_rss_mb(proc))
        _cpu_seen(proc, cpu)


def _server_tracebacks(results: Results) -> None:
    """The exception line ("KeyError: 'x'") of each traceback in the server's log, plain or drawn by
    rich in colour. Streamlit's own websocket endpoint logs one when a page closes while the server
    is still sending to it (the session is cleaned up all the same): kept apart, as `closing`."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", SERVER_LOG.read_text(errors="replace"))
    for block in text.split("Traceback (most recent call last)")[1:]:
        line = re.search(r"^[A-Za-z_][\w.]*: .*", block, re.M)
        found = "server log: " + (line[0] if line else "a traceback")
        in_endpoint = "starlette_websocket.py" in block and "_websocket_endpoint" in block
        if in_endpoint and "starlette.websockets.WebSocketDisconnected" in found:
            results.closing.append(found)
        else:
            results.errors.append(found)
    # Streamlit's warning for st.* called outside a script run: in this server, a process that ran a
    # page script by itself (a spawned training process re-running the parent's __main__).
    outside = len(re.findall(r"missing ScriptRunContext", text))
    if outside:
        results.errors.append(f"server log: {outside} 'missing ScriptRunContext' warnings (app code run outside "
                              f"a script run: a training process that ran a page script?)")


# -- the class ----------------------------------------------------------------------------------


def _browse(base: str, indexes: list[int], words: list[str], rounds: int, deadline: float, results: Results) -> None:
    """One thread: its own browser, a few sessions taking turns, page visit by page visit."""
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            students = [BrowserStudent(browser, base, i, words, results) for i in indexes]
            for student in students:
                student.open()
            _rounds(students, rounds, deadline, results)
            browser.close()
    except Exception as exc:  # the browser or a page load failed: every later interaction is lost
        results.unsettled.append(f"sessions {indexes}: stopped: {str(exc).splitlines()[0]}")


def _browse_wire(base: str, index: int, words: list[str], rounds: int, deadline: float, results: Results) -> None:
    """One thread, one session over the websocket."""
    student = WireStudent(base, index, words, results, results.think_s, results.class_code)
    try:
        student.open()
        _rounds([student], rounds, deadline, results)
    except Exception as exc:  # the socket closed, or the first page did not come: the session is lost
        results.unsettled.append(f"session {index}: stopped: {str(exc).splitlines()[0]}")
    finally:
        student.close()


def _rounds(students, rounds: int, deadline: float, results: Results) -> None:
    for rnd in range(rounds):
        for k in range(len(PAGES)):
            for s in students:
                # Each session starts on another page, so the class spreads over all three.
                title = PAGES[(s.index + k) % len(PAGES)]
                if time.monotonic() > deadline:
                    results.skipped.append(f"session {s.index}: {title}, round {rnd + 1}")
                else:
                    s.visit(title, rnd)


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
            pages = [new_page(browser, f"trainer {k}", base, results) for k in range(TRAINERS)]
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
                seen = seen_in(page)
                state = re.search(r"(Finished|Stopped|Training failed):.*|.*in line.*", seen)
                results.trainings.append(state[0][:200] if state else "training")
                results.trained_listed.append(_trained_here_listed(page))
                results.errors += [f"trainer {k}: exception: {t[:300]}" for t in exception_texts(page)]
                results.leaks += [f"trainer {k} sees {w!r}" for w in words if w in seen]
            browser.close()
    except Exception as exc:
        results.unsettled.append(f"trainers: stopped: {str(exc).splitlines()[0]}")


def _train_wire(base: str, words: list[str], done: threading.Event, results: Results) -> None:
    """The three trainers of `_train`, over the websocket: in a class their browsers draw the live
    charts on the students' machines, not on the server's two cores."""
    trainers = [WireSession(base, timeout=STEP_TIMEOUT_MS / 1000) for _ in range(TRAINERS)]
    try:
        for s in trainers:
            s.open()
            s.go("Train")
            s.set("Units per layer", "8")
            s.set("Training time", s.widget("Training time")[1].options[-2])  # 10 minutes: the whole class
        for s in trainers:
            s.click("Start")
        notice = re.search(r"[^\x00-\x1f\"*]*number \d+ in line[^\x00-\x1f\"*]*", trainers[-1].run.text())
        results.queue_notice = notice[0].strip() if notice else ""
        # Each tab stays open, its live view rerunning every second, until the class is done.
        watching = [threading.Thread(target=_watch, args=(k, s, done, results), daemon=True)
                    for k, s in enumerate(trainers)]
        for thread in watching:
            thread.start()
        for thread in watching:
            thread.join()
        for k, s in enumerate(trainers):
            seen = s.run.text()
            # The page's Markdown as sent: "**Finished:** 33 steps…".
            state = (re.search(r"(Finished|Stopped|Training failed)\**:[^\x00-\x1f\"]*", seen)
                     or re.search(r"[^\x00-\x1f\"*]*in line", seen))
            results.trainings.append(state[0].replace("**", "")[:200] if state else "training")
            results.trained_listed.append(sum(o.startswith("Trained here") for o in s.options("Active model")))
            results.errors += [f"trainer {k}: exception: {t[:300]}" for t in s.run.exceptions()]
            results.leaks += [f"trainer {k} sees {w!r}" for w in words if w in seen]
    except Exception as exc:
        results.unsettled.append(f"trainers: stopped: {str(exc).splitlines()[0]}")
    finally:
        for s in trainers:
            s.close()


def _watch(k: int, session: WireSession, done: threading.Event, results: Results) -> None:
    try:
        while not done.is_set():
            session.wait(1.0)
    except Exception as exc:  # a live view that did not answer: a finding; its state at the end is then old
        results.unsettled.append(f"trainer {k}: live view: {str(exc).splitlines()[0]}")


def _teach(classes: Path, code: str, every: float, done: threading.Event, results: Results) -> None:
    """The teacher: a new view shown to the class every `every` seconds, Gates and Sample in turn,
    written as the teacher's tab writes it (classroom.show), until the class is done."""
    n = 0
    while not done.wait(every):
        page, title, params = VIEWS[n % len(VIEWS)]
        params = params(n)
        results.shows.append((time.monotonic(), title, params))  # before it is written: no follow precedes it
        try:
            classroom.show(classes, code, page, params)
        except Exception as exc:
            results.errors.append(f"teacher: show {title} {params}: {exc}")
        n += 1


def run(sessions: int = 30, rounds: int = 2, minutes: float = 5, driver: str = "wire",
        per_thread: int = SESSIONS_PER_THREAD, think_s: tuple[float, float] = THINK_S,
        in_class: bool = False, show_every: float = SHOW_EVERY_S) -> Results:
    """Drive a class of `sessions` browsing sessions plus three trainers on a server of its own;
    with the browser driver, `per_thread` sessions to a driving thread. `in_class` (wire driver): the
    browsing sessions join a class whose teacher shows a new view every `show_every` seconds."""
    if in_class and driver != "wire":
        raise ValueError("a class (--class) is driven over the websocket only")
    results = Results(sessions=sessions, rounds=rounds, driver=driver, think_s=think_s,
                      load=(os.getloadavg()[0], 0.0), show_every=show_every if in_class else 0.0)
    words = [word(i) for i in range(sessions)]
    started = time.monotonic()
    deadline = started + minutes * 60
    with _server(TEACHER_KEY if in_class else None) as (base, proc, data):
        if in_class:  # before the students open the app: each joins it first thing
            results.class_code = classroom.start(classroom.root(data))
        samples, stop, cpu = [_rss_mb(proc)], threading.Event(), {}
        _cpu_seen(proc, cpu)
        before = {pid: seconds for pid, (_, seconds) in cpu.items()}
        sampler = threading.Thread(target=_sample_usage, args=(proc, samples, cpu, stop), daemon=True)
        sampler.start()
        done = threading.Event()
        # Daemon threads: one stuck past the deadline cannot keep the bench from ending.
        if driver == "wire":
            browsing = [threading.Thread(target=_browse_wire, daemon=True, args=(
                base, i, words, rounds, deadline, results)) for i in range(sessions)]
        else:
            n = math.ceil(sessions / per_thread)
            browsing = [threading.Thread(target=_browse, daemon=True, args=(
                base, list(range(k, sessions, n)), words, rounds, deadline, results)) for k in range(n)]
        trainer = threading.Thread(target=_train_wire if driver == "wire" else _train, daemon=True,
                                   args=(base, words, done, results))
        teacher = [threading.Thread(target=_teach, daemon=True, args=(
            classroom.root(data), results.class_code, show_every, done, results))] if in_class else []
        for thread in [trainer, *browsing, *teacher]:
            thread.start()
        for thread in browsing:
            thread.join(timeout=max(0.0, deadline - time.monotonic()) + JOIN_GRACE_S)
        done.set()
        for thread in teacher:
            thread.join()
        trainer.join(timeout=JOIN_GRACE_S)
        results.unsettled += [f"a driver thread still ran {JOIN_GRACE_S} s after the deadline"
                              for t in [trainer, *browsing] if t.is_alive()]
        stop.set()
        sampler.join()
        samples.append(_rss_mb(proc))
        results.memory_mb = (samples[0], max(samples), samples[-1])
        for pid, (group, seconds) in cpu.items():
            results.cpu_s[group] = results.cpu_s.get(group, 0.0) + seconds - before.get(pid, 0.0)
    _server_tracebacks(results)
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


def _row(title: str, secs: list[float], slowest: str = "") -> None:
    if not secs:
        print(f"{title:<10} {0:>4}")
        return
    print(f"{title:<10} {len(secs):>4} {_pct(secs, 0.5):7.2f} {_pct(secs, 0.95):7.2f} {max(secs):7.2f}   {slowest}")


def _class_report(r: Results) -> None:
    """What the class added: the joins, the checks every 2 s, the follows; and the server's CPU, to
    set beside a run without the class."""
    server_cpu = r.cpu_s.get("server", 0.0)
    print(f"server CPU: {server_cpu:.0f} s in {r.seconds / 60:.1f} min ({server_cpu / r.seconds:.2f} CPU s/s)")
    if not r.class_code:
        print("class: none (fragment polls 0, follows 0)")
        return
    print(f"class {r.class_code}: {len(r.joins)} of {r.sessions} sessions joined, following the teacher; "
          f"{len(r.shows)} view(s) shown, one every {r.show_every:g} s (Gates with a unit, Sample with a temperature)")
    on_check = [seconds for kind, seconds, _ in r.follows if kind == "check"]
    print(f"fragment polls (class checks that changed nothing): {len(r.polls)}; follows: {len(r.follows)} "
          f"({len(on_check)} on a class check, {len(r.follows) - len(on_check)} within a student's own click, "
          f"timed with it above); page visits a follow ended early: {len(r.cut)}")
    print("the class's own interactions (not in 'all' above):")
    _row("join", r.joins, "(Class code typed, Join)")
    _row("poll", r.polls, "(a class check: the fragment's run)")
    _row("follow", on_check, "(a class check's run to the teacher's page, settled)")
    _row("  lag", [lag for *_, lag in r.follows], "(every follow: from the view shown to the page settled)")


def report(r: Results) -> None:
    print(f"Class load: {r.sessions} sessions × {r.rounds} rounds of Gates, Sample and Sentiment, and "
          f"{TRAINERS} trainers on {MAX_TRAININGS} training slots; {r.seconds / 60:.1f} min in all")
    print(f"driven over the websocket (the server's answer, without a browser's drawing), each session pausing "
          f"{r.think_s[0]:g}–{r.think_s[1]:g} s between interactions (Sample's typewriter plays in the browser, "
          f"after the page has settled)"
          if r.driver == "wire" else "driven in headless Chromium")
    print(f"machine: {machine.cpu()}, {os.cpu_count()} cores; 1-minute load average {r.load[0]:.1f} before the "
          f"class, {r.load[1]:.1f} at its end (1, 5, 15 min: {', '.join(f'{x:.2f}' for x in os.getloadavg())})")
    print(f"{'page':<10} {'n':>4} {'p50 s':>7} {'p95 s':>7} {'max s':>7}   slowest   (goal: p95 ≤ {GOAL_P95_S:g} s)")
    rows = [*r.timings.items(), ("all", [t for timed in r.timings.values() for t in timed])]
    for title, timed in rows:
        _row(title, [s for s, _ in timed], max(timed)[1] if timed and title != "all" else "")
    start, peak, end = r.memory_mb
    print(f"server memory (RSS, server + training processes): start {start:.0f} MB, peak {peak:.0f} MB, "
          f"end {end:.0f} MB (as the class leaves; trainings still running count)")
    print("CPU seconds used: " + ", ".join(
        f"{group} {seconds:.0f}" for group, seconds in sorted(r.cpu_s.items(), key=lambda kv: -kv[1]))
        + f" (of {os.cpu_count() * r.seconds:.0f} available)")
    _class_report(r)
    _listed("errors", r.errors, " (goal: 0)")
    _listed("failed loads from other hosts (this machine has no internet)", r.outside)
    _listed("Streamlit's endpoint, a page closed while it sent (its session cleaned up)", r.closing)
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
    parser.add_argument("--minutes", type=float, default=5, help="no page visit starts after this")
    parser.add_argument("--driver", choices=("wire", "browser"), default="wire",
                        help="the browsing sessions: over the websocket, or in headless Chromium")
    parser.add_argument("--think", default=",".join(f"{t:g}" for t in THINK_S),
                        help="a wire session's pause between two interactions, drawn between these seconds")
    parser.add_argument("--class", dest="in_class", action="store_true",
                        help="the browsing sessions join a class at the start and follow its teacher (wire driver)")
    parser.add_argument("--show-every", type=float, default=SHOW_EVERY_S,
                        help="with --class: seconds between two views the teacher shows")
    args = parser.parse_args()
    low, high = (float(t) for t in args.think.split(","))
    report(run(args.sessions, args.rounds, args.minutes, args.driver, think_s=(low, high), in_class=args.in_class,
               show_every=args.show_every))


if __name__ == "__main__":
    main()
