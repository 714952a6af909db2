"""The Class page, for the teacher only: the code to join by (with its link and QR code), pacing and pause,
each student's progress at a glance, counts per lesson step, and the views students sent."""

from __future__ import annotations

import io
import time

import segno
import streamlit as st

from lstm_core.i18n import _, language
from lstm_core.storage import classroom
from lstm_core.teaching import lessons as lessons_core

from ui.classroom import where
from ui.classroom.picture import gates_picture
from ui.classroom.view_words import describe
from ui.classroom.teacher import start_class
from ui.literal import literal
from ui.page_list import TITLES

REFRESH_S = 5.0


def join_link(code: str) -> str:
    base = str(st.context.url or "").split("?", 1)[0].rstrip("/")
    home = base.rsplit("/", 1)[0] if base.endswith("/class") else base
    return f"{home}/?class={code}"


def _qr_png(link: str) -> bytes:
    """Drawn here, offline: no QR service is asked."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def _end(code: str) -> None:
    classroom.end(where.base(), code)
    st.session_state.pop(where.TEACHER_CLASS, None)


def _ago(seconds: float) -> str:
    if seconds < 60:
        return _("{n} s ago").format(n=int(seconds))
    return _("{n} min ago").format(n=int(seconds // 60))


def _steps(lessons: list[lessons_core.Lesson]) -> list[tuple[str, str]]:
    """(step id, "lesson title · step N") for every step, in the path's order."""
    out = []
    for number, lesson in enumerate(lessons, 1):
        for k, step in enumerate(lesson.steps, 1):
            out.append((step.id, _("{lesson}. {title} · step {step}").format(lesson=number, title=lesson.title,
                                                                              step=k)))
    return out


def show() -> None:
    state = where.teaching()
    if state is None:
        st.markdown(_("Start a class, and students join with its code from the sidebar of their own tab. You can "
                      "then show them any view, pause them, limit the lessons, and see how far each has come."))
        st.button(_("Start a class"), key="class_page_start", on_click=start_class, icon=":material/groups:",
                  type="primary")
        return
    link = join_link(state.code)
    code_col, qr_col, control_col = st.columns([1.4, 1, 1.6], gap="large")
    with code_col:
        st.markdown(_("Class code"))
        # The code is made of CODE_ALPHABET only: safe as HTML. Large, for the back of the room.
        st.markdown(f"<p style='font-size:3rem;font-weight:700;letter-spacing:0.06em;white-space:nowrap;margin:0'>{state.code}</p>",
                    unsafe_allow_html=True)
        st.caption(_("Students type it under **Join a class** in the sidebar, or open this link:"))
        st.code(link, language=None, wrap_lines=True)
        left = max(0.0, state.ends - time.time())
        st.caption(_("The class ends by itself in {h} h {m:02d} min; its progress records are then deleted.").format(
            h=int(left // 3600), m=int(left % 3600 // 60)))
    with qr_col:
        st.image(_qr_png(link), caption=_("The same link as a QR code"), width=200)
    with control_col:
        paused = st.toggle(_("Pause the class"), value=state.paused, key="class_pause",
                           help=_("Students' pages show “Eyes on the teacher” until you switch it off. Their "
                                  "trainings go on."))
        if paused != state.paused:
            classroom.pause(where.base(), state.code, paused)
        lessons = lessons_core.load(language())
        choices = list(range(len(lessons) + 1))  # 0: all of them
        up_to = st.selectbox(_("Lessons open to students"), choices, index=min(state.lessons_up_to or 0, len(lessons)),
                             format_func=lambda n: _("All") if n == 0 else _("1 to {n}").format(n=n),
                             key=f"class_pace_{language()}")  # its options' words are the language's
        if (up_to or None) != state.lessons_up_to:
            classroom.pace(where.base(), state.code, up_to or None)
        st.button(_("End the class"), key="class_end", on_click=_end, args=(state.code,), icon=":material/logout:")
    _progress(state.code)


@st.fragment(run_every=REFRESH_S)
def _progress(code: str) -> None:
    if classroom.state(where.base(), code) is None:
        st.rerun(scope="app")
    students = classroom.students(where.base(), code)
    now = time.time()
    st.subheader(_("Students ({n})").format(n=len(students)))
    if not students:
        st.caption(_("Nobody has joined yet."))
    else:
        training = {"running": _("training"), "queued": _("waiting for a slot"), "": ""}
        path = lessons_core.load(language())
        lessons = {lesson.id: f"{n}. {lesson.title}" for n, lesson in enumerate(path, 1)}
        st.dataframe([{_("Name"): where.name_of(s), _("Page"): _(TITLES.get(s.page, s.page)) if s.page else "",
                       _("Lesson"): lessons.get(s.lesson, ""), _("Steps passed"): len(s.passed), _("Last seen"): _ago(now - s.seen),
                       _("Training"): training.get(s.training, "")} for s in students],
                     hide_index=True, width="stretch")
        steps = _steps(path)
        counts = {sid: sum(sid in s.passed for s in students) for sid, _label in steps}
        lines = [_("- {step}: **{done}** of {total}").format(step=label, done=counts[sid], total=len(students))
                 for sid, label in steps if counts[sid]]
        st.markdown(_("**Steps passed, per step**") + "\n" + ("\n".join(lines) if lines else _("- none yet")))
    _snapshots(code, {s.id: s for s in students})


def _show_snapshot(code: str, snap: classroom.Snapshot) -> None:
    classroom.show(where.base(), code, snap.page, snap.params)
    st.session_state.class_snapshot_shown = snap.file


def _snapshots(code: str, students: dict[str, classroom.Student]) -> None:
    snaps = classroom.snapshots(where.base(), code)
    st.subheader(_("Views students sent ({n})").format(n=len(snaps)))
    if not snaps:
        st.caption(_("A student can send you the view on their screen with **Send this view to the teacher**."))
    for snap in snaps:
        who = students.get(snap.student)
        name = where.name_of(who) if who is not None else _("a student who left")
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(_("{name}: {view}").format(name=literal(name), view=describe(snap.page, snap.params)))
        right.button(_("Show to the class"), key=f"class_snap_{snap.file}", on_click=_show_snapshot,
                     args=(code, snap), icon=":material/cast_for_education:")
        if st.session_state.get("class_snapshot_shown") == snap.file:
            left.caption(_("Shown to the class."))
        picture = gates_picture(snap.params) if snap.page == "gates" else None
        if picture is not None:
            left.html(picture)
