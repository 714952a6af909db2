"""Anatomy: one step of a cell computed in the open, counting parameters, and vanishing gradients
(SimpleRNN against GRU and LSTM), with a memory test trained live.

Looking never imports TensorFlow: the step, the counts and the gradient curves are NumPy. Three
buttons do, on demand: "Check against Keras", "Count with Keras" and the memory test's training
(which runs in a background thread that never calls Streamlit; a fragment polls it).

The page chooses the model, text, layer and unit to open and lays out the tabs; each tab is drawn by
its module: ui.anatomy.step, ui.anatomy.params, ui.anatomy.gradients and ui.anatomy.memory.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from lstm_core.i18n import N_, _
from ui import shell
from ui import i18n, model_texts, models
from ui.anatomy.gradients import gradients_tab
from ui.anatomy.memory import memory_tab
from ui.anatomy.params import params_tab
from ui.anatomy.step import MAX_STEP_CHARS, show_step, traced
from ui.layer_names import layer_names
from ui.widget_state import keep

shell.require_app()

TABS = (N_("One step in the open"), N_("Counting parameters"), N_("Vanishing gradients"), N_("Memory test"))
DEFAULT_TEXT = "To be, or not to be, that is the question."


# ================================================================ one step in the open


def _choose_model():
    """The model to look at: the active one by default (following the sidebar), or another one
    of this session's models chosen here."""
    registry = models.models()
    active = models.active()
    # Character models only (a word-level classifier reads words, not characters).
    keys = [k for k, e in registry.items() if e.model is not None and e.model.meta.kind == "char-lm"]
    if not keys:
        return None
    if st.session_state.get("anatomy_model_follow") != (active.key if active else None):
        st.session_state.anatomy_model_follow = active.key if active else None
        if active is not None and active.key in keys:
            st.session_state.anatomy_model = active.key
    keep("anatomy_model", keys, active.key if active is not None and active.key in keys else keys[0])
    key = st.selectbox(_("Model"), keys, format_func=lambda k: registry[k].label, key="anatomy_model",
                       persist_state="session",
                       help=_("The active model (sidebar) by default; any model of this session can be opened "
                              "here."))
    return registry[key]


def step_tab() -> None:
    st.markdown(_("Pick a character of a text and one unit: the page recomputes that unit's step from the "
                  "network's weights, every multiplication in the open, and shows the numbers on the cell."))
    chosen = _choose_model_row()
    if chosen is None:
        return
    entry, position_box = chosen
    show_step(entry, position_box)


def _choose_model_row():
    """Model and text on one row, layer and unit on the next beside a box for the position slider (four
    controls on one row were cut at 125% zoom); returns the entry and that box (or None, with a message)."""
    c_model, c_text = st.columns([2, 3], gap="medium")
    c_layer, c_unit, c_position = st.columns([1.6, 1.3, 3.4], gap="medium")
    with c_model:
        entry = _choose_model()
    if entry is None:
        st.warning(_("There is no model to look at yet: train one on the **Train** page or upload one in the "
                     "sidebar."))
        return None
    net = entry.model.net
    model_texts.follow("anatomy_text", model_texts.first_line(entry.model) or DEFAULT_TEXT)
    with c_text:
        st.text_input(_("Text"), key="anatomy_text", max_chars=MAX_STEP_CHARS, persist_state="session",
                      help=_("Up to {n} characters. Press Enter to apply.").format(n=MAX_STEP_CHARS))
    layers = net.layers
    names = layer_names(net)
    keep("anatomy_layer", list(names), 0)
    with c_layer:
        st.selectbox(_("Layer"), list(names), format_func=names.get, key="anatomy_layer", disabled=len(layers) == 1,
                     persist_state="session",
                     help=_("Layer 1 reads the characters; each further layer reads the h of the one below."))
    layer = st.session_state.anatomy_layer
    units = layers[layer].units
    text = (st.session_state.get("anatomy_text") or "")[:MAX_STEP_CHARS]
    if st.session_state.get("anatomy_unit_for") != (entry.key, id(net), layer) and text:
        # A new model or layer starts on its busiest unit rather than unit 0, which may do nothing.
        st.session_state.anatomy_unit_for = (entry.key, id(net), layer)
        trace = traced(entry, net, text, entry.model.vocab.encode(text).ids)
        st.session_state.anatomy_unit = _default_unit(trace.layers[layer], len(text) - 1)
    keep("anatomy_unit", range(units), 0)
    with c_unit:
        st.number_input(_("Unit (0–{last})").format(last=units - 1), min_value=0, max_value=units - 1, step=1,
                        key="anatomy_unit", persist_state="session",
                        help=_("One of the layer's units; every unit has its own row of weights in each gate."))
    return entry, c_position


def _default_unit(layer_trace, position: int) -> int:
    """A unit whose gates are in between at this position (not all shut or wide open), so that the
    arithmetic shows; among those, the one whose state moves most over the text."""
    forward = layer_trace.forward
    gates = {"lstm": ("i", "f", "o"), "gru": ("z", "r"), "rnn": ()}[layer_trace.cell]
    if gates:
        openness = np.mean([forward[g][position] * (1 - forward[g][position]) for g in gates], axis=0)
    else:
        openness = 1 - forward["h"][position] ** 2
    movement = forward["h"].std(axis=0)
    return int(np.argmax(openness * (0.5 + movement)))


# ================================================================ the page


def render() -> None:
    st.title(_("Anatomy of a cell"))
    st.markdown(_("The textbook's LSTM, made of numbers you can poke: one step computed in the open, the parameter "
                  "count, and why gradients vanish in a simple RNN but not in an LSTM."))
    tabs = i18n.tabs(TABS, key="anatomy_tab", on_change="rerun")
    for tab, draw in zip(tabs, (step_tab, params_tab, gradients_tab, memory_tab)):
        with tab:
            if tab.open:
                draw()


render()
