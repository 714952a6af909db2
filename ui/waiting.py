"""What a session sees while its training waits for one of the server's training slots."""

from __future__ import annotations

import streamlit as st


def waiting_notice(position: int, slots: int) -> None:
    st.info(f"**Waiting for a free training slot: number {position} in line.** This server trains {slots} "
            f"model{'s' if slots > 1 else ''} at a time, so that every training gets the processor share it "
            "needs; yours starts by itself when a slot frees up. You can look at other pages meanwhile, or press "
            "**Stop** to leave the queue.", icon=":material/hourglass_empty:")
