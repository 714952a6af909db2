"""Helpers for driving the Streamlit app in Playwright (sync API).

When is the app "idle"? Streamlit marks its root element ``[data-testid="stApp"]`` with
``data-test-script-state`` (``initial`` before the first run, then ``running`` /
``rerunRequested`` / ``stopRequested`` / ``notRunning`` / ``compilationError``) and
``data-test-connection-state`` (``CONNECTED`` once the websocket is up). The app is idle when it
is connected, the state is ``notRunning`` (or ``compilationError``: the script could not run),
the "Running..." icon of the status widget (``stStatusWidgetRunningIcon``) has gone (it lingers
about a frame after the state changes), and no placeholder is left: ``stAppSkeleton`` (the page
before its first run) or ``stSkeleton`` (an element whose lazily loaded code, e.g. st.slider's or
st.button's, has not arrived yet: these show as grey bars for a few hundred ms after the run).

After an interaction, a rerun may start a few milliseconds later, so waiting for "idle" right away
could pass on the previous run's state. ``_arm``/``wait_for_idle(after_action=True)`` therefore
watch the state attribute with a MutationObserver installed *before* the interaction and wait for
a change to be seen (or a short grace period with none: the interaction did not rerun) before
waiting for idle.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"

APP = '[data-testid="stApp"]'
EXCEPTION = '[data-testid="stException"]'
RUNNING_ICON = '[data-testid="stStatusWidgetRunningIcon"]'

DEFAULT_TIMEOUT_MS = 60_000  # a first run may import TensorFlow / load the pretrained model
RERUN_GRACE_MS = 1_500  # how long an interaction may take to start a rerun

_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.dataset.testConnectionState !== 'CONNECTED') return false;
    const state = app.dataset.testScriptState;
    if (state !== 'notRunning' && state !== 'compilationError') return false;
    if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
    // Placeholders: the page skeleton before the first run, and stSkeleton where a widget's
    // lazily loaded code (slider, button, ...) has not arrived yet.
    return !document.querySelector('[data-testid="stAppSkeleton"], [data-testid="stSkeleton"]');
}"""

_ARM_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (window.__lstmLabObserver) window.__lstmLabObserver.disconnect();
    window.__lstmLabStateChanges = 0;
    window.__lstmLabObserver = new MutationObserver(records => {
        window.__lstmLabStateChanges += records.length;
    });
    if (app) window.__lstmLabObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""

_CHANGED_JS = "() => (window.__lstmLabStateChanges || 0) > 0"


def url_for(app_url: str, path: str = "") -> str:
    """``/train``, ``train`` and ``""`` (home) all work."""
    return app_url.rstrip("/") + "/" + path.lstrip("/")


def _arm(page: Page) -> None:
    """Start counting script-state changes; call right before an interaction."""
    page.evaluate(_ARM_JS)


def wait_for_idle(page: Page, timeout: float = DEFAULT_TIMEOUT_MS, after_action: bool = False) -> None:
    """Wait until the script has finished running and the app is connected (see module doc).

    With ``after_action=True`` (and ``_arm`` called before the action) first wait up to
    ``RERUN_GRACE_MS`` for the rerun the action triggers to begin.
    """
    if after_action:
        try:
            page.wait_for_function(_CHANGED_JS, timeout=RERUN_GRACE_MS)
        except PlaywrightTimeoutError:
            pass  # nothing reran (e.g. the value did not change, or a widget inside a form)
    try:
        page.wait_for_function(_IDLE_JS, timeout=timeout, polling=100)
    except PlaywrightTimeoutError:
        state = page.evaluate("""() => { const a = document.querySelector('[data-testid="stApp"]');
            return a ? `script=${a.dataset.testScriptState} connection=${a.dataset.testConnectionState}` : 'no stApp'; }""")
        raise AssertionError(f"Streamlit app at {page.url} not idle after {timeout / 1000:.0f} s ({state})") from None


def open_page(page: Page, app_url: str, path: str = "", timeout: float = DEFAULT_TIMEOUT_MS) -> Page:
    """Load a page of the app (``""``/``"/"`` home, ``"/train"``, ``"/gates"``, ``"/sample"``) and
    wait until Streamlit has finished running its script."""
    page.goto(url_for(app_url, path), wait_until="domcontentloaded", timeout=timeout)
    page.locator(APP).wait_for(state="attached", timeout=timeout)
    wait_for_idle(page, timeout=timeout)
    return page


_EXCEPTION_BUTTONS = {"Copy", "Ask Google", "Ask ChatGPT"}  # the block's own buttons, not the error


def exception_texts(page: Page) -> list[str]:
    """The texts of the exception blocks the page shows (empty when there are none)."""
    texts = []
    for raw in page.locator(EXCEPTION).all_inner_texts():
        lines = [line for line in raw.splitlines() if line.strip() not in _EXCEPTION_BUTTONS]
        texts.append("\n".join(lines).strip())
    return texts


