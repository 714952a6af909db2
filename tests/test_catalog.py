"""The Chinese catalog: complete, reviewed, up to date with the code, faithful to the glossary."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from lstm_core import i18n

REPO_ROOT = Path(__file__).resolve().parents[1]
PO = REPO_ROOT / "locale" / "zh" / "LC_MESSAGES" / "messages.po"
GLOSSARY = REPO_ROOT / "locale" / "glossary.md"
FIELD = re.compile(r"\{[^{}]*\}|%\(\w+\)[sdfr]|%[sdfr]")


def _catalog(path):
    with path.open("rb") as f:
        return read_po(f, locale="zh")


def _messages(catalog):
    return [m for m in catalog if m.id]


def test_every_message_has_a_reviewed_chinese_translation():
    missing, fuzzy = [], []
    for message in _messages(_catalog(PO)):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s.strip() for s in strings):
            missing.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"{len(missing)} messages have no Chinese translation, e.g. {missing[:5]}"
    assert not fuzzy, f"{len(fuzzy)} translations are marked fuzzy (not reviewed), e.g. {fuzzy[:5]}"


def test_translations_keep_every_placeholder():
    broken = []
    for message in _messages(_catalog(PO)):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(set(FIELD.findall(ids[-1])))
        for s in strings:
            if sorted(set(FIELD.findall(s))) != wanted:
                broken.append((ids[0], s))
    assert not broken, f"placeholders differ between English and Chinese: {broken[:5]}"


def test_the_catalog_is_extracted_from_the_current_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract", "-F", "babel.cfg",
                    "-o", str(pot), "."], cwd=REPO_ROOT, check=True)
    in_code = {m.id for m in _messages(_catalog(pot))}
    translated = {m.id for m in _messages(_catalog(PO))}
    assert not in_code - translated, f"messages new in the code, run `make catalog`: {sorted(in_code - translated)[:5]}"
    assert not translated - in_code, f"messages no longer in the code, run `make catalog`: " \
                                     f"{sorted(translated - in_code)[:5]}"


def _glossary():
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[2] == "✓":
            rows.append((cells[0], cells[1]))
    return rows


# English words in a sense the glossary's term is not: "two units" of measure (nats and bits) are no layer's units.
OTHER_SENSE = re.compile(r"\btwo units\b", re.IGNORECASE)


def _english(message):
    """The English of a message, without its fields ({pretrained}, {units}) or words in another sense."""
    return OTHER_SENSE.sub("", FIELD.sub("", message.id if isinstance(message.id, str) else message.id[0]))


def test_translations_follow_the_glossary():
    rows = _glossary()
    assert len(rows) >= 10
    astray = []
    for message in _messages(_catalog(PO)):
        english = _english(message)
        chinese = message.string if isinstance(message.string, str) else message.string[0]
        for term, word in rows:
            if re.search(rf"\b{re.escape(term)}", english, re.IGNORECASE) and word not in chinese:
                astray.append((term, word, english, chinese))
    assert not astray, f"{len(astray)} translations do not use the glossary's word, e.g. {astray[:3]}"


# Words the glossary rules out: one concept, one word (the glossary's notes say why).
RULED_OUT = {"奈特": "纳特 (nats)", "细胞": "单元 (cell), 单元状态 (cell state)"}


def _translations(catalog):
    for message in _messages(catalog):
        yield from message.string if isinstance(message.string, tuple) else (message.string,)


def test_no_translation_uses_a_word_the_glossary_rules_out():
    found = [(word, RULED_OUT[word], chinese) for chinese in _translations(_catalog(PO))
             for word in RULED_OUT if word in chinese]
    assert not found, f"{len(found)} translations use a word the glossary rules out (word, the glossary's word, " \
                      f"translation), e.g. {found[:3]}"


def test_a_unit_is_not_a_cell():
    """单元 is the cell's word (循环单元, 记忆单元, 单元状态), 神经元 the unit's: never one for the other."""
    words = dict(_glossary())
    unit, cell = words["unit"], words["cell"]
    assert unit == "神经元" and cell == "单元", "the glossary's words for unit and cell changed: update this test"
    conflated = []
    for message in _messages(_catalog(PO)):
        english = _english(message)
        says_unit = re.search(r"\bunit", english, re.IGNORECASE)
        says_cell = re.search(r"\bcell", english, re.IGNORECASE)
        for chinese in message.string if isinstance(message.string, tuple) else (message.string,):
            if cell in chinese and not says_cell:  # a unit (or something unnamed) called a cell
                conflated.append((english, chinese))
            if unit in chinese and says_cell and not says_unit:  # a cell called a unit
                conflated.append((english, chinese))
    assert not conflated, f"{len(conflated)} translations use the cell's word 单元 where the English has no " \
                          f"cell, or the unit's word 神经元 for a cell, e.g. {conflated[:3]}"


@pytest.fixture
def reader_language():
    chosen = {"language": "en"}
    i18n.set_resolver(lambda: chosen["language"])
    yield chosen
    i18n.set_resolver(lambda: i18n.DEFAULT)


def test_each_reader_gets_their_language_and_english_is_the_message_itself(reader_language):
    reader_language["language"] = "zh"
    assert i18n._("Train") == "训练"
    reader_language["language"] = "en"
    assert i18n._("Train") == "Train"
    reader_language["language"] = "xx"  # not a language of ours: English
    assert i18n._("Train") == "Train"
