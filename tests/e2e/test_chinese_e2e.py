"""Every page in Chinese, in a real browser with CJK fonts: no English sentence left on screen.

What the page reads or writes (Shakespeare, a review, generated text) is content, not interface:
text boxes, code blocks and the elements marked `translate="no"` are skipped. The words Streamlit
1.67 writes itself (the file uploader's, the text boxes' hints, the app menu's) are translated by
ui/streamlit_words.py, so they are checked too. Model names, numbers, formulas and single English
words (LSTM, top-k) may stay; three English words in a row are a sentence someone forgot to
translate. Screenshots of every page go to the artifacts.
"""

import re

import pytest
from playwright.sync_api import expect

from conftest import VIEWPORT
from helpers import _arm, assert_no_exception, go, open_page, screenshot, select_option, wait_for_idle
from lstm_core.storage.model_zip import MAX_ZIP_BYTES
from ui.page_list import PAGES

pytestmark = pytest.mark.e2e

PATHS = [("home", "")] + [(p.removeprefix("pages/").removesuffix(".py"),) * 2 for p, _, _ in PAGES[1:]]
ENGLISH_RUN = re.compile(r"[A-Za-z][a-z']+(?:[ ,;:-]+[A-Za-z][a-z']+){2,}")

# Visible text of the app outside what it reads or writes (inputs, code, translate="no" content).
_INTERFACE_TEXT_JS = """() => {
  const skip = 'textarea, input, pre, code, [translate="no"], [data-testid="stException"], .katex';
  const roots = ['[data-testid="stMain"]', '[data-testid="stSidebar"]']
    .map(s => document.querySelector(s)).filter(Boolean);
  const out = [];
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest(skip)) continue;
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
      out.push(n.textContent);
    }
  }
  return out;
}"""


def english_left(page) -> list[str]:
    runs = []
    for text in page.evaluate(_INTERFACE_TEXT_JS):
        runs += [m.group(0) for m in ENGLISH_RUN.finditer(text)]
    return runs


@pytest.fixture
def chinese_page(browser):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("name,path", PATHS, ids=[name for name, _ in PATHS])
def test_every_page_reads_in_chinese(chinese_page, app_url, name, path):
    # No ?lang= in the address: a first visit follows the browser's language (zh-CN here).
    open_page(chinese_page, app_url, f"/{path}")
    screenshot(chinese_page, f"zh-{name}")
    assert_no_exception(chinese_page)
    expect(chinese_page).to_have_url(re.compile(r"[?&]lang=zh"))
    left = english_left(chinese_page)
    assert not left, f"English left on the Chinese {name} page: {left[:10]}"


def test_two_readers_on_one_server_each_in_their_language(browser, app_url):
    contexts = [browser.new_context(viewport=VIEWPORT, locale="en-GB") for _ in range(2)]
    english, chinese = (c.new_page() for c in contexts)
    try:
        open_page(english, app_url, "/gates?lang=en")
        open_page(chinese, app_url, "/gates?lang=zh")
        nav = '[data-testid="stSidebarNav"]'
        expect(english.locator(nav).get_by_text("Sample", exact=True)).to_be_visible()
        expect(chinese.locator(nav).get_by_text("采样", exact=True)).to_be_visible()

        # The English reader switches to Chinese in the sidebar; the address and the next page keep it.
        english.locator('[data-testid="stSidebar"]').get_by_text("简体中文", exact=True).click()
        expect(english.locator(nav).get_by_text("采样", exact=True)).to_be_visible(timeout=30_000)
        expect(english).to_have_url(re.compile(r"[?&]lang=zh"))
        go(english, "采样")
        expect(english).to_have_url(re.compile(r"/sample\?.*lang=zh"))
        # The other reader, already Chinese, switches back to English: each session its own language.
        chinese.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
        expect(chinese.locator(nav).get_by_text("Sample", exact=True)).to_be_visible(timeout=30_000)
        expect(english.locator(nav).get_by_text("采样", exact=True)).to_be_visible()
        for page in (english, chinese):
            assert_no_exception(page)
    finally:
        for context in contexts:
            context.close()


def test_the_tang_model_reads_and_writes_a_poem(chinese_page, app_url):
    """Chosen in the sidebar, the Tang model opens Gates on a held-out 五言绝句 and Sample on its start."""
    page = chinese_page
    open_page(page, app_url, "/gates")
    select_option(page, "当前模型", "LSTM 2×256 · 全唐诗预训练")
    assert_no_exception(page)
    text = page.locator(".gates-text").first.inner_text()
    assert re.search(r"[\u4e00-\u9fff]{5}，[\u4e00-\u9fff]{5}。", text), text
    screenshot(page, "zh-gates-tang")
    go(page, "采样")
    assert_no_exception(page)
    written = page.locator("pre.sample-output").first.inner_text()
    assert re.match(r"[\u4e00-\u9fff]{5}，", written), written
    screenshot(page, "zh-sample-tang")


