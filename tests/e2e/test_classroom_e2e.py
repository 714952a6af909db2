"""A classroom on one server: five browser sessions at once, three of them training.

One model trains at a time (the e2e server runs with LSTM_LAB_MAX_TRAININGS=1, as a two-core
machine would by default), so the second and third trainings wait in a queue that says where
they stand. Meanwhile two other sessions browse Gates, Sample and Sentiment, and every
interaction there settles. Every training finishes or is stopped cleanly, and no session sees
another's model or text. Behaviour only: the interactions' times are printed and written to
artifacts/classroom-timings.json; the speed goal is bench/bench_class_load.py's to measure.
"""

import json
import time

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS, VIEWPORT
from helpers import (APP, assert_no_exception, button, click_button, fill_text, go, open_page, prepare_training,
                     screenshot)

pytestmark = pytest.mark.e2e

SECRET = "Zebra quartz vexes the jumpy lynx by the old fjord. "  # only session A's text contains it
PAUSE_MS = 300


def new_session(browser):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="en-GB")
    context.set_default_timeout(30_000)
    return context, context.new_page()


def timed(timings, what, action):
    started = time.monotonic()
    action()
    timings.append((what, time.monotonic() - started))


def test_five_sessions_three_trainings_one_queue(browser, app_url):
    contexts, pages = [], []
    for _ in range(5):
        context, page = new_session(browser)
        contexts.append(context)
        pages.append(page)
    a, b, c, d, e = pages
    timings = []
    try:
        prepare_training(a, app_url, paste=SECRET * 40)
        prepare_training(b, app_url)
        prepare_training(c, app_url)
        for page, title in ((d, "Gates"), (e, "Sample")):
            open_page(page, app_url, "/")
            go(page, title)

        click_button(a, "Start")
        click_button(b, "Start")
        click_button(c, "Start")
        expect(b.get_by_text("number 1 in line", exact=False)).to_be_visible(timeout=15_000)
        expect(c.get_by_text("number 2 in line", exact=False)).to_be_visible(timeout=15_000)
        screenshot(c, "classroom-queued")

        # The third leaves the queue: nothing was trained, and it says so.
        click_button(c, "Stop")
        expect(c.get_by_text("waiting for a free training slot", exact=False)).to_be_visible(timeout=15_000)
        expect(button(c, "Start")).to_be_enabled()

        # The trainers look at something else meanwhile (their training goes on; and on one machine
        # their three browsers redrawing a live chart every second would compete with the two below,
        # which in a classroom run on the students' own computers).
        for page in (a, b, c):
            go(page, "Home")

        # Browsing while A trains and B waits: every interaction answers within the limit. One
        # untimed interaction per page first: the browser fetches a widget's code on first use.
        fill_text(d, "Text to read", "Warm up")
        click_button(e, "Generate")
        texts = ["To be, or not to be", "Friends, Romans, countrymen", "Out, damned spot! Out, I say!"]
        reviews = ["A wonderful, moving film.", "Dull, slow and far too long.", "Not bad at all."]
        for text in texts:
            timed(timings, f"gates: read {text!r}", lambda: fill_text(d, "Text to read", text))
            timed(timings, "sample: generate", lambda: click_button(e, "Generate"))
            d.wait_for_timeout(PAUSE_MS)
        go(e, "Sentiment")
        for review in reviews:
            timed(timings, f"sentiment: classify {review!r}", lambda: fill_text(e, "Review", review))
            timed(timings, "gates: read again", lambda: fill_text(d, "Text to read", review))
            e.wait_for_timeout(PAUSE_MS)
        for page in (d, e):
            assert_no_exception(page)

        # A finishes, then B's turn comes and it finishes too.
        for page in (a, b):
            go(page, "Train")
        expect(a.get_by_text("Finished:", exact=False)).to_be_visible(timeout=120_000)
        expect(b.get_by_text("Finished:", exact=False)).to_be_visible(timeout=180_000)
        for page in (a, b, c):
            assert_no_exception(page)

        # Nobody sees another's model or text: only A's sidebar lists a model trained on A's text,
        # only B's lists B's, and the browsing sessions list none.
        def sidebar_models(page):
            go(page, "Sample")
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.get_by_role("combobox").click()
            options = page.get_by_role("option").all_inner_texts()
            page.keyboard.press("Escape")
            return options

        models_a, models_b, models_d = sidebar_models(a), sidebar_models(b), sidebar_models(d)
        assert sum(m.startswith("Trained here at ") for m in models_a) == 1 and any("Pasted" in m or "pasted" in m
                                                                          for m in models_a), models_a
        assert sum(m.startswith("Trained here at ") for m in models_b) == 1 and not any("asted" in m for m in models_b)
        assert not any(m.startswith("Trained here at ") for m in models_d), models_d
        for page in (b, c, d, e):
            assert SECRET.strip() not in page.locator(APP).inner_text()
    finally:
        (ARTIFACTS / "classroom-timings.json").write_text(json.dumps(timings, indent=1))
        for context in contexts:
            context.close()
    slowest = sorted(timings, key=lambda t: -t[1])[:3]
    print("slowest interactions while others trained:", [(what, round(s, 2)) for what, s in slowest])
