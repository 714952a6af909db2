"""Hostile text in every text box of every page, in a real browser: nothing runs, nothing breaks.

For each page of app.py, every text input, text area and chat input the page shows (after opening
what hides them: an expander, a tab, a radio choice) gets each payload below, committed as a
person would (Enter, Ctrl+Enter, and the page's own button where it has one). After each rerun:

- ``window.__pwned`` is still undefined, in the page and in every frame (components, iframes);
- no dialog (alert/confirm/prompt) opened;
- no ``stException`` is shown, and no element was made from the payload (no ``img[src=x]``, no
  ``iframe[srcdoc]``, no event-handler attribute or ``javascript:`` link mentioning it);
- where the page shows the text back (Gates' coloured text, Sentiment's words, Sample's prime, the
  Anatomy strip, the Train preview) the payload is there, character for character, as text.

One browser context per page; no training (the Train page's Start is never pressed).
Screenshots: tests/artifacts/screenshots/hostile-input-<page>.png.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from lstm_core.sentiment.tokens import normalise

from helpers import _arm, assert_no_exception, click_button, fill_text, open_page, screenshot, wait_for_idle
from ui.page_list import PAGES

pytestmark = pytest.mark.e2e

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    '<svg onload="window.__pwned=1">',
    '"><iframe srcdoc="<script>parent.__pwned=1</script>">',
    "javascript:window.__pwned=1",
    "[x](javascript:window.__pwned=1)",
    r"$\href{javascript:window.__pwned=1}{x}$",
    # Not an attack, but text must stay text: no bold, colour, code or maths made of it.
    r"*awful* **great** _so_ `so` :red[x] $x$ \$",
]

FIELDS = ('[data-testid="stTextInput"] input, [data-testid="stTextArea"] textarea, '
          '[data-testid="stChatInput"] textarea')
MAIN = '[data-testid="stMain"]'
NAV_PAGES = [title for _, title, _ in PAGES]

# Whatever a payload could have built: the flag it sets, elements or attributes made from it.
_DAMAGE_JS = r"""() => {
    const found = [];
    if (typeof window.__pwned !== 'undefined') found.push('window.__pwned = ' + window.__pwned);
    for (const el of document.querySelectorAll('*')) {
        if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') continue;
        for (const attr of el.attributes) {
            const name = attr.name.toLowerCase(), value = attr.value || '';
            if ((name.startsWith('on') || name === 'srcdoc') && value.includes('__pwned'))
                found.push(`<${el.tagName.toLowerCase()} ${name}="${value}">`);
            if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(name)
                    && /^\s*javascript:/i.test(value))
                found.push(`<${el.tagName.toLowerCase()} ${name}="${value}">`);
        }
        if (el.tagName === 'SCRIPT' && (el.textContent || '').includes('__pwned'))
            found.push('<script> with the payload');
        if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') found.push('<img src="x">');
        if (el.tagName === 'IFRAME' && el.hasAttribute('srcdoc') && el.getAttribute('srcdoc').includes('__pwned'))
            found.push('<iframe srcdoc>');
    }
    return found;
}"""


def assert_nothing_ran(page: Page, dialogs: list[str], payload: str) -> None:
    """The checks made after every payload (see the module doc)."""
    assert dialogs == [], f"a dialog opened after {payload!r}: {dialogs}"
    for frame in page.frames:
        try:
            flag = frame.evaluate("() => typeof window.__pwned === 'undefined' ? null : String(window.__pwned)")
        except Exception:  # a frame that went away while we looked
            continue
        assert flag is None, f"{payload!r} ran: window.__pwned = {flag} in frame {frame.url}"
    damage = page.evaluate(_DAMAGE_JS)
    assert damage == [], f"{payload!r} became markup: {damage}"
    assert_no_exception(page)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- one page: how to reveal its text boxes, how to commit them, where it echoes them ----------------


@dataclass
class PageCase:
    title: str  # as in app.py's navigation
    fields: set[str]  # labels of the text boxes the page must show (others found are tested too)
    reveal: Callable[[Page], None] = lambda page: None  # once: show every text box
    show: dict[str, Callable[[Page], None]] = field(default_factory=dict)  # label -> before each entry
    submit: dict[str, str] = field(default_factory=dict)  # label -> button to press after committing
    echo: dict[str, Callable[[Page, str], None]] = field(default_factory=dict)  # label -> check
    prepare: Callable[[str], str] = lambda payload: payload  # what is typed for a payload


def _main(page: Page) -> Locator:
    return page.locator(MAIN)


def _click(page: Page, target: Locator) -> None:
    _arm(page)
    target.click()
    wait_for_idle(page, after_action=True)


def _open_tab(page: Page, name: str, reruns: bool = False) -> None:
    tab = _main(page).get_by_role("tab", name=name, exact=True)
    if tab.get_attribute("aria-selected") != "true":
        _click(page, tab) if reruns else tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


def _open_expander(page: Page, summary_text: str) -> None:
    details = _main(page).locator("details").filter(
        has=page.locator("summary", has_text=re.compile(summary_text))).first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
        expect(details).to_have_attribute("open", "")


# Gates: the text box sits in an expander ("Change the text ..."), closed when the page opens;
# the phrase box appears under the last tab once "A word or phrase" is chosen. The coloured text
# shows the text back.
def _gates_reveal(page: Page) -> None:
    _open_tab(page, "Find units for a pattern")
    _click(page, _main(page).locator('[data-testid="stRadio"]').get_by_text("A word or phrase", exact=True))
    _gates_show_text(page)


def _gates_show_text(page: Page) -> None:
    _open_expander(page, "Change the text|Type a text")


def _gates_show_phrase(page: Page) -> None:
    _open_tab(page, "Find units for a pattern")  # a new text may have put the tabs back on the first


def _gates_echo(page: Page, text: str) -> None:
    # The first tab's (the pattern tab shows it too when the phrase occurs in the text).
    expect(_main(page).locator("div.gates-text").first).to_have_text(text)


# Sentiment: the word-importance view shows each word the classifier read as text.
def _sentiment_reveal(page: Page) -> None:
    _click(page, _main(page).locator('[data-testid="stButtonGroup"]').get_by_role("radio", name="Word importance",
                                                                                  exact=True))


def _sentiment_echo(page: Page, text: str) -> None:
    words = _main(page).locator("div.sentiment-importance")
    expect(words).to_be_visible()
    # The review is shown as the words the classifier read (the tokenizer splits "<img" into "<" and
    # "img" and makes quotes plain): the same characters in the same order, spaces aside.
    assert _squash(words.inner_text()) == _squash(normalise(text)), (words.inner_text(), text)
    shown = set(words.locator("span[data-pos]").all_inner_texts())
    # The caption names the words that mattered most, as they are.
    caption = _main(page).locator('[data-testid="stCaptionContainer"]').filter(has_text="by occlusion").inner_text()
    for named in re.findall(r"most (?:positive|negative) word: “(.*?)” \(without", caption, re.S):
        assert named in shown, f"the caption names “{named}”, not a word of the review: {caption!r}"


# Sample: the prime is shown in grey before the generated text (after Generate), which is kept short.
def _sample_reveal(page: Page) -> None:
    fill_text(page, "Length", "50")


def _sample_echo(page: Page, text: str) -> None:
    prime = _main(page).locator("pre.sample-output").first.locator("span").first
    expect(prime).to_have_text(text)


# Anatomy: the strip of text above the cell, the character being read boxed; the sentence under it
# names that character.
def _anatomy_echo(page: Page, text: str) -> None:
    strip = _main(page).locator('[data-testid="stHtml"] div[style*="font-size:22px"]').first
    expect(strip).to_have_text(text)
    boxed = strip.locator('span[style*="font-weight:700"]').inner_text()
    inputs = _main(page).locator('[data-testid="stMarkdownContainer"]').filter(has_text="Inputs of step t.").first
    # Most payloads end in a character the model does not know (">"), which the sentence says in other words.
    expect(inputs).to_contain_text(f"“{boxed}”")


# Train: pasted text is checked (too short is refused with a message) and previewed in a code block.
def _train_reveal(page: Page) -> None:
    _click(page, _main(page).locator('[data-testid="stRadio"]').get_by_text("Paste text", exact=True))


def _train_prepare(payload: str) -> str:
    return "\n".join([payload] * 4)  # long enough to be accepted, so it is previewed


def _train_echo(page: Page, text: str) -> None:
    expect(_main(page).get_by_text("Pasted text", exact=False).first).to_be_attached()
    preview = _main(page).locator('[data-testid="stCode"]').first
    assert _squash(preview.text_content() or "") == _squash(text), preview.text_content()


CASES = {
    "": PageCase("Home", set()),
    "lessons": PageCase("Lessons", set()),  # answers are picked or numbers: no text box
    "train": PageCase("Train", {"Your text"}, reveal=_train_reveal, echo={"Your text": _train_echo},
                      prepare=_train_prepare),
    "gates": PageCase("Gates", {"Text to read", "Word or phrase (every occurrence, ignoring case)"},
                      reveal=_gates_reveal,
                      show={"Text to read": _gates_show_text,
                            "Word or phrase (every occurrence, ignoring case)": _gates_show_phrase},
                      echo={"Text to read": _gates_echo}),
    "sample": PageCase("Sample", {"Prime: the model reads this first, then carries on"}, reveal=_sample_reveal,
                       submit={"Prime: the model reads this first, then carries on": "Generate"},
                       echo={"Prime: the model reads this first, then carries on": _sample_echo}),
    "sentiment": PageCase("Sentiment", {"Review"}, reveal=_sentiment_reveal, echo={"Review": _sentiment_echo}),
    "anatomy": PageCase("Anatomy", {"Text"}, echo={"Text": _anatomy_echo}),
}


def test_every_page_is_covered():
    assert [CASES[p].title for p in CASES] == NAV_PAGES, "a page was added to app.py: add it to CASES"


def _nav(page: Page, title: str) -> None:
    """Go to a page by its link in the sidebar's navigation."""
    name = page.locator('[data-testid="stMarkdownContainer"]', has_text=re.compile(rf"^\s*{title}\s*$"))
    _click(page, page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]').filter(has=name))


