"""Widget values kept valid across reruns: a widget whose options change (another model, layer or
text) must not be handed a remembered value that is no longer one of them."""

from __future__ import annotations

import streamlit as st

from ui import view_link


def keep(key: str, options, default) -> None:
    """Reset a widget's remembered value when it is no longer one of its options (model or text changed);
    a value a link gave is noted as left out."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default
        view_link.left_out(key)
