"""The Sentiment page in a real browser: classify as you type, the trajectory, word importance, the gates,
the accuracy tab, and hostile text shown as text (no script runs). Screenshots go to
tests/artifacts/screenshots/sentiment*.png.

Training is not driven here (minutes of CPU on a loaded machine); the AppTest tests cover it with
tiny models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from helpers import assert_no_exception, fill_text, open_page, screenshot, wait_for_idle, _arm

pytestmark = pytest.mark.e2e

PAGE = "pages/sentiment.py"
HOSTILE = "<img src=x onerror=alert(1)> <script>alert(2)</script> not good"


@pytest.fixture(autouse=True)
def _page_registered():
    app_dir = Path(os.environ.get("LSTM_LAB_E2E_APP_DIR") or Path(__file__).resolve().parents[2])
    if PAGE not in (app_dir / "ui" / "shell.py").read_text(encoding="utf-8"):
        pytest.skip(f"app.py does not list {PAGE} in its navigation yet")


def _main(page):
    return page.locator('[data-testid="stMain"]')


def _open(page, app_url) -> None:
    open_page(page, app_url, "/sentiment")


def _click(page, locator) -> None:
    _arm(page)
    locator.click()
    wait_for_idle(page, after_action=True)


def _choose_view(page, name: str) -> None:
    _click(page, _main(page).locator('[data-testid="stButtonGroup"]').get_by_role("radio", name=name, exact=True))


def _open_tab(page, name: str) -> None:
    tab = _main(page).get_by_role("tab", name=name)
    _click(page, tab)
    expect(tab).to_have_attribute("aria-selected", "true")


def test_classify_views_render(page, app_url):
    _open(page, app_url)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Sentiment", level=1)).to_be_visible()
    cards = _main(page).locator("div.sentiment-card")
    expect(cards.first).to_be_visible()
    expect(cards).to_have_count(2)
    expect(_main(page).locator('[data-testid="stPlotlyChart"] .scatterlayer').first).to_be_attached()
    screenshot(page, "sentiment")

    fill_text(page, "Review", "The acting was not bad at all, and the music is wonderful.")
    assert_no_exception(page)
    expect(cards.first).to_contain_text("positive")
    expect(_main(page).locator('[data-testid="stPlotlyChart"] .xtick').filter(has_text="wonderful").first)\
        .to_be_attached()

    _choose_view(page, "Word importance")
    words = _main(page).locator("div.sentiment-importance span[data-pos]")
    expect(words.first).to_be_visible()
    assert "without it P(positive)" in (words.first.get_attribute("title") or "")
    screenshot(page, "sentiment-importance")

    _choose_view(page, "Gates")
    expect(_main(page).locator('[data-testid="stPlotlyChart"] g.heatmaplayer').first).to_be_attached()
    screenshot(page, "sentiment-gates")
    assert_no_exception(page)

    _open_tab(page, "How good is it?")
    expect(_main(page).get_by_text("All test reviews", exact=False).first).to_be_visible()
    screenshot(page, "sentiment-accuracy")

    _open_tab(page, "Retrain")
    expect(_main(page).get_by_role("button", name="Compare SimpleRNN, LSTM and GRU")).to_be_visible()
    screenshot(page, "sentiment-retrain")
    assert_no_exception(page)


def test_hostile_and_long_text(page, app_url):
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    _open(page, app_url)
    fill_text(page, "Review", HOSTILE)
    assert_no_exception(page)
    _choose_view(page, "Word importance")
    box = _main(page).locator("div.sentiment-importance")
    expect(box).to_contain_text("<script>")  # the payload is shown as words (text), never as markup
    assert _main(page).locator('img[src="x"]').count() == 0
    assert box.locator("script").count() == 0
    box.locator("span[data-pos]").first.hover()
    page.wait_for_timeout(300)

    fill_text(page, "Review", "great " * 20_000)
    assert_no_exception(page)
    expect(_main(page).get_by_text("the classifier reads only its first", exact=False)).to_be_visible()
    fill_text(page, "Review", "😀 !!!")
    assert_no_exception(page)
    expect(_main(page).get_by_text("no words here", exact=False)).to_be_visible()
    screenshot(page, "sentiment-odd-input")
    assert dialogs == [], f"a dialog opened: {dialogs}"
