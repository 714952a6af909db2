"""Streamlit's own words (ui/streamlit_words.py) are found by their exact English text: a Streamlit
that rewords one would leave it English without a sound. These checks read the installed
Streamlit's frontend bundle, so an upgrade that changes a string fails here."""

import re
from pathlib import Path

import pytest
import streamlit

from ui import streamlit_words

BUNDLE = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in (Path(streamlit.__file__).parent / "static").rglob("*.js"))


# Record screen's instruction, Markdown the browser shows as three text nodes around `Esc`.
INSTRUCTION = "Press `Esc` any time to stop recording."


@pytest.mark.parametrize("english", list(streamlit_words.WORDS))
def test_each_word_is_one_streamlit_writes(english):
    # Template literals, whole or followed by a value (`Made with Streamlit v`, then the version).
    assert (f"`{english}`" in BUNDLE or f"`{english}${{" in BUNDLE
            or (english in INSTRUCTION and INSTRUCTION in BUNDLE)), english


# What Streamlit 1.67 builds around a value, as the bundle writes it, and a text it renders.
TEMPLATES = {
    r"^(.+) per file$": ("} per file`", "50MB per file"),
    r"^(.+) files are not allowed\.$": ("} files are not allowed.`", "image/png files are not allowed."),
    r"^File must be (.+) or smaller\.$": ("`File must be ${", "File must be 50.0MB or smaller."),
    r"^Remove (.+)$": ("`Remove ${", "Remove tiny.png"),
    r"^Cancel upload of (.+)$": ("`Cancel upload of ${", "Cancel upload of tiny.png"),
    r"^Press (.+) to apply$": ("+Enter to ${", "Press Ctrl+Enter to apply"),
    r"^Press (.+) to submit form$": ("`submit form`", "Press Enter to submit form"),
}


@pytest.mark.parametrize("pattern,to", streamlit_words.PATTERNS)
def test_each_pattern_matches_what_streamlit_builds(pattern, to):
    template, rendered = TEMPLATES[pattern]
    assert template in BUNDLE, template
    match = re.match(pattern, rendered)
    assert match and "$1" in to and re.search(r"[\u4e00-\u9fff]", to)


def test_the_script_carries_the_tables_and_nothing_ends_it_early():
    assert all("</" not in text for pair in streamlit_words.WORDS.items() for text in pair)
    assert all("</" not in text for rule in streamlit_words.PATTERNS for text in rule)


def test_the_parts_it_reads_are_ones_streamlit_draws():
    for testid in re.findall(r'data-testid="([^"]+)"', streamlit_words.SCOPES + streamlit_words.SKIP):
        assert f"`{testid}`" in BUNDLE, testid
