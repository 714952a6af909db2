"""The Gates page's "Test units" tab: change units (silence them, clamp a gate, shift the forget-gate
bias) and see what the model loses over the text, character by character, and how it then writes.
Watching says "unit 151 seems to track quotes"; this says "without unit 151, closing quotes go missing"."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from lstm_core.i18n import N_, _
from lstm_core.inference.intervention import GATE_INDEX, Change, changed, effect
from lstm_core.inference.sampling import generate
from ui.figures import gates as fg
from ui.sample.boxes import box
from ui.widget_state import keep

ACTIONS = {"silence": N_("Silence them: nothing downstream hears them"),
           "clamp-0": N_("Clamp a gate shut (0)"), "clamp-1": N_("Clamp a gate open (1)"),
           "shift": N_("Shift the forget gate's bias")}
GATE_NAMES = {"i": N_("input gate i"), "f": N_("forget gate f"), "o": N_("output gate o"),
              "z": N_("update gate z"), "r": N_("reset gate r")}
SAMPLE_PRIME, SAMPLE_CHARS, SAMPLE_TEMPERATURE, SAMPLE_SEED = 60, 240, 0.5, 1
MAX_UNITS = 64  # changed at once; more is a different experiment (silencing the layer)


def test_units_tab(net, layer: int, unit: int, text: str, ids: np.ndarray, vocab, unknown: set) -> None:
    cell, n = net.layers[layer].cell, net.layers[layer].units
    st.markdown(_("Change units of layer {layer} and see at once what the model loses: each character is coloured "
                  "by how much less likely the model found it after the change. This tests what watching only "
                  "suggests.").format(layer=layer + 1))
    if net.layers[layer].bidirectional:
        st.info(_("Units of a bidirectional layer cannot be tested here."))
        return
    actions = [a for a in ACTIONS if a == "silence" or (a.startswith("clamp") and GATE_INDEX[cell])
               or (a == "shift" and cell == "lstm")]
    c_units, c_action, c_detail = st.columns([2.2, 2.2, 1.6], gap="medium")
    chosen = [u for u in st.session_state.get("gates_test_units", [unit]) if u < n]
    st.session_state["gates_test_units"] = chosen
    units = c_units.multiselect(_("Units to change"), list(range(n)), key="gates_test_units",
                                max_selections=MAX_UNITS, help=_("The unit chosen above is the first; add more."))
    keep("gates_test_action", actions, "silence")
    action = c_action.selectbox(_("Change"), actions, format_func=lambda a: _(ACTIONS[a]), key="gates_test_action")
    gate, shift = None, 0.0
    if action.startswith("clamp"):
        gates = list(GATE_INDEX[cell])
        keep("gates_test_gate", gates, gates[1] if cell == "lstm" else gates[0])
        gate = c_detail.selectbox(_("Gate"), gates, format_func=lambda g: _(GATE_NAMES[g]), key="gates_test_gate")
    elif action == "shift":
        shift = c_detail.slider(_("Shift by"), -6.0, 6.0, 3.0, 0.5, key="gates_test_shift",
                                help=_("Above 0 the unit keeps more of its memory at every step; below 0 it "
                                       "forgets faster."))
    if not units:
        st.info(_("Choose one or more units to change."))
        return
    if len(ids) < 2:
        st.info(_("The text needs at least two characters."))
        return
    change = _change(layer, units, action, gate, shift)
    edited = changed(net, change)
    result = effect(net, edited, ids)
    _show_effect(text, result, unknown, vocab)
    _show_samples(net, edited, text, vocab)


def _change(layer: int, units: list[int], action: str, gate: str | None, shift: float) -> Change:
    if action == "silence":
        return Change(layer, silence=tuple(units))
    if action == "shift":
        return Change(layer, forget_shift=tuple((u, shift) for u in units))
    return Change(layer, clamp=tuple((u, gate, 1 if action == "clamp-1" else 0) for u in units))


def _show_effect(text: str, result, unknown: set, vocab) -> None:
    lost = -result.delta  # > 0 where the true next character became less likely
    values = np.concatenate([[0.0], lost])  # the first character is read, never predicted
    m1, m2, m3 = st.columns(3)
    m1.metric(_("Loss before"), _("{nats:.3f} nats/char").format(nats=result.loss_before))
    m2.metric(_("Loss after"), _("{nats:.3f} nats/char").format(nats=result.loss_after),
              delta=f"{result.loss_after - result.loss_before:+.3f}", delta_color="inverse")
    m3.metric(_("Characters made much less likely"), f"{int((lost > 1.0).sum()):,}",
              help=_("Characters whose probability fell to under a third of what it was (a loss of more than "
                     "1 nat)."))
    top = max(0.5, float(np.abs(lost).max()))
    st.html(fg.legend_html(-top, top, _("how much less likely after the change (nats)"), unknown=bool(unknown)))
    tips = [_("“{char}”: log p {before:.2f} → {after:.2f}").format(
        char=fg.glyph(ch), before=result.before[t - 1], after=result.after[t - 1]) if t else fg.glyph(ch)
        for t, ch in enumerate(text)]
    st.html(fg.colored_text_html(text, values, -top, top, tooltips=tips, unknown_positions=unknown))
    worst = result.worst(5)
    if worst:
        items = "".join(
            f"<li><code>…{html.escape(text[max(0, t - 24):t + 1].replace(chr(10), fg.NEWLINE_GLYPH))}"
            f"<b style='color:#b3261e'>{html.escape(fg.glyph(text[t + 1]))}</b></code> "
            f"{html.escape(_('{before:.0%} → {after:.0%}').format(before=np.exp(result.before[t]), after=np.exp(result.after[t])))}"
            f"</li>" for t in worst)
        st.markdown(_("**Where it lost most** (how likely the model found the true next character, before → after):"))
        st.html(f"<ul translate='no' style='margin:0 0 0.5rem 0'>{items}</ul>")
    else:
        st.caption(_("No character became less likely."))


def _show_samples(net, edited, text: str, vocab) -> None:
    prime = text[:SAMPLE_PRIME]
    st.markdown(_("**How it writes**, from the text's first {n} characters, at temperature {t} with seed {seed}: the "
                  "same dice for both.").format(n=len(prime), t=SAMPLE_TEMPERATURE, seed=SAMPLE_SEED))
    left, right = st.columns(2, gap="small")
    for column, title, model in ((left, _("Before"), net), (right, _("After the change"), edited)):
        written = generate(model, vocab, prime, SAMPLE_CHARS, SAMPLE_TEMPERATURE, seed=SAMPLE_SEED).text
        column.markdown(f"**{title}**")
        column.html(box(prime, written, size="0.85rem", height="16rem", css_class="gates-test-sample"))
