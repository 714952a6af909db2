"""Streamlit's own words (file uploader, running indicator, app menu) in the session's language.

Streamlit 1.67 cannot translate what its frontend writes itself: the words are English literals in
its JavaScript bundle (`Upload`, `Drag and drop files here`, `{size} per file`, `Stop`, `Print`, ...),
and neither a config option, st.set_page_config nor the browser's language changes them
(streamlit/streamlit#1353 asks for it, open since 2020; #13500 for the uploader's words alone).
So when the session reads Chinese, a small script replaces exactly these strings, and only inside
the Streamlit parts that write them (SCOPES): the app's own words come from gettext, and what the
app shows as content (a file's name, a text) is never touched. A MutationObserver repeats it when
React draws them again; back in English the originals are put back. tests/test_streamlit_words.py
checks every English string below is still in the installed Streamlit's bundle, so an upgrade that
rewords one fails a test instead of quietly showing English again.
"""

from __future__ import annotations

import json

import streamlit as st

from lstm_core.i18n import language

# Exact texts (and aria-label / title values) as Streamlit 1.67 writes them, and their Chinese.
WORDS = {
    # st.file_uploader: the button, the drop zone while a file is dragged over it, a file's chip.
    "Upload": "上传",
    "Upload directories": "上传文件夹",
    "Add files": "添加文件",
    "file upload": "上传文件",  # the hidden file input's aria-label
    "Drag and drop a file here": "将文件拖放到此处",
    "Drag and drop files here": "将文件拖放到此处",
    "Drag and drop directories here": "将文件夹拖放到此处",
    "Error: ": "错误：",
    "Upload failed": "上传失败",
    "Click to retry upload": "点击重试上传",
    "File size is too small.": "文件太小。",
    "Only one file is allowed.": "只能上传一个文件。",
    "Unexpected error. Please try again.": "意外错误，请重试。",
    # The running indicator at the top right.
    "Running...": "运行中…",
    "Stop": "停止",
    "Stopping...": "正在停止…",
    # The app menu (toolbarMode "viewer": Print and Record screen) and the version line under it.
    "Main menu": "主菜单",
    "Print": "打印",
    "Record screen": "录制屏幕",
    "Stop recording": "停止录制",
    "Cancel recording": "取消录制",
    "Made with Streamlit v": "基于 Streamlit v",
    "Copy version to clipboard": "复制版本号",
    "Copied": "已复制",
    # Record screen's dialog. Its instruction is Markdown with `Esc` in code: three text nodes.
    "Record a screencast": "录制屏幕",
    "This will record a video with the contents of your screen, so you can easily share what you're seeing "
    "with others.": "这会把你屏幕上的内容录成视频，方便你把看到的分享给别人。",
    "Also record audio": "同时录制声音",
    "Press ": "随时按 ",
    " any time to stop recording.": " 停止录制。",
    "Start recording!": "开始录制！",
}

# Texts Streamlit builds around a value (a size, a file type, a file's name, a key), as regular
# expressions both Python and JavaScript read alike, with the Chinese ($1 = the value).
PATTERNS = [
    (r"^(.+) per file$", "每个文件最大 $1"),  # the uploader's limit line, e.g. "50MB per file"
    (r"^(.+) files are not allowed\.$", "不允许上传 $1 文件。"),  # a MIME type the uploader refuses
    (r"^File must be (.+) or smaller\.$", "文件不能大于 $1。"),
    (r"^Remove (.+)$", "移除 $1"),  # a chip's delete button (aria-label)
    (r"^Cancel upload of (.+)$", "取消上传 $1"),
    (r"^Press (.+) to apply$", "按 $1 应用"),  # a text box's hint: Enter, Ctrl+Enter or ⌘+Enter
    (r"^Press (.+) to submit form$", "按 $1 提交表单"),
]

# Where Streamlit writes these words. Nothing outside is touched; inside, the uploader's label (the
# app's words) and a chosen file's name (content) are left alone.
SCOPES = ", ".join([
    '[data-testid="stFileUploader"]',
    '[data-testid="stTooltipErrorContent"]',  # a refused file's chip repeats its error in a tooltip
    '[data-testid="stStatusWidget"]',
    '[data-testid="stMainMenu"]',
    '[data-testid="stMainMenuPopover"]',
    '[role="dialog"]:has([data-testid="stScreencastInstruction"])',
    '[data-testid="InputInstructions"]',
])
SKIP = '[data-testid="stWidgetLabel"], [data-testid="stFileChipName"]'

