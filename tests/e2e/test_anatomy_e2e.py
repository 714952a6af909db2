"""The Anatomy page in a real browser: one step in the open proved against Keras, the parameter
calculator, the gradient curves, and the memory test trained live (how long it takes:
bench/bench_memory_test.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpers import ARTIFACTS, assert_no_exception, click_button, screenshot, wait_for_idle

pytestmark = pytest.mark.e2e

TRAIN_TIMEOUT_MS = 150_000


@pytest.fixture(scope="module")
def anatomy_url(app_url):
    return app_url.rstrip("/") + "/anatomy"


def _main(page):
    return page.locator('[data-testid="stMain"]')


def _open_tab(page, name: str) -> None:
    tab = page.get_by_role("tab", name=name)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    wait_for_idle(page)


def _open(page, url: str):
    page.goto(url, wait_until="domcontentloaded", timeout=60_000)
    page.locator('[data-testid="stApp"]').wait_for(state="attached", timeout=60_000)
    wait_for_idle(page)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Anatomy of a cell", level=1)).to_be_visible()


def test_one_step_in_the_open_equals_keras(page, anatomy_url):
    _open(page, anatomy_url)
    main = _main(page)
    diagram = main.locator('img[alt^="LSTM cell: one time step"]')
    expect(diagram).to_be_visible(timeout=30_000)  # a data: image, decoded late on a busy machine (CI saw > 5 s)
    assert diagram.evaluate("img => img.naturalWidth > 0 && img.getBoundingClientRect().width >= 600")
    expect(main.get_by_text("forget gate", exact=False).first).to_be_visible()
    expect(main.get_by_text("Same as the engine", exact=False)).to_be_visible()
    screenshot(page, "anatomy-step")

    click_button(page, "Check against Keras", timeout=120_000)
    assert_no_exception(page)
    proof = main.get_by_text("Same as Keras", exact=False)
    expect(proof).to_be_visible()
    difference = float(re.search(r"to within ([0-9.]+e[+-][0-9]+)", main.inner_text()).group(1))
    assert difference < 1e-5
    proof.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "screenshots" / "anatomy-keras-viewport.png"))


def test_parameter_counting_and_keras(page, anatomy_url):
    _open(page, anatomy_url)
    _open_tab(page, "Counting parameters")
    click_button(page, "32 inputs, 40 units")
    main = _main(page)
    expect(main.locator('[data-testid="stMetricValue"]').first).to_have_text("11,680")
    click_button(page, "Count with Keras", timeout=120_000)
    expect(main.get_by_text("count_params() agrees", exact=False)).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "anatomy-parameters")


def test_vanishing_gradient_curves(page, anatomy_url):
    _open(page, anatomy_url)
    _open_tab(page, "Vanishing gradients")
    main = _main(page)
    expect(main.locator('[data-testid="stPlotlyChart"]').filter(visible=True).first).to_be_visible()
    expect(main.get_by_text("Per step back, the gradient is multiplied by", exact=False)).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "anatomy-gradients")


def test_memory_test_trains_live(page, anatomy_url):
    _open(page, anatomy_url)
    _open_tab(page, "Memory test")
    main = _main(page)
    click_button(page, "Train the three networks", timeout=60_000)
    # While it trains, a progress bar and (after the first checkpoint) the curves fill in.
    done = main.get_by_text(re.compile(r"Trained \d+ steps? \(seed \d+\) in \d+ s"))
    expect(done).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_for_idle(page)
    assert_no_exception(page)
    text = main.inner_text()
    m = re.search(r"Trained (\d+) steps? \(seed \d+\) in (\d+) s", text)
    steps = int(m.group(1))
    accuracy = {name: (int(a), int(b)) for name, a, b in
                re.findall(r"(SimpleRNN|GRU|LSTM): (\d+)% at N = 1, (\d+)% at N = 100", text)}
    assert set(accuracy) == {"SimpleRNN", "GRU", "LSTM"}, text[-2000:]
    if steps == 600:  # not cut short by a busy machine: the result the page is built to show
        assert accuracy["LSTM"][1] >= 90 and accuracy["GRU"][1] >= 90
        assert accuracy["SimpleRNN"][1] <= 50
    expect(main.get_by_text("Their gradients, before and after training")).to_be_visible()
    screenshot(page, "anatomy-memory")
