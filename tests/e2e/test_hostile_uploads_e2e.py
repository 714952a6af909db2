"""Hostile uploads in a real browser: every uploader of the app gets files built to hurt it, and
each must answer with a clear message while keeping what the person already had.

- The sidebar's model zip (on the Gates page, with a text of the person's own typed in): zip bombs
  (sizes that lie, and a 4 GB declared size), path traversal, a Keras Lambda layer, an encrypted
  and a corrupt archive, random bytes, an empty file, and 200 MB (over server.maxUploadSize = 60:
  Streamlit's own message). The active model and the typed text stay; nothing runs.
- A working model whose label and corpus label carry script and Markdown: accepted, and shown as
  the literal text it is, in the sidebar and on the Sample page.
- The Train page's text file: random bytes, a PNG (named .txt, and as .png), UTF-16, Latin-1, an empty
  file and 200 MB. The text uploaded before stays in use once the bad file is removed.
- The Sentiment page's classifier zip and review CSV.

Screenshots: tests/artifacts/screenshots/hostile-upload-*.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

import hostile_files as hf
from helpers import _CHANGED_JS, _arm, assert_no_exception, button, fill_text, open_page, screenshot, wait_for_idle

pytestmark = pytest.mark.e2e

MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
TOO_BIG = {"zip": re.compile(r"File must be 50(\.0)?\s?MB or smaller"),  # the sidebar's model limit
           "txt": re.compile(r"File must be 20(\.0)?\s?MB or smaller")}  # Train's text limit (corpora.MAX_USER_BYTES)
MY_TEXT = "My own words, typed before any upload."
MY_REVIEW = "My review, typed before any upload, was not bad at all."
UPLOAD_TIMEOUT_MS = 45_000  # a waiting time, not a speed target: CI machines are slow

_PWNED_JS = """() => [...document.querySelectorAll(
        'img[src="x"], img[src*="example.invalid"], a[href^="javascript:" i]')]
    .map(e => e.outerHTML).concat(typeof window.__pwned === 'undefined' ? [] : ['window.__pwned'])"""


@pytest.fixture
def dialogs(page):
    seen: list[str] = []

    def on_dialog(dialog):
        seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return seen


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """200 MB of zeros named .zip and .txt (sparse: no disk used)."""
    folder = tmp_path_factory.mktemp("big")
    return {ext: hf.sparse_file(folder / f"huge.{ext}", 200 * 2**20) for ext in ("zip", "txt")}


def assert_safe(page: Page, dialogs: list[str]) -> None:
    assert dialogs == [], f"a dialog opened: {dialogs}"
    assert page.evaluate(_PWNED_JS) == []
    assert_no_exception(page)


def _go(page: Page, app_url: str, title: str) -> None:
    """Open the home page (it runs app.py's navigation, which deep links rely on), then `title`."""
    open_page(page, app_url, "/")
    _nav(page, title)


def _uploader(scope: Locator, label: str) -> Locator:
    block = scope.locator('[data-testid="stFileUploader"]').filter(
        has=scope.page.locator('[data-testid="stWidgetLabel"]', has_text=label))
    expect(block).to_have_count(1)
    return block


def _upload(page: Page, block: Locator, name: str, data: bytes | None = None, path=None, reruns: bool = True) -> None:
    """Give the uploader a file, as dropping it would, and wait for the rerun it causes (none when
    the browser refuses the file itself: `reruns=False`)."""
    field = block.locator('input[type="file"]')
    _arm(page)
    if path is not None:
        field.set_input_files(str(path))
    else:
        field.set_input_files(files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])
    if reruns:  # it starts once the file has been sent, which can take longer than a click's rerun
        page.wait_for_function(_CHANGED_JS, timeout=UPLOAD_TIMEOUT_MS)
    wait_for_idle(page)


def _remove(page: Page, block: Locator) -> None:
    """Take the files out of the uploader (each chip's delete button; the sidebar's keeps several)."""
    delete = block.locator('[data-testid="stFileChipDeleteBtn"] button, [data-testid="stFileChipDeleteBtn"]')
    while delete.count():
        _arm(page)
        delete.first.click()
        wait_for_idle(page, after_action=True)


