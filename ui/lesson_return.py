"""The way back from a page a lesson step opened to that step. The step is kept in the session: the page
it opened shows a link back at its top, and the Lessons page, when the student is back, shows the step's
lesson and marks the step. Opening any other page forgets it, so a page opened otherwise has no link."""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st

from lstm_core.i18n import _

KEY = "lesson_return"


@dataclass(frozen=True)
class Return:
    page: str  # the page the step opened
    lesson: str  # the lesson's id
    step: str  # the step's id
    lesson_number: int  # as the Lessons page numbers them
    step_number: int
    returned: bool = False  # the student is back on the Lessons page


def opened(page: str, lesson: str, step: str, lesson_number: int, step_number: int) -> None:
    """The Lessons page, as a step opens its page."""
    st.session_state[KEY] = Return(page, lesson, step, lesson_number, step_number)


def offer(page: str) -> None:
    """The shell, before every page: on the page a step opened, a link back to that step."""
    there = st.session_state.get(KEY)
    if there is None or page == "lessons":  # the Lessons page itself uses it (came_back)
        return
    if page != there.page or there.returned:
        del st.session_state[KEY]
        return
    st.page_link("pages/lessons.py", icon=":material/arrow_back:",
                 label=_("Back to lesson {lesson}, step {step}").format(lesson=there.lesson_number,
                                                                         step=there.step_number))


def came_back() -> Return | None:
    """The Lessons page: the step whose page the student came back from, if any (`returned` is still false
    on the first run back only)."""
    there = st.session_state.get(KEY)
    if there is not None:
        st.session_state[KEY] = replace(there, returned=True)
    return there
