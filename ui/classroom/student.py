"""A student's side of a class, in the sidebar: join with the teacher's code, follow the teacher, send the
teacher a view, leave. Joining changes nothing of the student's own workspace."""

from __future__ import annotations

import time
from dataclasses import replace

import streamlit as st

from lstm_core.i18n import _
from lstm_core.storage import classroom

from ui import lesson_facts, view_link
from ui.classroom import where
from ui.literal import literal
from ui.train import session as training_session

REPORT_EVERY_S = 30.0  # "last activity" stays honest without a write on every click


def _join() -> None:
    code = classroom.normalised(st.session_state.get("class_code_typed", ""))
    try:
        student = classroom.join(where.base(), code, st.session_state.get("class_name_typed", ""))
    except (LookupError, ValueError):
        st.session_state.class_join_said = _("There is no class with the code “{code}” on this server. Check it "
                                             "with your teacher.").format(code=literal(code or "…"))
        return
    except OverflowError:
        st.session_state.class_join_said = _("This class is full.")
        return
    st.session_state[where.STUDENT_CLASS] = (code, student)
    st.session_state.class_follow = True
    st.session_state.class_seen_view = _current_number(code)


def _current_number(code: str) -> int:
    """The number of the view shown now: joining does not jump to it; the banner offers it."""
    state = classroom.state(where.base(), code)
    return state.shown.number - 1 if state is not None and state.shown is not None else 0


def _leave() -> None:
    entry = st.session_state.pop(where.STUDENT_CLASS, None)
    if entry is not None:
        classroom.leave(where.base(), entry[0], entry[1].id)


def _send(page: str) -> None:
    found = where.joined()
    if found is not None:
        state, student = found
        sent = classroom.send(where.base(), state.code, student.id, page, view_link.view(page))
        st.session_state.class_sent_said = sent


def section(page: str) -> None:
    """Join a class, or the class this tab is in."""
    found = where.joined()
    if found is None:
        asked = st.query_params.get("class")  # the teacher's link or QR code: the code typed for the student
        if asked and "class_code_typed" not in st.session_state:
            st.session_state.class_code_typed = classroom.normalised(asked)[:12]
        if st.session_state.pop("class_ended", False):
            st.info(_("The class has ended. Your models and lessons are as you left them."), icon=":material/logout:")
        with st.expander(_("Join a class"), icon=":material/groups:", key="class_join_box"):
            st.text_input(_("Class code"), key="class_code_typed", max_chars=12, placeholder="K7M2PQ")
            st.text_input(_("Your name (optional)"), key="class_name_typed", max_chars=classroom.NAME_MAX,
                          help=_("Shown to your teacher only. Without one you get an animal and a number."))
            st.button(_("Join"), key="class_join", on_click=_join, icon=":material/login:")
            said = st.session_state.pop("class_join_said", None)
            if said:
                st.error(said)
        return
    state, student = found
    st.markdown(_("In class **{code}** as {name}.").format(code=state.code, name=literal(where.name_of(student))))
    st.toggle(_("Follow the teacher"), key="class_follow", persist_state="session",
              help=_("On: each view your teacher shows opens here by itself. Off: you are offered it."))
    if page in view_link.FIELDS:
        st.button(_("Send this view to the teacher"), key="class_send", on_click=_send, args=(page,),
                  icon=":material/send:")
    sent = st.session_state.pop("class_sent_said", None)
    if sent is not None:
        (st.success if sent else st.warning)(_("Sent.") if sent else _("It could not be sent: the class has "
                                                                          "ended or holds too many views."))
    st.button(_("Leave the class"), key="class_leave", on_click=_leave, icon=":material/logout:")


def report(page: str) -> None:
    """After each run: the student's progress into the class, when it changed or a while has passed."""
    found = where.joined()
    if found is None:
        return
    state, student = found
    job, _info = training_session.session_job()
    view = job.view() if job is not None and job.is_alive else None
    training = "" if view is None else ("queued" if view.queued else "running")
    now = replace(student, page=page, lesson=st.session_state.get("lessons_current", ""),
                  passed=tuple(lesson_facts.done()), training=training)
    changed = (now.page, now.lesson, now.passed, now.training) != (student.page, student.lesson, student.passed,
                                                                   student.training)
    if changed or time.time() - student.seen > REPORT_EVERY_S:
        now = replace(now, seen=time.time())
        if classroom.report(where.base(), state.code, now):
            st.session_state[where.STUDENT_CLASS] = (state.code, now)