def _expect_too_big(page: Page, block: Locator, path) -> None:
    too_big = TOO_BIG[path.suffix.lstrip(".")]
    """Streamlit refuses the file in the browser (nothing is sent, nothing reruns): a red chip,
    whose message shows when the pointer is on it (and is read out by screen readers at once)."""
    block.locator('input[type="file"]').set_input_files(str(path))
    chip = block.locator('[data-testid="stFileChip"]')
    expect(chip).to_have_attribute("aria-invalid", "true")
    expect(block.locator('[role="alert"]')).to_have_text(too_big)
    page.mouse.move(0, 0)
    chip.locator('[data-testid="stFileChipIconError"]').hover()
    expect(page.get_by_text(too_big)).to_have_count(2)  # the alert, and now the tooltip


def _active_model(page: Page) -> str:
    return page.locator(SIDEBAR).locator('input[aria-label="Active model"]').input_value()


def _open_sidebar_upload(page: Page) -> Locator:
    sidebar = page.locator(SIDEBAR)
    summary = sidebar.locator("summary").filter(has_text="Open a model")
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()
    return _uploader(sidebar, "An LSTM Lab model zip, or a .keras file with its vocabulary")


# -- the sidebar's model zip -----------------------------------------------------------------------


def test_sidebar_refuses_hostile_model_zips(page, app_url, dialogs, big_file, tmp_path):
    marker = tmp_path / "lambda-ran"
    cases = [
        ("bomb.zip", hf.bomb_lying_sizes(), "metadata file is damaged"),
        ("declares-4GB.zip", hf.bomb_huge_declared(), "zip bomb"),
        ("traversal.zip", hf.path_traversal(), "unsafe entry name"),
        ("lambda.zip", hf.lambda_layer(marker), "is a Lambda; LSTM Lab reads only"),
        ("encrypted.zip", hf.encrypted(), "password-protected"),
        ("corrupt.zip", hf.corrupt_deflate(), "The zip archive is damaged"),
        ("random.zip", hf.random_bytes(), "not a zip archive"),
        ("empty.zip", b"", "not a zip archive"),
    ]
    _go(page, app_url, "Gates")
    page.locator(MAIN).get_by_text("Change the text", exact=False).click()
    fill_text(page, "Text to read", MY_TEXT)
    coloured = page.locator(MAIN).locator("div.gates-text").first
    expect(coloured).to_have_text(MY_TEXT)
    before = _active_model(page)
    block = _open_sidebar_upload(page)
    sidebar = page.locator(SIDEBAR)
    for name, data, words in cases:
        _upload(page, block, name, data)
        error = sidebar.locator('[data-testid="stAlertContentError"]')
        expect(error).to_contain_text("That model could not be used.")
        expect(error).to_contain_text(words)
        assert_safe(page, dialogs)
        assert _active_model(page) == before, f"{name} changed the active model"
        expect(coloured).to_have_text(MY_TEXT)
        if name == "lambda.zip":
            screenshot(page, "hostile-upload-sidebar-lambda")
    assert not marker.exists(), "the Lambda layer's code ran"
    # Doing something else keeps the message while the file is still in the uploader.
    fill_text(page, "Text to read", MY_TEXT + " Still mine.")
    expect(sidebar.locator('[data-testid="stAlertContentError"]')).to_contain_text(cases[-1][2])

    _remove(page, block)
    _expect_too_big(page, block, big_file["zip"])
    screenshot(page, "hostile-upload-sidebar-too-big")
    assert _active_model(page) == before
    # The app still answers: the text can be changed, the model is the same.
    fill_text(page, "Text to read", MY_TEXT + " More.")
    expect(coloured).to_have_text(MY_TEXT + " More.")
    assert _active_model(page) == before
    assert_safe(page, dialogs)


def _nav(page: Page, title: str) -> None:
    name = page.locator('[data-testid="stMarkdownContainer"]', has_text=re.compile(rf"^\s*{title}\s*$"))
    _arm(page)
    page.locator('[data-testid="stSidebarNavLink"]').filter(has=name).click()
    wait_for_idle(page, after_action=True)


