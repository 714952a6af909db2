"""The Lessons page in AppTest: a step opens its page as it needs, answers are checked, facts tick steps."""

from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test
from lstm_core.teaching import lessons


def open_lessons() -> AppTest:
    at = app_test()
    at.run()
    at.switch_page("pages/lessons.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _right_count() -> int:
    step = next(s for lesson in lessons.load() for s in lesson.steps if s.id == "parameters-count")
    return lessons.expected_number(step.task)


def test_a_number_answer_is_checked_and_the_step_ticked():
    at = open_lessons()
    at.radio(key="lessons_current").set_value("parameters").run()
    at.number_input(key="lesson_answer_parameters-count").set_value(42_000).run()
    at.button(key="lesson_check_parameters-count").click().run()
    assert any("Not quite" in e.value for e in at.error)
    at.number_input(key="lesson_answer_parameters-count").set_value(42_240).run()
    at.button(key="lesson_check_parameters-count").click().run()
    assert any("Right." in s.value for s in at.success)
    assert "parameters-count" in at.session_state["lesson_done"]
    assert any(o.startswith("✓ 3.") for o in at.radio(key="lessons_current").options)


def test_a_step_opens_its_page_as_it_needs_and_a_fact_recorded_there_ticks_it():
    at = open_lessons()
    at.radio(key="lessons_current").set_value("temperature").run()
    at.button(key="lesson_open_temperature-two").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Sample"]
    assert at.select_slider(key="sample_temperature").value == 0.2  # at the temperature the step asks for
    assert at.session_state["sample_result"].settings.temperature == 0.2
    at.switch_page("pages/sample.py")  # AppTest's own page, for the runs that follow
    at.select_slider(key="sample_temperature").set_value(1.5).run()
    at.button(key="sample_generate").click().run()
    at.switch_page("pages/lessons.py")
    at.run()
    assert "temperature-two" in at.session_state["lesson_done"]
    at.radio(key="lesson_answer_temperature-which").set_value(0).run()
    at.button(key="lesson_check_temperature-which").click().run()
    assert {"temperature-two", "temperature-which"} <= set(at.session_state["lesson_done"])


def test_a_step_opens_a_tab_of_another_page():
    at = open_lessons()
    at.radio(key="lessons_current").set_value("parameters").run()
    at.button(key="lesson_open_parameters-count").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Anatomy of a cell"]
    assert at.session_state["anatomy_tab"] == "Counting parameters"
    assert any(m.value.startswith("How many numbers does a recurrent network learn?") for m in at.markdown)


def test_checking_an_answer_keeps_the_lesson_chosen_in_the_browser():
    """The browser keeps the chosen lesson by its label and shows nothing chosen once that label is no
    longer an option: the tick a right answer adds to the label must come with the choice, said again."""
    at = open_lessons()
    at.radio(key="lessons_current").set_value("parameters").run()
    at.number_input(key="lesson_answer_parameters-count").set_value(_right_count()).run()
    at.button(key="lesson_check_parameters-count").click().run()
    chosen = at.radio(key="lessons_current").proto
    assert chosen.set_value and chosen.raw_value == "✓ 3. Counting parameters"


def _back_links(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.main.get("page_link") if link.proto.label.startswith("Back to lesson")]


def test_a_page_a_step_opened_links_back_to_the_step_while_the_student_is_there():
    at = open_lessons()
    at.radio(key="lessons_current").set_value("gates").run()
    at.button(key="lesson_open_gates-forget").click().run()
    assert [t.value for t in at.title] == ["Gates"]
    assert _back_links(at) == ["Back to lesson 2, step 2"]
    at.switch_page("pages/gates.py")  # AppTest's own page, for the runs that follow
    at.run()
    assert _back_links(at) == ["Back to lesson 2, step 2"]  # the page's own reruns keep it
    at.switch_page("pages/lessons.py")  # what the link does
    at.run()
    assert at.radio(key="lessons_current").value == "gates"
    assert [c.value for c in at.caption if c.value.startswith("You came back")] == ["You came back here from Gates."]
    at.switch_page("pages/gates.py")  # the same page again, not from the lesson
    at.run()
    assert _back_links(at) == []


def test_a_page_opened_otherwise_has_no_way_back_to_a_lesson():
    at = open_lessons()
    at.radio(key="lessons_current").set_value("gates").run()
    at.button(key="lesson_open_gates-forget").click().run()
    at.switch_page("pages/home.py")  # another page: the way back is forgotten
    at.run()
    assert _back_links(at) == []
    at.switch_page("pages/gates.py")
    at.run()
    assert _back_links(at) == []


def test_the_page_a_number_question_opens_does_not_show_its_answer():
    at = open_lessons()
    at.radio(key="lessons_current").set_value("parameters").run()
    at.button(key="lesson_open_parameters-count").click().run()
    shown = ([m.value for m in at.metric] + [m.value for m in at.markdown] + [e.value for e in at.get("latex")]
             + [t.value.to_string() for t in at.table])
    answer = _right_count()
    assert not any(f"{answer:,}" in text or f"{answer:,}".replace(",", "{,}") in text for text in shown)
    at.switch_page("pages/lessons.py")
    at.run()
    at.number_input(key="lesson_answer_parameters-count").set_value(answer).run()
    at.button(key="lesson_check_parameters-count").click().run()
    assert "parameters-count" in at.session_state["lesson_done"]
