"""In a real browser: the tab's address carries its workspace id across pages, and after a reload
(a new session, as after a server restart) the models it saved are back and the page says so."""

import re
import shutil

import pytest
from playwright.sync_api import expect

from helpers import (assert_no_exception, button, click_button, open_page, prepare_training, screenshot, set_slider,
                     wait_for_idle)
from ui import workspace

pytestmark = pytest.mark.e2e


def ws_of(url: str) -> str:
    found = re.search(r"[?&]ws=([0-9a-f]{32})", url)
    assert found, f"no workspace id in {url}"
    return found.group(1)


def test_models_come_back_after_a_reload(page, app_url, tiny_model_dir):
    open_page(page, app_url, "/")
    ws = ws_of(page.url)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Gates").click()
    expect(page).to_have_url(re.compile(r"/gates"))
    wait_for_idle(page)
    expect(page).to_have_url(re.compile(rf"ws={ws}"))

    # The session saved a model (as a finished run does), then the connection was lost.
    shutil.copytree(tiny_model_dir, workspace.root() / ws / "run-20260101-000000-e2e000")
    page.reload()
    wait_for_idle(page)
    assert ws_of(page.url) == ws
    expect(page.get_by_text("This page reconnected", exact=False)).to_be_visible()
    expect(page.get_by_text("1 saved model is back", exact=False)).to_be_visible()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("combobox").click()
    expect(page.get_by_role("option", name=re.compile(r"Trained here at 00:00: tiny test model"))).to_be_visible()
    page.keyboard.press("Escape")
    assert_no_exception(page)
    screenshot(page, "workspace-restored")


def test_a_reload_shows_the_running_training_live_and_stop_still_works(page, app_url):
    prepare_training(page, app_url)
    set_slider(page, "Training time", "until I stop it")
    click_button(page, "Start")
    expect(page.get_by_text("characters/s", exact=False)).to_be_visible(timeout=120_000)
    page.reload()
    wait_for_idle(page)
    # The run is still going, in this new session: its progress, chart and Stop.
    expect(page.get_by_text("characters/s", exact=False)).to_be_visible(timeout=60_000)
    # Shown live where the student is: no banner sends them to the page they are on.
    expect(page.get_by_text("Your training is still running", exact=False)).to_have_count(0)
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()
    expect(button(page, "Stop")).to_be_enabled()
    screenshot(page, "train-reattached")
    click_button(page, "Stop")
    expect(page.get_by_text("Stopped:", exact=False)).to_be_visible(timeout=60_000)
    assert_no_exception(page)
