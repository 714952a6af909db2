"""The sidebar's "Share with the class": with the teacher key that the server was given
(LSTM_LAB_TEACHER_KEY), publish the active model to every session, or withdraw one. Without a key set,
the section is not shown and nobody can publish."""

from __future__ import annotations

import streamlit as st

from lstm_core import settings
from lstm_core.i18n import _
from lstm_core.storage import published, teacher_key

from ui import models
from ui.classroom import teacher
from ui.classroom.teacher import KEY_OK
from ui.literal import literal

SHAREABLE = ("Trained here", "Uploaded")


def _check_key() -> None:
    st.session_state[KEY_OK] = teacher_key.matches(st.session_state.get("teacher_key"), settings.current().teacher_key)


def section(current: models.ModelEntry | None, page: str) -> None:
    expected = settings.current().teacher_key
    if expected is None:
        return
    with st.expander(_("Share with the class (teacher)"), key="publish_box", icon=":material/co_present:"):
        st.text_input(_("Teacher key"), type="password", key="teacher_key", on_change=_check_key,
                      help=_("The key whoever runs the server set. Students do not need it."))
        said = st.session_state.get("publish_said")
        if st.session_state.get("teacher_key") and not st.session_state.get(KEY_OK) and not said:
            st.caption(_("That is not the teacher key."))
        teacher.controls(page)
        if current is not None and current.source in SHAREABLE:
            st.button(_("Publish the active model"), key="publish_active", on_click=_publish,
                      args=(current, expected), icon=":material/publish:")
        else:
            st.caption(_("Make a model you trained or uploaded the active one to publish it."))
        shared = published.listing(models.published_root())
        for pid, _folder, info in shared:
            st.button(_("Withdraw “{label}”").format(label=literal(str(info.get("label", pid)))),
                      key=f"withdraw_{pid}", on_click=_withdraw, args=(pid, expected), icon=":material/delete:")
        if said:
            getattr(st, said[0])(said[1])


def _allowed(expected: str) -> bool:
    if teacher_key.matches(st.session_state.get("teacher_key"), expected):
        return True
    st.session_state.publish_said = ("error", _("That is not the teacher key: nothing was changed."))
    return False


def _publish(entry: models.ModelEntry, expected: str) -> None:
    if not _allowed(expected):
        return
    published.publish(entry.model.folder, models.published_root(), entry.model.label)
    st.session_state.publish_said = ("success", _("“{label}” is now listed in every session.").format(
        label=literal(entry.model.label)))


def _withdraw(pid: str, expected: str) -> None:
    if not _allowed(expected):
        return
    published.withdraw(models.published_root(), pid)
    st.session_state.publish_said = ("success", _("Withdrawn: new and open sessions no longer list it."))
