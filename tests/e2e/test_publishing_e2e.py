"""A teacher shares a model with the class, in real browsers: on a server given a teacher key, no key
and a wrong key are refused and say so, the right key publishes, and another browser (a student) then
lists the model and can withdraw nothing without the key. A server without a key shows no way to publish."""

import pytest
from playwright.sync_api import expect

from conftest import streamlit_server
from helpers import assert_no_exception, click_button, open_page, wait_for_idle, _arm
from lstm_core.storage.persistence import export_zip

pytestmark = pytest.mark.e2e

SIDEBAR = '[data-testid="stSidebar"]'
KEY = "e2e-teacher-key-7f3a"
UPLOADER = "An LSTM Lab model zip, or a .keras file with its vocabulary"


def _sidebar_models(page) -> list[str]:
    page.locator(SIDEBAR).get_by_role("combobox").first.click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return options


def _type_key(page, key: str) -> None:
    """Type into the key box, as a teacher would before clicking Publish (no Tab: from a password box it
    goes to the box's own show-password button, and the box has not yet sent its value)."""
    page.locator(SIDEBAR).locator('input[type="password"]').fill(key)


def _open(page, summary_text: str) -> None:
    summary = page.locator(SIDEBAR).locator("summary").filter(has_text=summary_text)
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()


def test_no_teacher_key_no_publishing(page, app_url):
    open_page(page, app_url, "/")
    expect(page.locator(SIDEBAR).get_by_text("Active model", exact=True)).to_be_visible()
    expect(page.locator(SIDEBAR).get_by_text("Share with the class", exact=False)).to_have_count(0)


def test_a_teacher_publishes_with_the_key_and_a_student_sees_it(browser, tiny_model_dir, tmp_path):
    with streamlit_server({"LSTM_LAB_TEACHER_KEY": KEY, "LSTM_LAB_DATA_DIR": str(tmp_path / "data")},
                          log_path=tmp_path / "server.log") as base:
        teacher_context, student_context = browser.new_context(viewport={"width": 1280, "height": 800}), \
            browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            teacher, student = teacher_context.new_page(), student_context.new_page()
            open_page(teacher, base, "/")
            # The teacher opens a model of their own (a zip, as downloaded from Train).
            _open(teacher, "Open a model")
            block = teacher.locator(SIDEBAR).locator('[data-testid="stFileUploader"]').filter(
                has=teacher.locator('[data-testid="stWidgetLabel"]', has_text=UPLOADER))
            _arm(teacher)
            block.locator('input[type="file"]').set_input_files(files=[{
                "name": "tiny.zip", "mimeType": "application/zip", "buffer": export_zip(tiny_model_dir)}])
            expect(teacher.get_by_text("it is now the active model", exact=False)).to_be_visible(timeout=60_000)
            wait_for_idle(teacher)

            _open(teacher, "Share with the class (teacher)")
            click_button(teacher, "Publish the active model")  # no key typed
            expect(teacher.get_by_text("That is not the teacher key: nothing was changed.")).to_be_visible()
            _type_key(teacher, "not-the-key")
            click_button(teacher, "Publish the active model")
            expect(teacher.get_by_text("That is not the teacher key: nothing was changed.")).to_be_visible()
            open_page(student, base, "/")
            assert not any(o.startswith("From the teacher: ") for o in _sidebar_models(student))

            _type_key(teacher, KEY)
            click_button(teacher, "Publish the active model")
            expect(teacher.get_by_text("is now listed in every session", exact=False)).to_be_visible()
            assert_no_exception(teacher)

            # Another browser, another person: the model is listed, shared by the teacher.
            open_page(student, base, "/")
            shared = [o for o in _sidebar_models(student) if o.startswith("From the teacher: ")]
            assert len(shared) == 1, shared
            # Without the key a student withdraws nothing.
            _open(student, "Share with the class (teacher)")
            withdraw = student.locator(SIDEBAR).get_by_role("button").filter(has_text="Withdraw")
            _arm(student)
            withdraw.first.click()
            wait_for_idle(student, after_action=True)
            expect(student.get_by_text("That is not the teacher key: nothing was changed.")).to_be_visible()
            assert_no_exception(student)
        finally:
            teacher_context.close()
            student_context.close()
