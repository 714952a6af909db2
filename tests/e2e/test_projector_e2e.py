"""Projector mode in a real browser, at the projector's 1280×800 and an older 1024×768, in English and
in Chinese: switched on, it closes the sidebar, every metric's value is at least 40 px, labels, inputs and
buttons grow (a long button label wraps, it is not cut), and each page's main figure or text still starts
on the first screen. The first screens are saved as tests/artifacts/screenshots/projector-*.png."""

import pytest
from playwright.sync_api import expect

from helpers import SCREENSHOTS, APP, _arm, assert_no_exception, open_page, wait_for_idle
from lstm_core import i18n

pytestmark = pytest.mark.e2e

SIDEBAR = '[data-testid="stSidebar"]'
MAIN = '[data-testid="stMain"]'
SWITCH = "Projector: larger text"
# Per page (its title in the navigation): what a class must see on the first screen.
FIGURES = {
    "Home": f'{MAIN} [data-testid="stHtml"] img',  # the cell diagram
    "Gates": ".gates-text",
    "Sample": "pre.sample-output",
    "Train": f'{MAIN} [data-testid="stButton"] button',  # Start
    "Anatomy": f'{MAIN} [data-testid="stHtml"] img',  # the step drawn on the cell
    "Sentiment": ".sentiment-card",  # the verdict, under the review
}
MIN_METRIC_PX = 40
MIN_TEXT_PX = 18  # labels, inputs, text boxes, buttons: 14 px without the switch

# Font sizes of what the main area shows, each as (kind, text, px), and what is cut short.
_SIZES_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const shown = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const px = e => parseFloat(getComputedStyle(e).fontSize);
  const out = {metrics: [], texts: [], cut: []};
  for (const value of main.querySelectorAll('[data-testid="stMetricValue"]')) {
    // The element that holds the text decides its size (a <p> inside the value did: 19 px).
    for (const e of [value, ...value.querySelectorAll('*')])
      if ([...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        out.metrics.push([value.innerText, px(e)]);
  }
  const kinds = {label: '[data-testid="stWidgetLabel"] p', input: 'input[type="text"], input[type="number"]',
                 textbox: 'textarea', button: 'button [data-testid="stMarkdownContainer"] p'};
  for (const [kind, selector] of Object.entries(kinds))
    for (const e of main.querySelectorAll(selector))
      if (shown(e)) out.texts.push([kind, e.innerText || e.value, px(e)]);
  for (const e of main.querySelectorAll('button [data-testid="stMarkdownContainer"]'))
    if (shown(e) && e.scrollWidth > e.clientWidth + 1) out.cut.push(e.innerText);
  return out;
}"""


def _collapsed(page) -> str | None:
    return page.locator(SIDEBAR).get_attribute("data-collapsed")


def _switch(page, label: str) -> None:
    """Click the projector switch (in the sidebar, which must be open) and wait for the rerun."""
    _arm(page)
    page.locator(SIDEBAR).locator('[data-testid="stCheckbox"]').filter(has_text=label).click()
    wait_for_idle(page, after_action=True)


def _go(page, title: str) -> None:
    """The navigation's link, clicked while the sidebar is closed (it stays closed, as on a projector)."""
    _arm(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).dispatch_event("click")
    wait_for_idle(page, after_action=True)


def _check_sizes(page, where: str) -> None:
    sizes = page.evaluate(_SIZES_JS)
    small = [(text, size) for text, size in sizes["metrics"] if size < MIN_METRIC_PX]
    assert not small, f"{where}: metric values under {MIN_METRIC_PX} px: {small}"
    small = [t for t in sizes["texts"] if t[2] < MIN_TEXT_PX]
    assert not small, f"{where}: text under {MIN_TEXT_PX} px: {small[:8]}"
    assert not sizes["cut"], f"{where}: button labels cut: {sizes['cut']}"


def _on_first_screen(page, locator, where: str) -> None:
    """All of it on the screen without scrolling, or, if taller, its first 120 px."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    assert box["y"] >= 0 and box["y"] + min(box["height"], 120) <= height, \
        f"{where}: the main figure starts at y = {box['y']:.0f}, below the first screen ({height} px)"


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)], ids=["1280x800", "1024x768"])
def test_projector_mode_is_large_and_keeps_each_figure_on_the_first_screen(browser, app_url, size, language):
    width, height = size
    t = i18n.catalog(language).gettext
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                  locale="en-GB")
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        open_page(page, app_url, "/?lang=en")
        if language == "zh":  # with the sidebar's switch, as a teacher would
            page.locator(SIDEBAR).get_by_text("简体中文", exact=True).click()
            expect(page.locator('[data-testid="stSidebarNav"]').get_by_text(t("Sample"), exact=True)).to_be_visible()
            wait_for_idle(page)
        assert _collapsed(page) == "false"
        _switch(page, t(SWITCH))
        expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "true")
        for title, figure in FIGURES.items():
            where = f"{title} ({language}, {width}×{height})"
            if title != "Home":
                _go(page, t(title))
            _on_first_screen(page, page.locator(figure).first, where)
            _check_sizes(page, where)
            assert_no_exception(page)
            page.screenshot(path=str(SCREENSHOTS / f"projector-{language}-{width}-{title.lower()}.png"))
            if title == "Anatomy":  # the parameter count, and its example buttons ("300 输入，5…" was cut)
                _arm(page)
                page.get_by_role("tab", name=t("Counting parameters")).click()
                wait_for_idle(page, after_action=True)
                expect(page.locator(f'{MAIN} [data-testid="stMetricValue"]').first).to_be_visible()
                _check_sizes(page, f"{where}, {t('Counting parameters')}")
        assert _collapsed(page) == "true"
    finally:
        context.close()


def test_switching_on_again_closes_the_sidebar_the_reader_opened(page, app_url):
    """Streamlit keeps a reader's own opening or closing of the sidebar over the app's wish: after
    opening it to switch off, switching on must close it again. A new tab of the workspace starts closed."""
    open_page(page, app_url, "/gates?lang=en")
    _switch(page, SWITCH)
    expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "true")
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "false")
    _switch(page, SWITCH)  # off: the sidebar stays open, the text is back to its size
    expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "false")
    assert page.evaluate(_SIZES_JS)["texts"][0][2] < MIN_TEXT_PX
    _switch(page, SWITCH)
    expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "true")

    other = page.context.browser.new_context(viewport=page.viewport_size, locale="en-GB")
    try:
        tab = other.new_page()  # the same address: the same workspace, where the switch is on
        tab.goto(page.url, wait_until="domcontentloaded")
        tab.locator(APP).wait_for(state="attached")
        wait_for_idle(tab)
        expect(tab.locator(SIDEBAR)).to_have_attribute("data-collapsed", "true")
    finally:
        other.close()
