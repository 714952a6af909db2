"""A big class: two app servers on one shared data folder (README, "A big class"). A model trained
through one server is listed when the tab, same address, reconnects to the other, as when a reverse
proxy sends it elsewhere after its first server went away."""

import re

import pytest
from playwright.sync_api import expect

from conftest import streamlit_server
from helpers import assert_no_exception, button, click_button, open_page, prepare_training, wait_for_idle

pytestmark = pytest.mark.e2e


def test_a_model_trained_through_one_server_is_listed_by_the_other(page, tmp_path):
    shared = {"LSTM_LAB_DATA_DIR": str(tmp_path / "shared-data")}
    with streamlit_server(shared, log_path=tmp_path / "first.log") as first, \
            streamlit_server(shared, log_path=tmp_path / "second.log") as second:
        prepare_training(page, first)  # the shortest run, 15 s
        click_button(page, "Start")
        # The finished run saved its model into the tab's workspace, in the shared folder.
        expect(page.get_by_text("Finished:", exact=False)).to_be_visible(timeout=150_000)
        expect(button(page, "Resume")).to_be_enabled(timeout=30_000)
        address = re.search(r"[?&]ws=[0-9a-f]{32}", page.url).group(0)

        open_page(page, second, "/?" + address[1:])  # the same tab's address, on the other server
        wait_for_idle(page)
        assert address[1:] in page.url
        expect(page.get_by_text("1 saved model is back", exact=False)).to_be_visible()
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_role("combobox").first.click()
        expect(page.get_by_role("option", name=re.compile(r"^Trained here"))).to_be_visible()
        page.keyboard.press("Escape")
        assert_no_exception(page)
