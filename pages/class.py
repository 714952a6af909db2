"""Class: the teacher's page, in the navigation only with the teacher key (ui.classroom)."""

import streamlit as st

from lstm_core.i18n import _
from ui import shell
from ui.classroom import class_page
from ui.classroom.teacher import KEY_OK

shell.require_app()

st.title(_("Class"))
if not st.session_state.get(KEY_OK):  # not in the navigation then; this is for an address typed by hand
    st.warning(_("This page is for the teacher: type the teacher key in the sidebar first."))
    st.stop()
class_page.show()
