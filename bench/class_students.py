"""What a student of the class load does, through a browser or over the app's websocket.

Each session visits Gates, Sample and Sentiment and changes things there: Gates reads a text and
shows another unit; Sample takes a prime, moves the temperature and generates; Sentiment classifies
a review. Every session types its own made-up word on each page, and no other session's word may
ever show on its pages. Two drivers do the same visits:

- `BrowserStudent`: a headless Chromium context (the browser tests use it: the real front end).
- `WireStudent`: `wire_client.WireSession`, the browser's messages without the drawing, so that
  thirty sessions load the server rather than the two cores' thirty browsers. Between two
  interactions it "thinks" as a student does, its tab open: the fragments that rerun by themselves
  do. In a class (`class_code`) it joins at the start in the sidebar, following the teacher; its
  tab then checks the class every 2 s, and a view the teacher shows takes it there (a follow). A
  follow in the middle of a page visit ends the visit: the student is on the teacher's view now.
"""

from __future__ import annotations

import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from conftest import VIEWPORT  # noqa: E402
from helpers import (click_button, exception_texts, fill_text, go, nudge_slider, open_page,  # noqa: E402
                     screenshot, wait_for_idle)
from wire_client import WireError, WireSession  # noqa: E402

PAGES = ("Gates", "Sample", "Sentiment")
PRIME = "Prime: the model reads this first, then carries on"
LINES = ["To be, or not to be", "Friends, Romans, countrymen", "Out, damned spot", "Is this a dagger"]
REVIEWS = ["A wonderful, moving film", "Dull and far too long", "Not bad at all", "I hated every minute"]
# An interaction not settled by then counts as unsettled. Generous: on two busy cores eight browser
# sessions opening Sample at once wait ~30 s, the server's one process being busy running their scripts.
STEP_TIMEOUT_MS = 60_000
THINK_S = (5.0, 15.0)  # a wire student's pause between two interactions: reading what changed (--think 2,6: a stress test)
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
    driver: str
    think_s: tuple[float, float] = (0.0, 0.0)  # a wire student's pause between interactions
    timings: dict[str, list[tuple[float, str]]] = field(default_factory=lambda: {p: [] for p in PAGES})
    unsettled: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # failed loads from other hosts (no internet here)
    closing: list[str] = field(default_factory=list)  # server tracebacks of pages closed mid-send
    leaks: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # page visits the deadline left out
    queue_notice: str = ""  # what the third trainer was told
    trainings: list[str] = field(default_factory=list)  # each trainer's state at the end
    trained_listed: list[int] = field(default_factory=list)  # per trainer: models "trained here" in its list
    memory_mb: tuple[float, float, float] = (0.0, 0.0, 0.0)  # start, peak, end
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds by who used them (see _cpu_seen)
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average at the start and end
    seconds: float = 0.0
    # A class the teacher leads (--class): its code; the views shown, (time.monotonic(), page title,
    # parameters); each session's join (seconds); the class checks (seconds of each fragment run that
    # did not switch the page); the follows, (on a "check" or in a student's "click", seconds of the
    # run, seconds from the view shown to the page settled); the page visits a follow ended early.
    class_code: str = ""
    show_every: float = 0.0
    shows: list[tuple[float, str, dict]] = field(default_factory=list)
    joins: list[float] = field(default_factory=list)
    polls: list[float] = field(default_factory=list)
    follows: list[tuple[str, float, float]] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)


class _Student:
    """One session with its own word; subclasses say how it acts and what it sees."""

    def __init__(self, index: int, words: list[str], results: Results):
        self.index, self.results = index, results
        self.word = words[index]
        self.others = [w for w in words if w != self.word]

    def visit(self, title: str, rnd: int) -> None:
        """Switch to the page, change its widgets one by one, then check it shows the session's word.
        In a class, a view the teacher showed that took the tab elsewhere (followed in a pause, or by
        the run of an interaction) ends the visit there: the student is on the teacher's view."""
        settled = True
        for k, (what, action) in enumerate([("open", lambda: self._switch(title)), *self._actions(title, rnd)]):
            if self._pause() and k > 0:
                self.results.cut.append(f"session {self.index}: {title} before {what}")
                return
            settled = self._step(title, what, action) and settled
            if self._taken_away():
                self.results.cut.append(f"session {self.index}: {title} during {what}")
                return
        if settled and self.word not in self._seen():  # else the leak check could pass by seeing nothing
            self.results.leaks.append(f"session {self.index} does not see its own word on {title}")

    def _step(self, title: str, what: str, action) -> bool:
        """Time one interaction up to the settled page, then look for exceptions and others' words."""
        started = time.monotonic()
        try:
            action()
            elapsed = time.monotonic() - started
            shown, seen = self._exceptions(), self._seen()
        except Exception as exc:  # not settled in time, or a widget missing: a finding, the class goes on
            self.results.unsettled.append(f"session {self.index}: {title}: {what}: {str(exc).splitlines()[0]}")
            self._picture(f"class-load-session{self.index}-{title}-{what.replace(' ', '-')}")
            return False
        self.results.timings[title].append((elapsed, what))
        self.results.errors += [f"session {self.index}: {title}: {what}: exception: {t[:300]}" for t in shown]
        self.results.leaks += [f"session {self.index} sees {other!r} on {title} after {what}"
                               for other in self.others if other in seen]
        return True

    def _line(self, rnd: int) -> str:
        return LINES[(self.index + rnd) % len(LINES)]  # a new value each round, so each one reruns

    def _review(self, rnd: int) -> str:
        return f"{REVIEWS[(self.index + rnd) % len(REVIEWS)]}, said {self.word}"

    def _picture(self, name: str) -> None:
        """A screenshot of a failed interaction, where there is a browser."""

    def _pause(self) -> bool:
        """Between two interactions; True when a view the teacher showed took the tab meanwhile."""
        return False

    def _taken_away(self) -> bool:
        """Whether the last interaction's run followed a view the teacher showed (then done with)."""
        return False


