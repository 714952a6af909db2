"""One true message: the page says "agree" only when both gave a verdict and they match, never two
notes that contradict each other; the command line fails on a text that gives no verdict."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_core.sentiment import scoring
from lstm_core.sentiment.store import load_folder
from ui.sentiment.figures import comparison

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model():
    return load_folder("default")


def test_an_emoji_only_review_has_no_lstm_verdict_and_one_note(model):
    verdict = scoring.score(model.net, model.vocab, "😍😍😍")
    assert verdict.status == scoring.UNKNOWN_ONLY and verdict.label is None and verdict.reason
    assert len(verdict.reading.notes) == 1 and "gives no verdict" in verdict.reading.notes[0]
    kind, text = comparison(verdict.label, 1.0)  # VADER rates the emoji
    assert kind == "info" and "agree" not in text and "Only VADER gives a verdict" in text


@pytest.mark.parametrize("label, compound, kind, words", [
    ("positive", 0.6, "success", "agree: positive"),
    ("negative", 0.6, "warning", "They disagree"),
    ("positive", 0.0, "info", "no opinion"),
    (None, 0.0, None, None),
    ("positive", None, None, None),
])
def test_the_comparison_is_one_true_sentence(label, compound, kind, words):
    said = comparison(label, compound)
    if kind is None:
        assert said is None
    else:
        assert said[0] == kind and words in said[1]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lstm_core", "sentiment", "default", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_cli_fails_on_a_text_without_a_verdict_and_says_why(tmp_path):
    empty = _cli("--text", "")
    assert empty.returncode == 1 and "nothing to classify" in empty.stderr
    chinese = _cli("--text", "这部电影很好", "--json")
    assert chinese.returncode == 1 and "no verdict" in chinese.stderr
    out = json.loads(chinese.stdout)
    assert out["status"] == "unknown-only" and out["label"] is None and out["reason"]
    fine = _cli("--text", "not good at all", "--json")
    assert fine.returncode == 0 and json.loads(fine.stdout)["label"] in ("positive", "negative")
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("a wonderful film\n\n", encoding="utf-8")
    batch = _cli("--file", str(reviews))
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert batch.returncode == 1 and "line 2:" in batch.stderr
    assert lines[0]["label"] and lines[1]["label"] is None and lines[1]["reason"]
