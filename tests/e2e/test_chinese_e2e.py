"""Every page in Chinese, in a real browser with CJK fonts: no English sentence left on screen.

What the page reads or writes (Shakespeare, a review, generated text) is content, not interface:
text boxes, code blocks and the elements marked `translate="no"` are skipped, as are the file
uploader's drop zone and the text boxes' hints, whose words Streamlit 1.67 writes itself ("Drag
and drop file here", "Press Enter to apply"). Model names, numbers, formulas and single English
words (LSTM, top-k) may stay; three English words in a row are a sentence someone forgot to
translate. Screenshots of every page go to the artifacts.
"""

import re

import pytest
from playwright.sync_api import expect

from conftest import VIEWPORT
from helpers import assert_no_exception, go, open_page, screenshot, select_option
from ui.shell import PAGES

pytestmark = pytest.mark.e2e

PATHS = [("home", "")] + [(p.removeprefix("pages/").removesuffix(".py"),) * 2 for p, _, _ in PAGES[1:]]
ENGLISH_RUN = re.compile(r"[A-Za-z][a-z']+(?:[ ,;:-]+[A-Za-z][a-z']+){2,}")

# Visible text of the app outside what it reads or writes (inputs, code, translate="no" content).
_INTERFACE_TEXT_JS = """() => {
  const skip = 'textarea, input, pre, code, [translate="no"], [data-testid="stException"], .katex, '
    + '[data-testid="stFileUploaderDropzone"], [data-testid="InputInstructions"]';
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