# -- in a browser ---------------------------------------------------------------------------------


def listen(page, who: str, base: str, results: Results) -> None:
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


def new_page(browser, who: str, base: str, results: Results):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="en-GB")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    listen(page, who, base, results)
    return page


def seen_in(page) -> str:
    """What the session shows: the app's text, figures included, and the values of its fields."""
    return page.evaluate(_SEEN_JS)


class BrowserStudent(_Student):
    """One browser context, so one Streamlit session."""

    def __init__(self, browser, base: str, index: int, words: list[str], results: Results):
        super().__init__(index, words, results)
        self.base = base
        self.page = new_page(browser, f"session {index}", base, results)

    def open(self) -> None:
        open_page(self.page, self.base, "/", timeout=STEP_TIMEOUT_MS)

    def _switch(self, title: str) -> None:
        """The sidebar's link, then the page's own heading: `go` gives the rerun RERUN_GRACE_MS to
        begin, and a browser short of CPU may take longer, leaving the old page up and idle."""
        go(self.page, title, timeout=STEP_TIMEOUT_MS)
        self.page.get_by_role("heading", name=title, exact=True, level=1).wait_for(timeout=STEP_TIMEOUT_MS)
        wait_for_idle(self.page, timeout=STEP_TIMEOUT_MS)

    def _actions(self, title: str, rnd: int):
        page, w, t = self.page, self.word, STEP_TIMEOUT_MS
        line = self._line(rnd)
        if title == "Gates":
            return [("read a text", lambda: fill_text(page, "Text to read", f"{line}, {w}", timeout=t)),
                    ("show another unit", self._next_unit)]
        if title == "Sample":
            key = "ArrowRight" if rnd % 2 == 0 else "ArrowLeft"
            return [("prime", lambda: fill_text(page, PRIME, f"{line}, {w}", timeout=t)),
                    ("temperature", lambda: nudge_slider(page, "Temperature", key, timeout=t)),
                    ("generate", lambda: click_button(page, "Generate", timeout=t))]
        return [("review", lambda: fill_text(page, "Review", self._review(rnd), timeout=t))]

    def _next_unit(self) -> None:
        """Gates' unit box, whose label names the model's range ("Unit (0–255)"): one unit up
        (or down at the top)."""
        label = self.page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(r"^\s*Unit \("))
        box = self.page.locator('[data-testid="stNumberInput"]', has=label).first
        name = box.locator('[data-testid="stWidgetLabel"]').text_content().strip()
        top = int(re.search(r"(\d+)\)$", name)[1])
        unit = int(box.locator("input").input_value())
        fill_text(self.page, name, str(unit + 1 if unit < top else unit - 1), timeout=STEP_TIMEOUT_MS)

    def _exceptions(self) -> list[str]:
        return exception_texts(self.page)

    def _seen(self) -> str:
        return seen_in(self.page)

    def _picture(self, name: str) -> None:
        try:
            screenshot(self.page, name)
        except Exception:  # the picture is a courtesy: the page may be gone
            pass


# -- over the websocket ---------------------------------------------------------------------------


