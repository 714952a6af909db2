"""The teacher's side of a class, in the sidebar's teacher section: start a class, show the class the view
on screen, and the way to the Class page. Everything needs the teacher key (ui.publishing asks for it)."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import _
from lstm_core.storage import classroom

from ui import view_link
from ui.classroom import where

KEY_OK = "teacher_key_ok"  # the key typed in this tab was right (checked once, when it was typed)


def start_class() -> None:
    st.session_state[where.TEACHER_CLASS] = classroom.start(where.base())


def _show(page: str) -> None:
    state = where.teaching()
    if state is not None:
        classroom.show(where.base(), state.code, page, view_link.view(page))
        st.session_state.class_shown_said = True


def controls(page: str) -> None:
    """Under the teacher key: a class to start, or the one running and Show the class this view."""
    if not st.session_state.get(KEY_OK):
        return
    state = where.teaching()
    if state is None:
        st.button(_("Start a class"), key="class_start", on_click=start_class, icon=":material/groups:",
                  help=_("Students join with a short code. You can then show them any view, pause them, and see "
                         "how far each has come on the Class page."))
        return
    st.markdown(_("Class **{code}** is on.").format(code=state.code))
    st.page_link("pages/class.py", label=_("Class page: students and pacing"), icon=":material/groups:")
    if page != "class":
        st.button(_("Show the class this view"), key="class_show", on_click=_show, args=(page,),
                  icon=":material/cast_for_education:",
                  help=_("Every student in the class is offered this page with these settings, in their own "
                         "language; those who follow you are taken there."))
    if st.session_state.pop("class_shown_said", False):
        st.success(_("Shown to the class."), icon=":material/check:")
