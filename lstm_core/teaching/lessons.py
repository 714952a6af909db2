"""The lessons: a path through LSTM Lab in the order of the textbook chapters, read from data files
(lessons/path.toml: what each step opens and how its task is checked; lessons/text.<language>.toml:
the words, by step id) so that teachers and translators edit text, not code.

A task is checked from what the student answered or did: `choice` and `number` from the answer given
on the Lessons page, `fact` from what the pages recorded (ui/lesson_facts.py): a run that finished,
the temperatures sampled at, the best score of a unit for a pattern, a review read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lstm_core.inference.params import recurrent_params

ROOT = Path(__file__).resolve().parents[2] / "lessons"
PAGES = ("home", "train", "gates", "sample", "sentiment", "anatomy")
KINDS = ("choice", "number", "fact")
FACTS = ("training_finished", "sampled_temperature", "unit_score", "review_read", "opened", "sampled_model")


class LessonError(ValueError):
    """A lesson file that does not describe a path the app can follow (a teacher's typo)."""


@dataclass(frozen=True)
class Step:
    id: str
    text: str
    page: str | None  # the page the step opens, if any
    state: dict  # that page's widget values to set first
    model: str | None  # a pretrained model to make active first (persistence.PRETRAINED name)
    task: dict
    question: str = ""
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    intro: str
    needs: str | None  # a pretrained model without which the lesson is left out
    steps: tuple[Step, ...] = field(default_factory=tuple)


def load(language: str = "en", root: Path = ROOT) -> list[Lesson]:
    """The path with the words of `language` (English where a word is missing)."""
    path = _toml(root / "path.toml")
    english = _toml(root / "text.en.toml")
    words = english if language == "en" else {**english, **_toml_or_empty(root / f"text.{language}.toml")}
    lessons = []
    for entry in path.get("lesson", []):
        lid = entry.get("id")
        if lid not in words:
            raise LessonError(f"lesson {lid!r} has no words in text.en.toml")
        steps = tuple(_step(s, words) for s in entry.get("step", []))
        if not steps:
            raise LessonError(f"lesson {lid!r} has no steps")
        lessons.append(Lesson(lid, words[lid]["title"], words[lid].get("intro", ""), entry.get("needs"), steps))
    return lessons


def _step(entry: dict, words: dict) -> Step:
    sid = entry.get("id")
    if sid not in words or "text" not in words[sid]:
        raise LessonError(f"step {sid!r} has no text in text.en.toml")
    opened = entry.get("open", {})
    page = opened.get("page")
    if page is not None and page not in PAGES:
        raise LessonError(f"step {sid!r} opens {page!r}, which is not a page ({', '.join(PAGES)})")
    task = entry.get("task", {})
    if task.get("kind") not in KINDS:
        raise LessonError(f"step {sid!r} has a task of kind {task.get('kind')!r}, not one of {', '.join(KINDS)}")
    said = words[sid]
    if task["kind"] == "fact" and task.get("fact") not in FACTS:
        raise LessonError(f"step {sid!r} checks {task.get('fact')!r}, which no page records")
    if task["kind"] == "choice":
        options = said.get("options", [])
        answer = task.get("answer")
        if not said.get("question") or len(options) < 2 or not (answer == "best-cell" or
                                                                 (isinstance(answer, int) and 0 <= answer < len(options))):
            raise LessonError(f"step {sid!r}: a choice needs a question, two options or more and a valid answer")
    if task["kind"] == "number" and not said.get("question"):
        raise LessonError(f"step {sid!r}: a number task needs a question")
    return Step(sid, said["text"], page, dict(opened.get("state", {})), opened.get("model"), dict(task),
                said.get("question", ""), tuple(said.get("options", ())))


def expected_number(task: dict) -> int:
    """A number task's answer: the parameter count of the layer it describes."""
    return recurrent_params(task["cell"], int(task["inputs"]), int(task["units"]))


def answer_right(step: Step, answer, best_cell: int | None = None) -> bool:
    """Whether an answer given on the Lessons page is right (choice: the option's index)."""
    task = step.task
    if task["kind"] == "number":
        return answer is not None and int(answer) == expected_number(task)
    if task["kind"] == "choice":
        right = best_cell if task["answer"] == "best-cell" else task["answer"]
        return right is not None and answer == right
    return False


def fact_done(task: dict, facts: dict) -> bool:
    """Whether what the pages recorded (`facts`) does a `fact` task."""
    fact = task["fact"]
    value = facts.get(fact)
    if fact in ("training_finished", "review_read"):
        return bool(value)
    if fact == "sampled_temperature":
        return all(any(abs(t - want) < 1e-9 for t in value or ()) for want in task["values"])
    if fact == "unit_score":
        return (value or {}).get(task["key"], 0.0) >= task["at_least"]
    return task.get("value") in (value or ())  # "opened", "sampled_model": a set of what was seen


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LessonError(f"{path.name}: {exc}") from None


def _toml_or_empty(path: Path) -> dict:
    return _toml(path) if path.is_file() else {}