class WireStudent(_Student):
    """One websocket session: the browser's messages, the pages' elements, no drawing."""

    def __init__(self, base: str, index: int, words: list[str], results: Results,
                 think_s: tuple[float, float] = THINK_S, class_code: str = ""):
        super().__init__(index, words, results)
        self.base, self.think_s, self.class_code = base, think_s, class_code
        self.session: WireSession | None = None
        self._think = random.Random(index)
        self._shows_seen = 0  # of results.shows: those this tab has followed or passed by
        self._taken = False  # the last interaction's run followed the teacher's view

    def open(self) -> None:
        self.session = WireSession(self.base, timeout=STEP_TIMEOUT_MS / 1000)
        self.session.open()
        if self.class_code:
            self._join()

    def _join(self) -> None:
        """The sidebar's "Join a class": the code typed, Join; following the teacher is then on."""
        s = self.session
        seconds = s.set("Class code", self.class_code) + s.click("Join")
        _, follow = s.widget("Follow the teacher")
        if not follow.value:
            raise WireError("joined, but not following the teacher")
        self.results.joins.append(seconds)

    def _pause(self) -> bool:
        """Think with the tab open: its class check runs every 2 s, and follows a view shown."""
        try:
            runs = self.session.wait(self._think.uniform(*self.think_s))
        except Exception as exc:  # a check that did not answer: where the tab is now is unknown
            self.results.unsettled.append(f"session {self.index}: class check: {str(exc).splitlines()[0]}")
            return True
        followed = False
        for run in runs:
            if run.whole_page and self._followed(run.seconds, on_check=True):
                followed = True
            elif not run.whole_page:
                self.results.polls.append(run.seconds)
        return followed

    def _taken_away(self) -> bool:
        taken, self._taken = self._taken, False
        return taken

    def _followed(self, seconds: float, on_check: bool) -> bool:
        """After a run that began again (st.switch_page): whether it followed a view the teacher showed
        since the last one this tab saw. The banner's check runs in every run of the page, so a
        student's own click can carry a follow too (its time is then the click's). A follow is timed
        and its page checked as after any interaction: the view's page and settings, no exception, no
        other session's word."""
        now = time.monotonic()
        new = [show for show in self.results.shows[self._shows_seen:] if show[0] <= now]
        if not new:
            return False  # another kind of rerun
        self._shows_seen += len(new)
        at, title, params = new[-1]
        self.results.follows.append(("check" if on_check else "click", seconds, now - at))
        if self.session.page_hash != self.session.pages.get(title) or not any(
                kind == "heading" and e.heading.body == title for kind, e in self._elements()):
            self.results.errors.append(f"session {self.index}: followed the teacher, but not to {title}")
        wanted = [f"{k}={v}" for k, v in params.items()]
        if not all(w in self.session.query.split("&") for w in wanted):
            self.results.errors.append(f"session {self.index}: followed to {title}, but its address says "
                                       f"{self.session.query!r}, not {', '.join(wanted)}")
        self.results.errors += [f"session {self.index}: follow to {title}: exception: {t[:300]}"
                                for t in self._exceptions()]
        seen = self._seen()
        self.results.leaks += [f"session {self.index} sees {other!r} on {title} after a follow"
                               for other in self.others if other in seen]
        return True

    def _step(self, title: str, what: str, action) -> bool:
        started = time.monotonic()
        settled = super()._step(title, what, action)
        if settled and self.session.restarted:
            self._taken = self._followed(time.monotonic() - started, on_check=False)
        return settled

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    def _switch(self, title: str) -> None:
        self.session.go(title)
        if self.session.restarted and self.session.page_hash != self.session.pages.get(title):
            return  # a view the teacher showed took the tab elsewhere: _step tells
        if not any(kind == "heading" and e.heading.body == title for kind, e in self._elements()):
            raise WireError(f"the page's heading {title!r} is not shown")

    def _actions(self, title: str, rnd: int):
        s, w = self.session, self.word
        if title == "Gates":
            return [("read a text", lambda: s.set("Text to read", f"{self._line(rnd)}, {w}")),
                    ("show another unit", lambda: s.set("Unit (…", self._unit(rnd)))]
        if title == "Sample":
            return [("prime", lambda: s.set(PRIME, f"{self._line(rnd)}, {w}")),
                    ("temperature", lambda: s.set("Temperature", self._temperature(rnd))),
                    ("generate", lambda: s.click("Generate"))]
        return [("review", lambda: s.set("Review", self._review(rnd)))]

    def _unit(self, rnd: int) -> int:
        """A unit in the label's range ("Unit (0–255)"), another one each round."""
        _, proto = self.session.widget("Unit (…")
        top = int(re.search(r"(\d+)\)$", proto.label)[1])
        return (7 * self.index + rnd + 1) % (top + 1)

    def _temperature(self, rnd: int) -> str:
        _, proto = self.session.widget("Temperature")
        return proto.options[(self.index + rnd) % len(proto.options)]

    def _elements(self):
        return [(e.WhichOneof("type"), e) for e in self.session.run.elements.values()]

    def _exceptions(self) -> list[str]:
        return self.session.run.exceptions()

    def _seen(self) -> str:
        return self.session.run.text()