def _text_boxes(page: Page) -> dict[str, str]:
    """label -> 'input' / 'textarea' for every visible text box (main area and sidebar)."""
    boxes = {}
    for el in page.locator(FIELDS).all():
        if el.is_visible():
            label = el.get_attribute("aria-label") or ""
            boxes[label] = el.evaluate("e => e.tagName.toLowerCase()")
    return boxes


def _commit(page: Page, label: str, kind: str, text: str) -> None:
    box = page.locator(FIELDS).and_(page.locator(f'[aria-label="{label}"]'))
    expect(box).to_have_count(1)
    box.fill(text)
    _arm(page)
    box.press("Control+Enter" if kind == "textarea" else "Enter")
    wait_for_idle(page, after_action=True)
    expect(box).to_have_value(text)  # what the person typed is kept


@pytest.mark.parametrize("path", list(CASES), ids=[c.title for c in CASES.values()])
def test_hostile_text_in_every_box(page, app_url, path):
    case = CASES[path]
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    # The home page first: it runs app.py (st.navigation), which deep links rely on; then the
    # navigation, as a person would.
    open_page(page, app_url, "/")
    if path:
        _nav(page, case.title)
        expect(page).to_have_url(re.compile(rf"/{path}(\?.*)?$"))
    assert_no_exception(page)
    case.reveal(page)
    boxes = _text_boxes(page)
    assert case.fields <= set(boxes), f"{case.title}: expected text boxes {case.fields}, found {set(boxes)}"
    typed = {}
    for label, kind in boxes.items():
        for payload in PAYLOADS:
            typed[label] = text = case.prepare(payload)
            case.show.get(label, lambda page: None)(page)
            _commit(page, label, kind, text)
            if label in case.submit:
                click_button(page, case.submit[label])
            assert_nothing_ran(page, dialogs, payload)
            if label in case.echo:
                case.echo[label](page, text)
        # Hovering the shown text (tooltips carry the payload too) runs nothing either.
        hover = _main(page).locator("span[data-pos]:visible")
        if hover.count():
            hover.first.hover()
            page.wait_for_timeout(200)
        assert_nothing_ran(page, dialogs, "hover")
    screenshot(page, f"hostile-input-{case.title.lower()}")
    if typed:
        # What the person typed last is still there after a visit to another page.
        _nav(page, "Home")
        _nav(page, case.title)
        case.reveal(page)
        for label, text in typed.items():
            expect(page.locator(FIELDS).and_(page.locator(f'[aria-label="{label}"]'))).to_have_value(text)
        assert_nothing_ran(page, dialogs, "the visit back")
