"""Lessons: a path through LSTM Lab in the order of the textbook chapters. Each step explains one idea,
opens the page it is about in the state it needs, and checks what the student answered or did there.
The path and its words are data (lessons/, read by lstm_core.teaching.lessons); progress is kept in
the workspace (ui.lesson_facts)."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import _, language
from lstm_core.teaching import lessons as lessons_core
from ui import lesson_facts, lesson_return, models, shell, siblings
from ui.classroom import where as classroom_where
from ui.page_list import TITLES as PAGE_TITLES

shell.require_app()


def _open(lesson: lessons_core.Lesson, step_number: int, step: lessons_core.Step) -> None:
    """Set the page's widgets as the step needs them, make its model active, and go there (with a way back)."""
    for key, value in step.state.items():
        st.session_state[key] = value
    if step.model is not None:
        models.models()  # the session's list, with every shipped model
        models.choose(models.pretrained_key(step.model))
    lesson_return.opened(step.page, lesson.id, step.id, ids.index(lesson.id) + 1, step_number)
    st.switch_page(f"pages/{step.page}.py")


def _best_cell(step: lessons_core.Step) -> int | None:
    """The option naming the pretrained cell with the lowest held-out loss (None without the siblings)."""
    shipped = [m for _n, m in siblings.present() if m.meta.held_out is not None]
    if len(shipped) < 2:
        return None
    best = min(shipped, key=lambda m: m.meta.held_out.mean_loss_nats).spec.cell_name
    return step.options.index(best) if best in step.options else None


def _task(step: lessons_core.Step, done: bool) -> None:
    task = step.task
    if task["kind"] == "fact":
        if done:
            st.success(_("Done."), icon=":material/check:")
        else:
            st.caption(_("This step ticks itself when you have done it."))
        return
    key = f"lesson_answer_{step.id}"
    if task["kind"] == "choice":
        answer = st.radio(step.question, range(len(step.options)), format_func=lambda i: step.options[i],
                          index=None, key=key)
    else:
        answer = st.number_input(step.question, min_value=0, step=1, value=None, key=key,
                                 placeholder=_("a whole number"))
    best = _best_cell(step) if task.get("answer") == "best-cell" else None
    if task.get("answer") == "best-cell" and best is None:
        st.info(_("This question needs the pretrained GRU and SimpleRNN (`make assets` builds them)."))
        return
    if st.button(_("Check"), key=f"lesson_check_{step.id}", disabled=answer is None):
        right = lessons_core.answer_right(step, answer, best)
        st.session_state[f"lesson_said_{step.id}"] = right
        if right:
            lesson_facts.mark_done(step.id)
            st.rerun()  # the lesson list above was drawn before this tick
    said = st.session_state.get(f"lesson_said_{step.id}")
    if done or said:
        st.success(_("Right."), icon=":material/check:")
    elif said is False:
        st.error(_("Not quite. Look again at the page, then try once more."), icon=":material/close:")


st.title(_("Lessons"))
st.markdown(_("A path through LSTM Lab in the order of the textbook. Each step explains one idea, opens the page "
              "it is about, set up as it needs, and checks what you answered or did there. Your ticks are kept "
              "with your workspace."))

try:
    path = [lesson for lesson in lessons_core.load(language())
            if lesson.needs is None or models.pretrained(lesson.needs) is not None]
except lessons_core.LessonError as exc:
    st.error(_("The lesson files cannot be read: {error}").format(error=exc))
    st.stop()

up_to = classroom_where.lessons_up_to()
if up_to is not None and up_to < len(path):
    path = path[:up_to]
    st.caption(_("Your teacher has opened lessons 1 to {n} for now.").format(n=up_to))
facts, done = lesson_facts.facts(), lesson_facts.done()
for lesson in path:  # steps checked from what the pages recorded tick themselves
    for step in lesson.steps:
        if step.task["kind"] == "fact" and lessons_core.fact_done(step.task, facts):
            lesson_facts.mark_done(step.id)

ids = [lesson.id for lesson in path]
if st.session_state.get("lessons_current") not in ids:
    st.session_state.lessons_current = ids[0]
back = lesson_return.came_back()
if back is not None and not back.returned and back.lesson in ids:
    st.session_state.lessons_current = back.lesson  # just back from the page a step opened: that step's lesson
titles = {lesson.id: lesson for lesson in path}
labels = {i: ("✓ " if all(s.id in done for s in titles[i].steps) else "") + f"{ids.index(i) + 1}. {titles[i].title}"
          for i in ids}
if st.session_state.get("lessons_labels") != labels:
    # The browser keeps the chosen lesson by its label: when a tick or the language changes the labels, it
    # must be told the choice again, or the list shows nothing chosen.
    st.session_state.lessons_labels = labels
    st.session_state.lessons_current = st.session_state.lessons_current
menu, shown = st.columns([1.1, 3], gap="large")
with menu:
    chosen = st.radio(_("Lesson"), ids, key="lessons_current", persist_state="session", format_func=labels.get)
    finished = sum(all(s.id in done for s in lesson.steps) for lesson in path)
    st.caption(_("{done} of {total} lessons done.").format(done=finished, total=len(path)))
lesson = titles[chosen]
with shown:
    st.subheader(lesson.title)
    if lesson.intro:
        st.markdown(lesson.intro)
    for number, step in enumerate(lesson.steps, 1):
        with st.container(border=True):
            mark = " ✓" if step.id in done else ""
            st.markdown(_("**Step {number}**{mark}").format(number=number, mark=mark))
            if back is not None and back.step == step.id:
                st.caption(_("You came back here from {page}.").format(page=_(PAGE_TITLES[back.page])))
            st.markdown(step.text)
            if step.page is not None:
                if st.button(_("Open {page}").format(page=_(PAGE_TITLES[step.page])), key=f"lesson_open_{step.id}",
                             icon=":material/open_in_new:"):
                    _open(lesson, number, step)
            _task(step, step.id in done)
