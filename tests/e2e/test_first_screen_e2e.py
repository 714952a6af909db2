"""The first screen at 1280×800, the projector size: each page's main action and its result are
visible without scrolling (checked from element positions), and Sample's comparison is one click
away. At 125% zoom no control's label is cut. Each first screen is saved for the README
(tests/artifacts/screenshots/first-*.png)."""

import pytest
from playwright.sync_api import expect

from helpers import SCREENSHOTS, assert_no_exception, go, open_page
from helpers_training import wait_for

pytestmark = pytest.mark.e2e

MAIN = '[data-testid="stMain"]'
# Per page: what a class must see on the first screen (a Playwright locator on the main area).
FIRST_SCREEN = {
    "Lessons": [('button', "Open Anatomy")],
    "Train": [('button', "Start")],
    "Gates": [('tab', "Text, one unit"), ('text', "on this text")],
    "Sample": [('button', "Generate"), ('css', ".sample-output"),
               ('link', "Compare: the same prime at three temperatures")],
    "Sentiment": [('text', "probability of positive")],
    "Anatomy": [('text', "Position t (the character being read)"), ('text', "Inputs of step t.")],
}


def _find(page, kind: str, what: str):
    main = page.locator(MAIN)
    if kind == "css":
        return main.locator(what).first
    if kind == "text":
        return main.get_by_text(what, exact=False).first
    return main.get_by_role(kind, name=what, exact=kind != "link").first


def _on_first_screen(page, locator) -> bool:
    """The element is on the screen without scrolling: all of it, or, if taller, its first 120 px
    (the start of a long text is what shows it is there)."""
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 120) <= height


def test_every_page_shows_its_main_action_on_the_first_screen(page, app_url):
    open_page(page, app_url, "/")
    expect(page.get_by_role("heading", name="LSTM Lab", level=1)).to_be_visible()
    for title, wanted in FIRST_SCREEN.items():
        go(page, title)
        for kind, what in wanted:
            found = _find(page, kind, what)
            expect(found).to_be_visible()
            assert _on_first_screen(page, found), f"{title}: “{what}” is below the first screen at 1280×800"
        assert_no_exception(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"first-{title.lower()}.png"))


def test_the_sample_comparison_is_one_click_away(page, app_url):
    open_page(page, app_url, "/")
    go(page, "Sample")
    heading = page.locator(MAIN).get_by_role("heading", name="Same prime, same seed, three temperatures")
    assert not _on_first_screen(page, heading)  # else the link would not be needed
    page.locator(MAIN).get_by_role("link", name="Compare: the same prime at three temperatures").click()
    # The scroll is smooth: wait for the heading to arrive rather than for a guessed time.
    wait_for(lambda: _on_first_screen(page, heading), 10, "the comparison's heading to come into view",
             interval=0.1)
    assert_no_exception(page)


def test_no_label_is_cut_at_125_percent_zoom(browser, app_url):
    # 125% zoom in a 1280×800 window: a 1024×640 CSS viewport drawn at 1.25 device pixels per pixel.
    context = browser.new_context(viewport={"width": 1024, "height": 640}, device_scale_factor=1.25,
                                  locale="en-GB")
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        open_page(page, app_url, "/")
        for title in ("Gates", "Sample", "Anatomy", "Train"):
            go(page, title)
            labels = page.evaluate("""() => [...document.querySelectorAll(
                '[data-testid="stMain"] [data-testid="stWidgetLabel"]')].map(e => {
                    const r = e.getBoundingClientRect(), text = e.querySelector('p, label') || e;
                    return {text: e.innerText, height: r.height, scroll: text.scrollWidth,
                            client: text.clientWidth};
                })""")
            assert labels, f"{title}: no labels found"
            cut = [label["text"] for label in labels if label["scroll"] > label["client"] + 1]
            assert not cut, f"{title}: labels cut at 125% zoom: {cut}"
            # A label squeezed into a narrow column breaks into three or more lines ("Unit (0–" / "255)").
            squeezed = [label["text"] for label in labels if label["height"] > 50]
            assert not squeezed, f"{title}: labels squeezed onto three lines or more at 125% zoom: {squeezed}"
            assert_no_exception(page)
    finally:
        context.close()