def assert_no_exception(page: Page) -> None:
    """Fail if the page shows a Streamlit exception block or a traceback; the message includes it."""
    problems = exception_texts(page)
    main_text = page.locator(APP).inner_text()
    if not problems and re.search(r"Traceback \(most recent call last\)|^\s*Traceback:?\s*$", main_text, re.M):
        problems = [main_text]
    if problems:
        shown = "\n---\n".join(p[:3000] for p in problems)
        raise AssertionError(f"{page.url} shows {len(problems)} exception(s):\n{shown}")


_CONTENT_HEIGHT_JS = """() => Math.max(...['stMain', 'stSidebarContent', 'stAppViewContainer']
    .map(id => document.querySelector(`[data-testid="${id}"]`))
    .filter(Boolean).map(e => e.scrollHeight), document.documentElement.scrollHeight)"""

MAX_SCREENSHOT_HEIGHT = 12_000


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as tests/artifacts/screenshots/NAME.png; return its path.

    Streamlit scrolls its main area and sidebar inside their own containers, so Playwright's
    ``full_page`` alone only captures the viewport: the viewport is stretched to the content's
    height for the shot, then put back.
    """
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = min(int(page.evaluate(_CONTENT_HEIGHT_JS)), MAX_SCREENSHOT_HEIGHT)
    if size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height})
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    try:
        page.evaluate("() => document.fonts.ready.then(() => true)")
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    finally:
        if size and height > size["height"]:
            page.set_viewport_size(size)
    return path


# -- widgets found by their label ---------------------------------------------------------------


def _open_collapsed_expanders(locator: Locator) -> None:
    """Open the collapsed st.expander (a <details>) around hidden matches, as a person would."""
    for match in locator.all():
        if match.is_visible():
            return
        if match.evaluate("e => { const d = e.closest('details'); return !!d && !d.open; }"):
            match.locator("xpath=ancestor::details[1]/summary").first.click()


def _one(locator: Locator, what: str) -> Locator:
    """The single visible match, with a clear error for none or several.

    A match inside a collapsed st.expander is revealed by opening the expander (no rerun).
    Widgets in a tab that is not selected are not: select the tab first.
    """
    try:
        locator.first.wait_for(state="attached", timeout=10_000)
        _open_collapsed_expanders(locator)
        visible = locator.filter(visible=True)
        visible.first.wait_for(state="visible", timeout=5_000)
    except PlaywrightTimeoutError:
        raise AssertionError(f"no visible {what} on the page") from None
    # While a rerun replaces the page, the old element and its successor can both be on screen for
    # a moment: count until one stays, and only several that stay are a label too vague.
    deadline = time.monotonic() + 5
    while (count := visible.count()) != 1:
        if time.monotonic() > deadline:
            if count == 0:
                raise AssertionError(f"no visible {what} on the page")
            raise AssertionError(f"{count} visible matches for {what}; give a more precise label")
        time.sleep(0.1)
    return visible.first


def _widget(page: Page, testids: tuple[str, ...], label: str) -> Locator:
    """The widget block (e.g. ``stTextInput``) whose label (``stWidgetLabel``) is exactly ``label``."""
    blocks = page.locator(", ".join(f'[data-testid="{t}"]' for t in testids))
    label_re = re.compile(rf"^\s*{re.escape(label)}\s*$")
    return _one(blocks.filter(has=page.locator('[data-testid="stWidgetLabel"]', has_text=label_re)),
                f"{'/'.join(testids)} labelled {label!r}")


def button(page: Page, label: str) -> Locator:
    """An st.button / st.form_submit_button / st.download_button by its label (icons ignored)."""
    blocks = page.locator('[data-testid="stButton"], [data-testid="stFormSubmitButton"], '
                          '[data-testid="stDownloadButton"]')
    return _one(blocks.get_by_role("button", name=label, exact=True), f"button {label!r}")


def click_button(page: Page, label: str, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Click a button and wait until the rerun it causes has finished."""
    target = button(page, label)
    expect(target).to_be_enabled(timeout=10_000)
    _arm(page)
    target.click()
    wait_for_idle(page, timeout=timeout, after_action=True)