def test_switching_language_keeps_the_chosen_model_and_the_open_tab(page, app_url):
    """A choice travels as the label the browser shows, and the labels change language: the model
    chosen in the sidebar and the open tab must survive the switch, and the next rerun after it."""
    from lstm_core import i18n

    open_page(page, app_url, "/anatomy?lang=en")
    select_option(page, "Active model", "LSTM 2×256 · pretrained on Tang poems (全唐诗)")
    page.get_by_role("tab", name="Counting parameters").click()
    page.locator('[data-testid="stSidebar"]').get_by_text("简体中文", exact=True).click()
    tab = i18n.catalog("zh").gettext("Counting parameters")
    expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true", timeout=30_000)
    go(page, "门")  # another run, with what the browser sends back
    assert_no_exception(page)
    chosen = page.locator('[data-testid="stSidebar"]').get_by_role("combobox").first
    expect(chosen).to_have_value(re.compile("全唐诗"), timeout=30_000)


# Words Streamlit writes in English when nobody translates them (ui/streamlit_words.py).
STREAMLIT_ENGLISH = re.compile(r"Drag and drop|\bUpload\b|per file|not allowed|\bError\b|\bPrint\b|Record|\bStop\b")


def test_streamlits_own_words_read_in_chinese_and_the_limit_is_the_apps(chinese_page, app_url):
    """Streamlit writes its file uploader's, menu's and running indicator's words itself, in English:
    in Chinese they read Chinese, and the uploader's limit line gives the app's own limit."""
    page = chinese_page
    open_page(page, app_url, "/train?lang=zh")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("打开模型", exact=True).click()
    models = sidebar.locator('[data-testid="stFileUploader"]')
    expect(models.get_by_text("上传", exact=True)).to_be_visible()
    expect(models.get_by_text(f"每个文件最大 {MAX_ZIP_BYTES >> 20}MB", exact=True)).to_be_visible()

    # What the drop zone says while a file is dragged over it.
    zone = models.locator('[data-testid="stFileUploaderDropzone"]')
    dragged = page.evaluate_handle("() => { const d = new DataTransfer(); "
                                   "d.items.add(new File(['x'], 'a.zip', {type: 'application/zip'})); return d; }")
    zone.dispatch_event("dragenter", {"dataTransfer": dragged})
    expect(zone.get_by_text("将文件拖放到此处", exact=True)).to_be_visible()
    zone.dispatch_event("dragleave", {"dataTransfer": dragged})

    # A file of a type the uploader refuses (Train's text box takes .txt): the chip's error and its tooltip.
    _arm(page)
    page.get_by_text("上传 .txt 文件", exact=True).click()
    wait_for_idle(page, after_action=True)
    text_box = page.locator('[data-testid="stMain"] [data-testid="stFileUploader"]')
    text_box.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "tiny.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n"}])
    expect(text_box).to_contain_text("错误：不允许上传 image/png 文件。")
    text_box.locator('[data-testid="stFileChip"]').hover()
    expect(page.locator('[data-testid="stTooltipErrorContent"]')).to_have_text("不允许上传 image/png 文件。")
    screenshot(page, "zh-streamlit-uploader")

    page.locator('[data-testid="stMainMenuButton"]').click()
    menu = page.locator('[data-testid="stMainMenuPopover"]')
    expect(menu.get_by_text("打印", exact=True)).to_be_visible()
    expect(menu.get_by_text("录制屏幕", exact=True)).to_be_visible()
    left = [t for t in [*page.locator('[data-testid="stFileUploader"]').all_inner_texts(), menu.inner_text()]
            if STREAMLIT_ENGLISH.search(t)]
    assert not left, f"Streamlit's English left: {left}"
    screenshot(page, "zh-streamlit-menu")
    page.keyboard.press("Escape")

    # The running indicator's Stop shows only while a script runs, too briefly to read here: the
    # same markup, added to the page, is translated as soon as it appears.
    page.evaluate("""() => document.body.insertAdjacentHTML('beforeend',
        '<div data-testid="stStatusWidget" id="probe"><button>Stop</button></div>')""")
    expect(page.locator("#probe button")).to_have_text("停止")
    page.evaluate("() => document.getElementById('probe').remove()")

    # Back in English, Streamlit's words are its own again.
    _arm(page)
    sidebar.get_by_text("English", exact=True).click()
    wait_for_idle(page, after_action=True)
    expect(models.get_by_text("Upload", exact=True)).to_be_visible()
    expect(models.get_by_text(f"{MAX_ZIP_BYTES >> 20}MB per file", exact=True)).to_be_visible()
    assert_no_exception(page)
