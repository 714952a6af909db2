"""The lesson files: a path the app can follow, in both languages, with tasks checked correctly."""

import tomllib

import pytest

from lstm_core.teaching import lessons
from lstm_core.inference.params import recurrent_params


def test_the_path_loads_in_both_languages_with_every_word_translated():
    english, chinese = lessons.load("en"), lessons.load("zh")
    assert [lesson.id for lesson in english] == [lesson.id for lesson in chinese]
    zh_words = tomllib.loads((lessons.ROOT / "text.zh.toml").read_text(encoding="utf-8"))
    en_words = tomllib.loads((lessons.ROOT / "text.en.toml").read_text(encoding="utf-8"))
    assert set(zh_words) == set(en_words)
    for key, words in en_words.items():
        assert set(zh_words[key]) == set(words), key
        assert len(zh_words[key].get("options", [])) == len(words.get("options", [])), key
    for en_lesson, zh_lesson in zip(english, chinese):
        assert en_lesson.title != zh_lesson.title
        for step in zh_lesson.steps:
            assert any("\u4e00" <= c <= "\u9fff" for c in step.text)  # written in Chinese


def test_the_path_follows_the_textbook_order():
    ids = [lesson.id for lesson in lessons.load()]
    assert ids[:6] == ["forgetting", "gates", "parameters", "training", "temperature", "units"]
    assert ids.index("review") < ids.index("cells")


def test_tasks_are_checked_against_the_right_answers():
    steps = {s.id: s for lesson in lessons.load() for s in lesson.steps}
    count = steps["parameters-count"]
    assert lessons.expected_number(count.task) == recurrent_params("lstm", 100, 64) == 42_240
    assert lessons.answer_right(count, 42_240) and not lessons.answer_right(count, 42_000)
    which = steps["temperature-which"]
    assert lessons.answer_right(which, 0) and not lessons.answer_right(which, 1)
    compare = steps["cells-compare"]
    assert lessons.answer_right(compare, 2, best_cell=2) and not lessons.answer_right(compare, 0, best_cell=2)
    assert not lessons.answer_right(compare, 0, best_cell=None)


def test_facts_recorded_by_the_pages_tick_their_steps():
    steps = {s.id: s for lesson in lessons.load() for s in lesson.steps}
    two = steps["temperature-two"].task
    assert not lessons.fact_done(two, {"sampled_temperature": [0.2]})
    assert lessons.fact_done(two, {"sampled_temperature": [0.2, 0.8, 1.5]})
    brackets = steps["units-brackets"].task
    assert not lessons.fact_done(brackets, {"unit_score": {"inside brackets": 0.79}})
    assert lessons.fact_done(brackets, {"unit_score": {"inside brackets": 0.8, "vowel": 0.1}})
    assert lessons.fact_done(steps["training-run"].task, {"training_finished": True})
    assert not lessons.fact_done(steps["review-read"].task, {})


def test_a_broken_lesson_file_is_refused_with_its_reason(tmp_path):
    (tmp_path / "path.toml").write_text('[[lesson]]\nid = "a"\n[[lesson.step]]\nid = "s"\n'
                                        'open = { page = "nowhere" }\ntask = { kind = "choice", answer = 0 }\n')
    (tmp_path / "text.en.toml").write_text('[a]\ntitle = "A"\n[s]\ntext = "S"\nquestion = "Q"\noptions = ["x", "y"]\n')
    with pytest.raises(lessons.LessonError, match="not a page"):
        lessons.load("en", tmp_path)
