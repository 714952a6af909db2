"""What a student's tab hears from the class, checked every POLL_S seconds by a fragment that reads one small
file (when it changed): a view the teacher shows (a banner with Open, or the view itself when following), a
pause (the page gives way to "Eyes on the teacher" until the teacher resumes), the class's end."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import _

from ui import view_link
from ui.classroom import where
from ui.classroom.view_words import describe

POLL_S = 2.0
SEEN = "class_seen_view"  # the number of the last view shown that this tab followed or was offered
PAUSED = "class_paused_drawn"  # whether this run drew the pause


def _open(shown) -> None:
    st.session_state[SEEN] = shown.number
    view_link.open_view(shown.page, shown.params)


@st.fragment(run_every=POLL_S)
def _watch() -> None:
    found = where.joined()
    if found is None or found[0].paused != st.session_state.get(PAUSED, False):
        st.rerun(scope="app")  # the class ended, paused or resumed: the whole page changes
    shown = found[0].shown
    if shown is None or shown.number <= st.session_state.get(SEEN, 0):
        return
    if st.session_state.get("class_follow"):
        _open(shown)
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.markdown(_(":material/cast_for_education: Your teacher is showing: **{view}**").format(
            view=describe(shown.page, shown.params)))
        if st.button(_("Open"), key="class_open_shown", icon=":material/open_in_new:"):
            _open(shown)
        if st.button(_("Not now"), key="class_dismiss_shown"):
            st.session_state[SEEN] = shown.number
            st.rerun(scope="fragment")


def watch() -> None:
    """At the top of the page, for a student in a class: the check, and the pause in place of the page."""
    found = where.joined()
    if found is None:
        return
    st.session_state[PAUSED] = found[0].paused
    _watch()
    if found[0].paused:
        st.title(_("Eyes on the teacher"))
        st.markdown(_("Your teacher has paused the class. This page comes back when they resume; a training of "
                      "yours goes on meanwhile."))
        st.stop()