def _assert_literal(shown: Locator) -> None:
    """Nothing of SCRIPT_LABEL became an image, maths, bold or colour, nor a link other than a web
    address shown as it is (Markdown makes those clickable)."""
    made = shown.locator("img, .katex, span[class*='color'], strong, em").filter(
        has_text=re.compile(r"^\s*(bold|red|x|t)\s*$"))
    assert made.count() == 0, f"the label made markup: {shown.evaluate('e => e.outerHTML')}"
    assert shown.locator("img, .katex").count() == 0, f"the label made markup: {shown.evaluate('e => e.outerHTML')}"
    for link in shown.locator("a").all():
        assert link.get_attribute("href") == link.inner_text() and link.inner_text().startswith("https://"), \
            f"the label made a link: {link.evaluate('e => e.outerHTML')}"


def test_script_in_a_model_label_is_shown_as_text(page, app_url, dialogs):
    open_page(page, app_url, "/")
    block = _open_sidebar_upload(page)
    _upload(page, block, "labels.zip", hf.script_labels())
    sidebar = page.locator(SIDEBAR)
    expect(sidebar.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        "Loaded “Model " + hf.SCRIPT_LABEL + "”; it is now the active model.")
    assert_safe(page, dialogs)
    assert _active_model(page).startswith("Uploaded: Model <img src=x"), _active_model(page)
    card = sidebar.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Corpus:").first
    expect(card).to_contain_text("Corpus " + hf.SCRIPT_LABEL)
    _assert_literal(card)
    screenshot(page, "hostile-upload-labels")

    # The Sample page writes with it (at once, on a first visit) and names it.
    _nav(page, "Sample")
    caption = page.locator(MAIN).locator('[data-testid="stCaptionContainer"]').filter(has_text="characters by").first
    expect(caption).to_contain_text("Model " + hf.SCRIPT_LABEL)
    _assert_literal(caption)
    assert_safe(page, dialogs)

    # Anatomy names it in a sentence (and in a chart's legend).
    _nav(page, "Anatomy")
    _arm(page)
    page.locator(MAIN).get_by_role("tab", name="Vanishing gradients", exact=True).click()
    wait_for_idle(page, after_action=True)
    sentence = page.locator(MAIN).locator('[data-testid="stMarkdownContainer"]').filter(
        has_text="How much the last layer of").first
    expect(sentence).to_contain_text("Model " + hf.SCRIPT_LABEL)
    _assert_literal(sentence)
    assert_safe(page, dialogs)


# -- the Train page's text file ----------------------------------------------------------------------


