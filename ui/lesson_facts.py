"""What a student did that a lesson can check (lstm_core.teaching.lessons.FACTS), recorded by the pages
as it happens and kept in the workspace with the steps done, so a reload or a restart keeps progress."""

from __future__ import annotations

import copy

import streamlit as st

from ui import workspace

SEEN = ("sampled_temperature", "opened", "sampled_model")  # facts that collect the values seen


def facts() -> dict:
    if "lesson_facts" not in st.session_state:
        st.session_state.lesson_facts = dict(workspace.recall("lesson_facts") or {})
    return st.session_state.lesson_facts


def note(fact: str, value=True) -> None:
    """Record a fact: a value seen (SEEN), a (pattern, score) pair (unit_score: the best is kept), or a flag."""
    known = facts()
    if fact in SEEN:
        seen = known.setdefault(fact, [])
        if value in seen:
            return
        seen.append(value)
    elif fact == "unit_score":
        key, score = value
        best = known.setdefault(fact, {})
        if best.get(key, -1.0) >= score:
            return
        best[key] = round(float(score), 4)
    elif known.get(fact):
        return
    else:
        known[fact] = True
    workspace.remember("lesson_facts", copy.deepcopy(known))  # a copy: remember() compares with what it wrote


def done() -> list[str]:
    if "lesson_done" not in st.session_state:
        st.session_state.lesson_done = list(workspace.recall("lesson_done") or [])
    return st.session_state.lesson_done


def mark_done(step_id: str) -> None:
    if step_id not in done():
        done().append(step_id)
        workspace.remember("lesson_done", list(done()))
