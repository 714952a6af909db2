"""What a session sees while its training waits for one of the server's training slots, or for room
on the deployment's Ray cluster (`slots` 0: the cluster decides when it starts)."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import _, ngettext


def waiting_notice(position: int, slots: int) -> None:
    if slots == 0:
        st.info(_("**Waiting for the cluster: number {position} in line.** This class trains its models on a cluster "
                  "of machines; yours starts by itself as soon as one of them has room for it. You can look at other "
                  "pages meanwhile, or press **Stop** to leave the queue.").format(position=position),
                icon=":material/hourglass_empty:")
        return
    st.info(ngettext("**Waiting for a free training slot: number {position} in line.** This server trains {slots} "
                     "model at a time, so that every training gets the processor share it needs; yours starts by "
                     "itself when a slot frees up. You can look at other pages meanwhile, or press **Stop** to leave "
                     "the queue.",
                     "**Waiting for a free training slot: number {position} in line.** This server trains {slots} "
                     "models at a time, so that every training gets the processor share it needs; yours starts by "
                     "itself when a slot frees up. You can look at other pages meanwhile, or press **Stop** to leave "
                     "the queue.", slots).format(position=position, slots=slots), icon=":material/hourglass_empty:")


def stopping_notice() -> None:
    """Between Stop and the run's end (lstm_core.training.job: a step, at most a few seconds)."""
    st.info(_("**Stopping** after the current step. A run that does not stop within a few seconds is ended."),
            icon=":material/hourglass_top:")
