"""The Sample page in a real browser: it opens with a text, Generate types a new one out, the
comparison and the step inspector are drawn, and bad input gives messages rather than errors."""

import re

import pytest
from playwright.sync_api import expect

from helpers import (assert_no_exception, button, click_button, fill_text, open_page, screenshot, set_slider,
                     wait_for_idle, _arm)
from helpers_training import wait_for

pytestmark = pytest.mark.e2e

OUTPUT = "pre.sample-output"
COMPARE = "pre.sample-compare"


def open_sample(page, app_url):
    # Enter through the home page first, as a class does: a Streamlit server that has not yet run
    # app.py serves /sample as a bare page, without the app's navigation and sidebar.
    open_page(page, app_url, "/")
    open_page(page, app_url, "/sample")
    assert_no_exception(page)


def test_sample_generates_and_explains(page, app_url):
    open_sample(page, app_url)
    expect(page.get_by_role("heading", name="Sample", level=1)).to_be_visible()
    output = page.locator(OUTPUT)
    expect(output).to_have_count(1)
    expect(output).to_contain_text("HAMLET")  # the prime, then the text written on first visit
    first = output.inner_text()
    assert len(first) > 300

    fill_text(page, "Seed", "5")
    expect(page.get_by_text("The settings have changed since")).to_be_visible()

    # The browser types the text out: its pieces appear one after another, then all are shown.
    fill_text(page, "Length", "2000")
    target = button(page, "Generate")
    _arm(page)
    target.click()
    wait_for_idle(page, after_action=True)
    assert_no_exception(page)
    pieces = output.locator(".lab-typed")
    expect(pieces).to_have_count(40)
    typing = pieces.evaluate_all("els => els.map(e => [getComputedStyle(e).animationName, "
                                 "parseFloat(getComputedStyle(e).animationDelay)])")
    assert {name for name, _ in typing} == {"lab-typed"}
    delays = [delay for _, delay in typing]
    assert delays == sorted(delays) and delays[0] == 0 and 0.5 < delays[-1] < 1
    # When the last delay has passed, every piece is shown.
    wait_for(lambda: set(pieces.evaluate_all("els => els.map(e => getComputedStyle(e).opacity)")) == {"1"}, 10,
             "every piece of the typed text to show", interval=0.1)
    written = output.inner_text()
    assert written != first and len(written) > 2000
    expect(page.get_by_text("2,000 characters")).to_be_visible()

    # Three temperatures side by side, and the step inspector with its two charts.
    expect(page.locator(COMPARE)).to_have_count(3)
    for t in ("T = 0.2", "T = 0.5", "T = 1"):
        expect(page.get_by_text(t, exact=False).first).to_be_visible()
    set_slider(page, "Character to inspect (its number in the generated text)", 12)
    assert_no_exception(page)
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    expect(page.locator(".js-plotly-plot .annotation-text", has_text="drawn")).to_be_visible()

    # Back to the default length for the picture a teacher would project.
    fill_text(page, "Length", "400")
    click_button(page, "Generate")
    assert_no_exception(page)
    page.locator(OUTPUT).scroll_into_view_if_needed()
    screenshot(page, "sample")


def test_sample_bad_input_gives_messages_not_errors(page, app_url):
    open_sample(page, app_url)
    fill_text(page, "Prime: the model reads this first, then carries on", "ROMEO ✨ ü\n")
    expect(page.get_by_text(re.compile("never appeared in the model’s training text"))).to_be_visible()
    click_button(page, "Generate")
    assert_no_exception(page)
    expect(page.locator(OUTPUT)).to_contain_text("ROMEO ✨ ü")

    fill_text(page, "Prime: the model reads this first, then carries on", "")
    expect(page.get_by_text(re.compile("The prime is empty"))).to_be_visible()
    _arm(page)
    page.get_by_text("Greedy (temperature 0)", exact=True).click()
    wait_for_idle(page, after_action=True)
    set_slider(page, "Top-k", 1)
    click_button(page, "Generate")
    assert_no_exception(page)
    expect(page.get_by_text(re.compile("Only the single likeliest character"))).to_be_visible()
    # text_content, not inner_text: the latter trims a trailing space the model may well have written.
    assert len(page.locator(OUTPUT).text_content()) >= 400
    screenshot(page, "sample-edge-cases")
