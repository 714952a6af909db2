"""Where this server keeps its classes, and what this tab is in one (session state only)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lstm_core import settings
from lstm_core.i18n import _
from lstm_core.storage import classroom

TEACHER_CLASS = "class_teaching"  # session key: the code of the class this teacher's tab leads
STUDENT_CLASS = "class_joined"  # session key: (code, Student) of the class this student's tab is in


def base() -> Path:
    return classroom.root(settings.current().data_dir)


def teaching() -> classroom.ClassState | None:
    """The class this tab leads, while it lasts."""
    code = st.session_state.get(TEACHER_CLASS)
    found = classroom.state(base(), code) if code else None
    if code and found is None:
        st.session_state.pop(TEACHER_CLASS, None)
    return found


def joined() -> tuple[classroom.ClassState, classroom.Student] | None:
    """The class this tab is in and the student it is there, while the class lasts."""
    entry = st.session_state.get(STUDENT_CLASS)
    if entry is None:
        return None
    found = classroom.state(base(), entry[0])
    if found is None:
        st.session_state.pop(STUDENT_CLASS, None)
        st.session_state.class_ended = True
        return None
    return found, entry[1]


def name_of(student: classroom.Student) -> str:
    """A display name in the reader's language: the one typed, or an animal and a number."""
    return student.name or _("{animal} {number}").format(animal=_(student.animal), number=student.number)


def lessons_up_to() -> int | None:
    """How many lessons the class this student is in may open (None: all, or not in a class)."""
    found = joined()
    return None if found is None else found[0].lessons_up_to