_SCRIPT = """<script data-lstm-lab-words>(() => {
  const LANGUAGE = %(language)s, WORDS = %(words)s, SCOPES = %(scopes)s, SKIP = %(skip)s;
  const PATTERNS = %(patterns)s.map(([source, to]) => [new RegExp(source), to]);
  const ATTRIBUTES = ["aria-label", "title"];
  const MARK = "__lstmLabWords";  // on a node or element: what it said and what we wrote instead
  // One observer per tab, whatever the reruns: a new language replaces the previous one's.
  const state = window.__lstmLabStreamlitWords || (window.__lstmLabStreamlitWords = {});
  if (state.observer) state.observer.disconnect();
  state.observer = null;

  const translated = text => {
    if (Object.hasOwn(WORDS, text)) return WORDS[text];
    const rule = PATTERNS.find(([pattern]) => pattern.test(text));
    return rule ? text.replace(rule[0], rule[1]) : null;
  };
  const inScope = el => !!el && !!el.closest(SCOPES) && !el.closest(SKIP);
  const remember = (holder, key, from, to) => {
    holder[MARK] = holder[MARK] || {};
    holder[MARK][key] = {from, to};
  };
  const text = node => {
    const to = inScope(node.parentElement) ? translated(node.data) : null;
    if (to !== null) { remember(node, "data", node.data, to); node.data = to; }
  };
  const attribute = (el, name) => {
    const value = el.getAttribute(name);
    const to = value !== null && inScope(el) ? translated(value) : null;
    if (to !== null) { remember(el, name, value, to); el.setAttribute(name, to); }
  };
  // The scoped parts at or under a node: only these are walked, not the whole page.
  const roots = node => {
    if (node.nodeType !== Node.ELEMENT_NODE) return node.parentElement?.closest(SCOPES) ? [node] : [];
    return node.closest(SCOPES) ? [node] : Array.from(node.querySelectorAll(SCOPES));
  };
  const each = (node, onText, onElement) => {
    for (const root of roots(node)) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
      for (let n = walker.currentNode; n; n = walker.nextNode()) {
        n.nodeType === Node.TEXT_NODE ? onText(n) : onElement(n);
      }
    }
  };
  const translate = node => each(node, text, el => ATTRIBUTES.forEach(name => attribute(el, name)));
  const restore = node => each(node, n => {
    const mark = n[MARK] && n[MARK].data;
    if (mark && n.data === mark.to) n.data = mark.from;  // unless React has written something since
    delete n[MARK];
  }, el => {
    for (const [name, mark] of Object.entries(el[MARK] || {})) {
      if (el.getAttribute(name) === mark.to) el.setAttribute(name, mark.from);
    }
    delete el[MARK];
  });

  if (LANGUAGE !== "zh") { restore(document.body); return; }
  translate(document.body);
  state.observer = new MutationObserver(records => {
    for (const r of records) {
      if (r.type === "childList") r.addedNodes.forEach(translate);
      else if (r.type === "characterData") text(r.target);
      else attribute(r.target, r.attributeName);
    }
  });
  state.observer.observe(document.body, {subtree: true, childList: true, characterData: true,
                                         attributes: true, attributeFilter: ATTRIBUTES});
})();</script>
<style>.stElementContainer:has(script[data-lstm-lab-words]) { display: none; }</style>"""


def follow() -> None:
    """Keep Streamlit's own words in the session's language for this tab. Call on every run, after
    the language is chosen (it draws nothing visible, in the sidebar, where pages do not count their
    elements)."""
    values = {"language": language(), "words": WORDS, "scopes": SCOPES, "skip": SKIP,
              "patterns": [list(rule) for rule in PATTERNS]}
    # json.dumps writes JavaScript literals; no string here contains "</", which would end the script.
    script = _SCRIPT % {name: json.dumps(value, ensure_ascii=False) for name, value in values.items()}
    with st.sidebar:
        st.html(script, unsafe_allow_javascript=True)
