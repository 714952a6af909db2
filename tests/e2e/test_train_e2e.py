"""The Train page in a real browser: a small model trains live, the chart grows, samples appear,
and the finished model becomes the active one with a download button. While it trains, the chart
and the numbers start on the first screen, on processors with and without native bfloat16, in
English and in Chinese."""

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS, streamlit_server
from helpers import (_arm, assert_no_exception, button, click_button, open_page, prepare_training, screenshot,
                     set_slider, wait_for_idle)
from helpers_training import wait_for

pytestmark = pytest.mark.e2e

CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
# Plotly keeps the traces it drew on its graph div (_fullData, arrays decoded); trace 0 is the raw
# training loss, one point per step.
POINTS_JS = f"""() => {{
    const gd = document.querySelector('{CHART}');
    const traces = gd && gd._fullData;
    return traces && traces.length && traces[0].x ? traces[0].x.length : 0;
}}"""


def chart_points(page) -> int:
    return int(page.evaluate(POINTS_JS) or 0)


def wait_until(predicate, timeout_s: float, what: str, page=None):
    """helpers_training.wait_for, polling a page twice a second; on timeout, an exception the page
    shows is the better message."""
    try:
        return wait_for(predicate, timeout_s, what, interval=0.5)
    except AssertionError:
        if page is not None:
            assert_no_exception(page)
        raise


def test_train_a_small_model_live(page, app_url):
    # The home page first: until some session has run app.py (st.navigation), a server that was
    # opened straight at /train treats pages/ as an old-style pages folder, without the app's sidebar.
    open_page(page, app_url, "/")
    open_page(page, app_url, "/train")
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Train a model", level=1)).to_be_visible()
    expect(page.get_by_text("Parameters", exact=True).first).to_be_visible()
    screenshot(page, "train-start")

    # A small model: 64 units (index 3 of the choices), 15 s of training (index 0).
    set_slider(page, "Units per layer", 3)
    set_slider(page, "Training time", 0)
    expect(page.get_by_text("4·(m + n + 1)·n = 4·(32 + 64 + 1)·64")).to_be_visible()
    assert_no_exception(page)

    click_button(page, "Start")
    expect(button(page, "Stop")).to_be_enabled(timeout=10_000)
    expect(button(page, "Start")).to_be_disabled()

    # The chart appears once TensorFlow has traced the first step, then keeps growing.
    first = wait_until(lambda: chart_points(page), 120, "the first points of the loss chart", page)
    wait_until(lambda: chart_points(page) > first, 30, "the loss chart to grow", page)
    # Samples of the text the network writes, at both temperatures, labelled with their step.
    expect(page.get_by_text("What the network writes now", exact=False)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Temperature 0.5 · step", exact=False)).to_be_visible()
    expect(page.get_by_text("Temperature 1 · step", exact=False)).to_be_visible()
    expect(page.locator('[data-testid="stProgress"]')).to_be_visible()
    assert_no_exception(page)
    more = chart_points(page)
    wait_until(lambda: chart_points(page) > more + 20, 60, "more of the curve for the picture", page)
    screenshot(page, "train-running")

    # 15 s later it has finished: saved, active in the sidebar, downloadable.
    expect(page.get_by_text("Finished:", exact=False)).to_be_visible(timeout=90_000)
    expect(button(page, "Download model (.zip)")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("is now the", exact=False)).to_be_visible()
    # The sidebar's model card now describes the model just trained (the pretrained one had 150 steps).
    steps = page.locator('[data-testid="stMetric"]').filter(has_text="Step").locator(
        '[data-testid="stMetricValue"]').inner_text().strip()
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text(f"Training steps: {steps}", exact=False)).to_be_visible(timeout=30_000)
    expect(button(page, "Resume")).to_be_enabled()
    assert chart_points(page) > first
    assert_no_exception(page)
    screenshot(page, "train-done")


def assert_chart_and_numbers_on_the_first_screen(page, step: str) -> None:
    """The chart beside the numbers, and both start on the first screen (1280×800)."""
    chart = page.locator(CHART_OF_THE_RUN)
    numbers = page.locator('[data-testid="stMetric"]').filter(has_text=step).first
    # The live area redraws every second: a box read between two draws can be missing, so read again.
    chart_box = wait_until(chart.bounding_box, 30, "the chart's box", page)
    step_box = wait_until(numbers.bounding_box, 30, "the numbers' box", page)
    assert chart_box["x"] > step_box["x"] + step_box["width"], "the chart is not beside the numbers"
    assert chart_box["y"] + 120 <= 800 and step_box["y"] + step_box["height"] <= 800, (chart_box, step_box)


CHART_OF_THE_RUN = '.st-key-train_chart .js-plotly-plot'
RUN_POINTS_JS = POINTS_JS.replace(CHART, CHART_OF_THE_RUN)


@pytest.mark.parametrize("native", ["yes", "no"])
def test_the_first_screen_while_training_on_either_processor(browser, tmp_path, native):
    """The switch makes the server (and its training processes) see a processor with native bfloat16,
    or one without, whatever this machine is."""
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="en-GB")
    env = {"LSTM_LAB_CPU_BFLOAT16": native, "LSTM_LAB_DATA_DIR": str(tmp_path / "data")}
    with streamlit_server(env, log_path=ARTIFACTS / f"streamlit-server-bfloat16-{native}.log") as url, \
            _screenshot_on_failure(page, f"FAILED-first-screen-bfloat16-{native}"):
        prepare_training(page, url)
        set_slider(page, "Units per layer", 3)  # 64 units, as a person's first try
        set_slider(page, "Training time", 1)  # 30 s: the run outlasts both looks
        click_button(page, "Start")
        wait_until(lambda: page.evaluate(RUN_POINTS_JS), 120, "the first points of the loss chart", page)
        wait_for_idle(page)
        assert_chart_and_numbers_on_the_first_screen(page, "Step")
        expect(_bfloat16_captions(page)).to_have_count(1 if native == "yes" else 0)
        screenshot(page, f"train-running-bfloat16-{native}-en")

        _arm_and_click_chinese(page)
        expect(page.get_by_role("heading", name="训练模型", level=1)).to_be_visible()
        wait_until(lambda: page.evaluate(RUN_POINTS_JS), 60, "the chart in Chinese", page)
        assert_chart_and_numbers_on_the_first_screen(page, "步数")
        expect(_bfloat16_captions(page)).to_have_count(1 if native == "yes" else 0)
        assert_no_exception(page)
        screenshot(page, f"train-running-bfloat16-{native}-zh")
        click_button(page, "停止")
    page.close()


@contextmanager
def _screenshot_on_failure(page, name: str):
    try:
        yield
    except BaseException:
        screenshot(page, name)
        raise


def _bfloat16_captions(page):
    return page.locator('[data-testid="stCaptionContainer"]').filter(has_text="bfloat16")


def _arm_and_click_chinese(page) -> None:
    _arm(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("简体中文", exact=True).click()
    wait_for_idle(page, after_action=True)