def fill_text(page: Page, label: str, text: str, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Type into an st.text_input / st.text_area / st.number_input, commit it, wait for the rerun.

    The value is committed by leaving the field (Tab), as a person clicking elsewhere would; inside
    an st.form that only stores the value: call ``click_button(page, "<submit label>")`` next.
    """
    block = _widget(page, ("stTextInput", "stTextArea", "stNumberInput"), label)
    field = block.locator("textarea, input").first
    field.fill(text)
    _arm(page)
    field.press("Tab")
    wait_for_idle(page, timeout=timeout, after_action=True)


def select_option(page: Page, label: str, option: str, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Choose ``option`` (its displayed text) in an st.selectbox and wait for the rerun."""
    block = _widget(page, ("stSelectbox",), label)
    combo = block.get_by_role("combobox")
    combo.click()
    choice = _one(page.get_by_role("option", name=option, exact=True), f"option {option!r} of {label!r}")
    _arm(page)
    choice.click()
    wait_for_idle(page, timeout=timeout, after_action=True)


def slider_value(page: Page, label: str) -> str:
    """The value an st.slider shows (the text of its thumb), e.g. ``"128"``."""
    return _widget(page, ("stSlider",), label).locator('[data-testid="stSliderThumbValue"]').first.inner_text().strip()


def wait_until_settled(page: Page, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait for idle, then keep waiting while further reruns start within ``RERUN_GRACE_MS``.

    For interactions that send several widget updates in a row (a slider moved key by key),
    where the last rerun may begin after an earlier one has already finished.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        remaining = max(1.0, (deadline - time.monotonic()) * 1000)
        wait_for_idle(page, timeout=remaining)
        _arm(page)
        if not page.evaluate(_IDLE_JS):
            continue
        try:
            page.wait_for_function(_CHANGED_JS, timeout=RERUN_GRACE_MS)
        except PlaywrightTimeoutError:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"Streamlit app at {page.url} kept rerunning for {timeout / 1000:.0f} s")


MAX_SLIDER_PRESSES = 400


def set_slider(page: Page, label: str, value: float | str, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Move a single-thumb slider with the keyboard and wait for the reruns to settle.

    ``value`` a number: an st.slider's value. ``value`` a string: the option as the slider shows
    it, for an st.select_slider (e.g. ``"64"``, ``"1 min"``); this also works for an st.slider
    (its shown text, e.g. ``"0.50"``). Every key press commits a value and may start a rerun.
    """
    block = _widget(page, ("stSlider",), label)
    thumb = block.locator('input[type="range"]').first
    step = float(thumb.get_attribute("step") or 1)
    lo, hi = float(thumb.get_attribute("min")), float(thumb.get_attribute("max"))
    thumb.focus()
    if isinstance(value, str):
        def shown() -> str:
            return (thumb.get_attribute("aria-valuetext") or thumb.input_value()).strip()

        if shown() == value:
            return
        thumb.press("Home")
        for _ in range(MAX_SLIDER_PRESSES):
            if shown() == value:
                break
            if abs(float(thumb.input_value()) - hi) < step / 2:
                raise AssertionError(f"slider {label!r} has no option shown as {value!r}")
            thumb.press("ArrowRight")
        else:
            raise AssertionError(f"slider {label!r}: {value!r} not reached in {MAX_SLIDER_PRESSES} presses")
        wait_until_settled(page, timeout=timeout)
        return
    if not lo <= value <= hi:
        raise AssertionError(f"slider {label!r} goes from {lo:g} to {hi:g}; {value:g} is out of range "
                             "(for an st.select_slider, pass the option as a string)")
    current = float(thumb.input_value())
    if abs(value - current) < step / 2:
        return
    if abs(value - lo) < step / 2 or abs(value - hi) < step / 2:
        keys = ["Home" if abs(value - lo) < step / 2 else "End"]
    else:
        presses = round(abs(value - current) / step)
        if presses > MAX_SLIDER_PRESSES:
            raise AssertionError(f"slider {label!r}: {presses} key presses to reach {value:g}; too many")
        keys = ["ArrowRight" if value > current else "ArrowLeft"] * presses
    for key in keys:
        thumb.press(key)
    reached = float(thumb.input_value())
    if abs(reached - value) >= step / 2:
        raise AssertionError(f"slider {label!r} reached {reached:g}, not {value:g} (step {step:g})")
    wait_until_settled(page, timeout=timeout)


def nudge_slider(page: Page, label: str, key: str = "ArrowRight", timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Move a slider by one step (one key press: one rerun) and wait for that rerun.

    Unlike ``set_slider``, the wait ends as soon as the app is idle, with no settling grace
    after it, so the call can be timed as one interaction.
    """
    thumb = _widget(page, ("stSlider",), label).locator('input[type="range"]').first
    thumb.focus()
    _arm(page)
    thumb.press(key)
    wait_for_idle(page, timeout=timeout, after_action=True)


# -- moving around the app ----------------------------------------------------------------------


def go(page: Page, title: str, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Switch page as a person does, with the sidebar's navigation: the session stays the same
    (loading a URL would start a new one)."""
    _arm(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    wait_for_idle(page, timeout=timeout, after_action=True)


def prepare_training(page: Page, app_url: str, paste: str | None = None) -> None:
    """A new session on Train, set for the smallest, shortest training (8 units, 15 s); with
    ``paste``, on that text instead of the built-in one. Start is left to the caller."""
    open_page(page, app_url, "/")
    go(page, "Train")
    # A busy server (a class, trainings) can take a while to draw the settings after the switch.
    page.locator('[data-testid="stSlider"]', has_text="Units per layer").first.wait_for(state="visible",
                                                                                        timeout=90_000)
    # And let that run end: on a busy server the settings of a half-drawn run may be replaced as it finishes.
    wait_for_idle(page, timeout=120_000)
    if paste is not None:
        _arm(page)
        page.locator('[data-testid="stRadio"]').get_by_text("Paste text", exact=True).click()
        wait_for_idle(page, after_action=True)
        fill_text(page, "Your text", paste)
    set_slider(page, "Units per layer", "8")
    set_slider(page, "Training time", 0)  # the shortest, 15 s