def test_train_refuses_bad_texts_and_keeps_the_good_one(page, app_url, dialogs, big_file):
    _go(page, app_url, "Train")
    main = page.locator(MAIN)
    _arm(page)
    main.locator('[data-testid="stRadio"]').get_by_text("Upload a .txt file", exact=True).click()
    wait_for_idle(page, after_action=True)
    block = _uploader(main, "A plain-text file (UTF-8)")
    _upload(page, block, "good.txt", hf.GOOD_TEXT.encode())
    expect(main.get_by_text(f"{len(hf.GOOD_TEXT):,} characters", exact=False)).to_be_visible()
    expect(main.get_by_text("good.txt", exact=False).first).to_be_visible()

    cases = [
        ("random.txt", hf.random_bytes(), "This looks like a binary file, not text."),
        ("scan.txt", hf.png(), "This looks like a binary file, not text."),
        ("notepad-unicode.txt", hf.utf16_text(), "This text is saved as UTF-16, but LSTM Lab reads UTF-8."),
        ("latin1.txt", hf.latin1_text(), "This file is not UTF-8 text"),
        ("empty.txt", b"", "The text is empty."),
    ]
    for name, data, words in cases:
        _upload(page, block, name, data)
        expect(main.locator('[data-testid="stAlertContentError"]').filter(has_text=words)).to_be_visible()
        expect(button(page, "Start")).to_be_disabled()
        assert_safe(page, dialogs)
        if name == "notepad-unicode.txt":
            screenshot(page, "hostile-upload-train-utf16")
        # The text uploaded before is not lost: without the bad file, it is used again.
        _remove(page, block)
        expect(main.get_by_text("Using good.txt, uploaded earlier", exact=False)).to_be_visible()
        expect(main.get_by_text(f"{len(hf.GOOD_TEXT):,} characters", exact=False)).to_be_visible()
        expect(button(page, "Start")).to_be_enabled()

    # Refused in the browser, before anything is sent: a picture, and a file over the size limit.
    _upload(page, block, "photo.png", hf.png(), reruns=False)
    expect(block).to_contain_text("files are not allowed")
    _remove(page, block)
    _expect_too_big(page, block, big_file["txt"])
    screenshot(page, "hostile-upload-train-too-big")
    _remove(page, block)
    expect(main.get_by_text("Using good.txt, uploaded earlier", exact=False)).to_be_visible()
    expect(button(page, "Start")).to_be_enabled()
    assert_safe(page, dialogs)

    # A good text under a hostile name: the name is shown as it is. (Another text than good.txt's: the
    # page remembers a text's check by its content, and would show the name it first had.)
    # (No quotes in it: the browser sends a file name's quotes as %22.)
    name = "<img src=x onerror=window.__pwned=1> [x](javascript:window.__pwned=1) $x$ **b**.txt"
    text = hf.GOOD_TEXT.upper()
    _upload(page, block, name, text.encode())
    described = main.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text=f"{len(text):,} characters").first
    expect(described).to_contain_text(name)
    assert described.locator("img, a, .katex, em").count() == 0
    assert_safe(page, dialogs)


# -- the Sentiment page's classifier zip and review CSV ---------------------------------------------


def test_sentiment_refuses_bad_classifiers_and_csvs(page, app_url, dialogs):
    _go(page, app_url, "Sentiment")
    main = page.locator(MAIN)
    fill_text(page, "Review", MY_REVIEW)
    classifier = main.get_by_text("Classifier:", exact=False).first.inner_text()

    def open_tab(name: str) -> None:
        _arm(page)
        main.get_by_role("tab", name=name, exact=True).click()
        wait_for_idle(page, after_action=True)

    open_tab("How good is it?")
    main.locator("summary").filter(has_text="Upload a classifier").click()
    block = _uploader(main, "Upload a classifier (.zip downloaded from this page)")
    for name, data, words in [
        ("corrupt.zip", hf.sentiment_corrupt_deflate(), "The zip archive is damaged"),
        ("traversal.zip", hf.zip_of({"../" + k: v for k, v in hf.sentiment_entries().items()}), "unsafe entry name"),
        ("char-model.zip", hf.good_model_zip(), "That classifier could not be used."),
        ("random.zip", hf.random_bytes(), "not a zip archive"),
    ]:
        _upload(page, block, name, data)
        error = main.locator('[data-testid="stAlertContentError"]')
        expect(error).to_contain_text("That classifier could not be used.", timeout=UPLOAD_TIMEOUT_MS)
        expect(error).to_contain_text(words)
        assert_safe(page, dialogs)
        expect(main.get_by_text("Classifier:", exact=False).first).to_have_text(classifier)

    open_tab("Retrain")
    main.locator("summary").filter(has_text="Your own reviews (a CSV file)").click()
    block = _uploader(main, "A CSV with a text column and a label column")
    for name, data, words in [
        ("excel-unicode.csv", "text,label\nA fine film,1\nA dull film,0\n".encode("utf-16"), "saved as UTF-16"),
        ("random.csv", hf.random_bytes(), "looks binary"),
    ]:
        _upload(page, block, name, data)
        # Reading the CSV is the rerun's work, slower than a click's on a busy machine.
        expect(main.locator('[data-testid="stAlertContentError"]')).to_contain_text(words, timeout=UPLOAD_TIMEOUT_MS)
        assert_safe(page, dialogs)
    screenshot(page, "hostile-upload-sentiment-csv")

    open_tab("Classify")
    expect(page.locator('[aria-label="Review"]')).to_have_value(MY_REVIEW)  # kept through tabs and uploads
    assert_safe(page, dialogs)
