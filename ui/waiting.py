"""What a session sees while its training waits for one of the server's training slots."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import ngettext


def waiting_notice(position: int, slots: int) -> None:
    st.info(ngettext("**Waiting for a free training slot: number {position} in line.** This server trains {slots} "
                     "model at a time, so that every training gets the processor share it needs; yours starts by "
                     "itself when a slot frees up. You can look at other pages meanwhile, or press **Stop** to leave "
                     "the queue.",
                     "**Waiting for a free training slot: number {position} in line.** This server trains {slots} "
                     "models at a time, so that every training gets the processor share it needs; yours starts by "
                     "itself when a slot frees up. You can look at other pages meanwhile, or press **Stop** to leave "
                     "the queue.", slots).format(position=position, slots=slots), icon=":material/hourglass_empty:")
