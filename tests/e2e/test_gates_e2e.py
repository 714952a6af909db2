"""The Gates page in a real browser: coloured text, heat map, saturation plot, pattern search, and
hostile text shown as text (no script runs)."""

import pytest
from playwright.sync_api import expect

from helpers import assert_no_exception, fill_text, open_page, screenshot, wait_for_idle

pytestmark = pytest.mark.e2e

HOSTILE = "<img src=x onerror=alert(1)> <script>alert(2)</script> \"quoted\" café"


def _main(page):
    return page.locator('[data-testid="stMain"]')


def _open_tab(page, name: str) -> None:
    tab = page.get_by_role("tab", name=name)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


def test_gates_views_render(page, app_url):
    open_page(page, app_url, "/gates")
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Gates", level=1)).to_be_visible()

    coloured = _main(page).locator("div.gates-text").first
    expect(coloured).to_be_visible()
    expect(coloured).to_contain_text("To be, or not to be")
    # One span per character, each with a tooltip carrying the value and the next-character guesses.
    first = coloured.locator("span[data-pos]").first
    assert "next-character guesses" in (first.get_attribute("title") or "")
    screenshot(page, "gates")

    _open_tab(page, "All units")
    expect(_main(page).locator('[data-testid="stPlotlyChart"] g.heatmaplayer').first).to_be_attached()
    expect(_main(page).locator('[data-testid="stPlotlyChart"]:visible').first).to_be_visible()
    screenshot(page, "gates-heatmap")

    _open_tab(page, "Gate saturation")
    # Plotly lays the figure out after it arrives: on a busy machine that can take more than 5 s.
    expect(_main(page).locator('[data-testid="stPlotlyChart"]:visible').get_by_text("saturated", exact=False)
           .first).to_be_visible(timeout=30_000)
    screenshot(page, "gates-saturation")

    _open_tab(page, "Find units for a pattern")
    expect(_main(page).locator("div.gates-text:visible").first).to_be_visible()
    screenshot(page, "gates-pattern")
    assert_no_exception(page)


def test_hostile_text_is_shown_not_run(page, app_url):
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    open_page(page, app_url, "/gates")
    _main(page).get_by_text("Change the text", exact=False).click()
    fill_text(page, "Text to read", HOSTILE)
    wait_for_idle(page)
    assert_no_exception(page)
    # The box stays open for the next edit, though its label (the text's length) changed.
    expect(_main(page).locator("details").filter(has_text="Change the text").first).to_have_attribute("open", "")

    coloured = _main(page).locator("div.gates-text").first
    expect(coloured).to_contain_text("<img src=x onerror=alert(1)>")
    expect(coloured).to_contain_text("<script>alert(2)</script>")
    # The payload is text: no element was made from it.
    assert _main(page).locator('img[src="x"]').count() == 0
    assert coloured.locator("script").count() == 0
    # Characters the model never saw are named in a note.
    expect(_main(page).get_by_text("The model never saw", exact=False)).to_be_visible()
    # Hovering the payload shows its tooltip and still runs nothing.
    coloured.locator("span[data-pos]").nth(5).hover()
    page.wait_for_timeout(500)
    screenshot(page, "gates-hostile")
    assert dialogs == [], f"a dialog opened: {dialogs}"
