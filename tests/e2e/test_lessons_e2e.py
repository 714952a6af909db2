"""A lesson followed end to end in a real browser: a step opens its page set up as it needs, an answer
is checked, and a step that checks what the student did ticks itself after they did it."""

import pytest
from playwright.sync_api import expect

from helpers import (assert_no_exception, click_button, fill_text, go, open_page, screenshot, set_slider,
                     wait_for_idle, _arm)

pytestmark = pytest.mark.e2e


def _lesson(page, title: str) -> None:
    _arm(page)
    page.locator('[data-testid="stRadio"]').get_by_text(title, exact=True).click()
    wait_for_idle(page, after_action=True)


def test_counting_parameters_then_temperature_end_to_end(page, app_url):
    open_page(page, app_url, "/")
    go(page, "Lessons")
    expect(page.get_by_role("heading", name="Lessons", level=1)).to_be_visible()
    _lesson(page, "3. Counting parameters")
    click_button(page, "Open Anatomy")  # opens Anatomy on its "Counting parameters" tab
    expect(page.get_by_role("tab", name="Counting parameters", selected=True)).to_be_visible()
    expect(page.get_by_text("How many numbers does a recurrent network learn?")).to_be_visible()
    go(page, "Lessons")
    question = "How many parameters has an LSTM(64) layer that reads 100-dimensional word vectors?"
    fill_text(page, question, "42000")
    click_button(page, "Check")
    expect(page.get_by_text("Not quite.", exact=False)).to_be_visible()
    fill_text(page, question, "42240")
    click_button(page, "Check")
    expect(page.get_by_text("Right.", exact=True)).to_be_visible()
    expect(page.get_by_text("✓ 3. Counting parameters", exact=True)).to_be_visible()

    _lesson(page, "5. Sampling and temperature")
    click_button(page, "Open Sample")
    expect(page.get_by_role("heading", name="Sample", level=1)).to_be_visible()
    expect(page.get_by_text("temperature 0.2, seed", exact=False).first).to_be_visible()  # it wrote at 0.2
    set_slider(page, "Temperature", "1.5")
    click_button(page, "Generate")
    expect(page.get_by_text("temperature 1.5, seed", exact=False).first).to_be_visible()
    go(page, "Lessons")
    expect(page.get_by_text("Step 1 ✓", exact=True)).to_be_visible()  # it saw both temperatures
    _arm(page)
    page.locator('[data-testid="stRadio"]').filter(has_text="Which temperature").get_by_text("0.2", exact=True).click()
    wait_for_idle(page, after_action=True)
    click_button(page, "Check")
    expect(page.get_by_text("✓ 5. Sampling and temperature", exact=True)).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "lessons")
