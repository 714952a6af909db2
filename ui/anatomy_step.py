"""The Anatomy page's "One step in the open" tab: the step of one unit at one character, recomputed
from the network's raw weights with every multiplication shown (the text strip, the cell diagram with
this step's numbers, the pre-activation table, the state update, the proofs against the engine and
Keras, and where one pre-activation comes from). The model, text, layer and unit are chosen on the page.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from lstm_core.inference.engine import trace as run_trace
from lstm_core.spec import CELL_NAMES
from lstm_core.teaching import anatomy
from ui import figures_anatomy as fa
from ui.cell_diagram import gru_cell_svg, lstm_cell_svg, rnn_cell_svg
from ui.literal import literal
from ui.widget_state import keep

MAX_STEP_CHARS = 200
DIAGRAMS = {"lstm": lstm_cell_svg, "gru": gru_cell_svg, "rnn": rnn_cell_svg}
GATE_WORDS = {"i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate",
              "z": "update gate", "r": "reset gate", "hh": "candidate", "h": "new state"}


def _num(v: float, digits: int = 3, sign: bool = True) -> str:
    """+0.412 / −0.118 with a true minus sign (0.000 unsigned)."""
    text = f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"
    if float(text) == 0:
        text = f"{0:.{digits}f}"
    return text.replace("-", "−")


def _tex(v: float, digits: int = 3) -> str:
    text = f"{v:+.{digits}f}"
    return f"{0:.{digits}f}" if float(text) == 0 else text


def _glyph(ch: str) -> str:
    return {"\n": "⏎", " ": "␣", "\t": "⇥"}.get(ch, ch)


def traced(entry, net, text: str, ids: np.ndarray):
    """The engine's trace of `text`, kept for the last (model, text) so that moving the position or
    the unit does not run the network again."""
    cache = st.session_state.setdefault("anatomy_trace_cache", {})
    key = (entry.key, id(net), text)
    item = cache.get("item")
    if item is None or item[0] != key or item[1] is not net:
        cache["item"] = (key, net, run_trace(net, ids))
    return cache["item"][2]


def _text_strip(text: str, position: int, width: int = 70) -> str:
    """The text with the chosen character boxed (HTML, every character escaped)."""
    start = max(0, min(position - width // 2, len(text) - width))
    end = min(len(text), start + width)
    parts = []
    for t in range(start, end):
        ch = html.escape(_glyph(text[t]) if t == position or text[t] != " " else " ")
        if t == position:
            parts.append(f'<span style="background:#FFE08A;outline:2px solid #1A1A1A;border-radius:3px;'
                         f'padding:0 3px;font-weight:700">{ch}</span>')
        elif t > position:
            parts.append(f'<span style="color:#9A9A9A">{ch}</span>')
        else:
            parts.append(ch)
    more_l = "…" if start > 0 else ""
    more_r = "…" if end < len(text) else ""
    return (f'<div style="font-family:\'DejaVu Sans Mono\',Menlo,Consolas,monospace;font-size:22px;'
            f'line-height:1.7;white-space:pre;overflow-x:auto">{more_l}{"".join(parts)}{more_r}</div>'
            f'<div style="font-size:15px;color:#444">Read so far in black, the character at step t boxed; '
            f'the grey rest is not read yet.</div>')


def show_step(entry) -> None:
    """The step at the chosen position of the chosen unit of `entry`'s model, as chosen on the page."""
    net, vocab = entry.model.net, entry.model.vocab
    raw = st.session_state.get("anatomy_text", "")
    text = raw[:MAX_STEP_CHARS]
    if not text:
        st.info("Type a text above: the network reads it one character at a time.")
        return
    ids = vocab.encode(text).ids
    trace = traced(entry, net, text, ids)
    layer = st.session_state.get("anatomy_layer", 0)
    lt = net.layers[layer]
    cell = lt.cell

    keep("anatomy_position", range(len(text)), len(text) - 1)
    position = st.select_slider(
        "Position t (the character being read)", options=list(range(len(text))), key="anatomy_position",
        format_func=lambda t: f"{t} · “{_glyph(text[t])}”",
        help="The step of the text to look at: the network has read the characters before it, and now reads this one.")
    st.html(_text_strip(text, position))

    step = anatomy.open_step(net, trace, layer, position, st.session_state.anatomy_unit)
    unit = step.unit
    difference = anatomy.engine_difference(step, trace, layer, position)

    _inputs_block(step, cell, layer, text[position])
    st.html(DIAGRAMS[cell](step.wire_values(), width=760))
    st.caption(_diagram_caption(cell, unit, layer, text[position], lt.bidirectional))
    _preactivation_table(step, cell)
    equations, meaning = st.columns([1, 1], gap="large")
    with equations:
        st.latex(_state_update_tex(step, cell))
    with meaning:
        st.markdown(_state_meaning(step, cell))
    _proofs(entry, net, trace, layer, position, step, difference)
    st.divider()
    _dot_products(step, cell, layer, net)


def _diagram_caption(cell: str, unit: int, layer: int, ch: str, bidirectional: bool) -> str:
    where = f"unit {unit} of layer {layer + 1}, reading “{literal(_glyph(ch))}”"
    side = " (the left-to-right half of this two-way layer)" if bidirectional else ""
    if cell == "lstm":
        return (f"One LSTM step of {where}{side}. The numbers on the wires are this step's: the cell state c runs "
                "along the top, where f scales the old memory and i·g adds new content.")
    if cell == "gru":
        return (f"One GRU step of {where}{side}. The hidden state runs along the top: z keeps a share of "
                "the old state and 1−z of the candidate h̃ comes in.")
    return f"One SimpleRNN step of {where}{side}: a single tanh layer mixes the new input into the state."


def _inputs_block(step: anatomy.UnitStep, cell: str, layer: int, ch: str) -> None:
    m, n = len(step.x), step.units
    source = (f"the embedding of “{literal(_glyph(ch))}”: {m} numbers the network learnt for this character"
              if layer == 0 else f"the {m} outputs h of layer {layer} at this step")
    lines = [f"**Inputs of step t.** $x_t$ is {source}; $h_{{t-1}}$ are the layer's {n} outputs at the step before"]
    lines[-1] += (f", and $c_{{t-1}}$ its {n} memories." if cell == "lstm" else ".")
    prev = f"$h_{{t-1}}$ = {_num(step.h_prev_unit)}"
    if cell == "lstm":
        prev += f", $c_{{t-1}}$ = {_num(step.c_prev_unit)}"
    lines.append(f"For unit {step.unit}: {prev}." + (" (At t = 0 the state starts at zero.)"
                                                     if not np.any(step.h_prev) else ""))
    st.markdown(" ".join(lines))


_CELL_STYLE = "padding:6px 12px;border-bottom:1px solid #DDD;white-space:nowrap"
_GATE_LABELS = {"i": "input gate <i>i</i>", "f": "forget gate <i>f</i>", "g": "candidate <i>g</i>",
                "o": "output gate <i>o</i>", "z": "update gate <i>z</i>", "r": "reset gate <i>r</i>",
                "hh": "candidate <i>h̃</i>", "h": "new state <i>h<sub>t</sub></i>"}


def _preactivation_html(step: anatomy.UnitStep, cell: str) -> str:
    """The pre-activations as a table: W·x + U·h + b = z, then the squashing function's value."""
    th = f'<th style="{_CELL_STYLE};text-align:right;font-weight:600">'
    head = (f'<tr><th style="{_CELL_STYLE}"></th>{th}W·x<sub>t</sub></th>{th}+ U·h<sub>t−1</sub></th>{th}+ b</th>'
            f'{th}= pre-activation</th>{th}value</th></tr>')
    rows = []
    for gate in anatomy.GATE_ORDER[cell]:
        term = step.terms[gate]
        func = "σ" if term.activation == "sigmoid" else "tanh"
        if cell == "gru" and gate == "hh":
            rec = (f'{_num(term.reset, 2, sign=False)}·({_num(term.h_dot, 2)} {_num(term.recurrent_bias, 2)})'
                   f'<sup>*</sup>')
            bias = _num(term.input_bias)
        else:
            rec, bias = _num(term.h_dot), _num(term.bias)
        td = f'<td style="{_CELL_STYLE};text-align:right">'
        rows.append(f'<tr><td style="{_CELL_STYLE}">{_GATE_LABELS[gate]}</td>{td}{_num(term.x_dot)}</td>{td}{rec}</td>'
                    f'{td}{bias}</td>{td}<b>{_num(term.pre)}</b></td>'
                    f'{td}{func}(…) = <b>{_num(term.value)}</b></td></tr>')
    note = ""
    if cell == "gru":
        note = ('<div style="font-size:15px;color:#444;margin-top:4px"><sup>*</sup> For the candidate the reset '
                'gate scales the recurrent part first: r·(U·h<sub>t−1</sub> + b′). For z and r, b is the sum of '
                'Keras\' two biases (input and recurrent).</div>')
    return (f'<table style="border-collapse:collapse;font-size:17px;margin:4px 0 2px 0">{head}{"".join(rows)}'
            f'</table>{note}')


def _preactivation_table(step: anatomy.UnitStep, cell: str) -> None:
    st.html(_preactivation_html(step, cell))
    what = "0…1 (a gate: how much to let through)" if cell != "rnn" else ""
    squash = f"σ squashes it into {what} and tanh into −1…1 (a value to store)" if cell != "rnn" else \
        "tanh squashes it into −1…1"
    st.markdown(f"Each **pre-activation** is a weighted sum: every input and every previous output times its own "
                f"weight, plus a bias (below: where the {len(step.x) + step.units + 1} numbers come from). It can be "
                f"any number; {squash}.")


def _state_update_tex(step: anatomy.UnitStep, cell: str) -> str:
    t = step.terms
    if cell == "lstm":
        f, i, g, o = (t[k].value for k in "figo")
        return (rf"\begin{{aligned}} c_t &= f\,c_{{t-1}} + i\,g \\ "
                rf"&= {f:.3f}\times({_tex(step.c_prev_unit)}) + {i:.3f}\times({_tex(g)}) \\ "
                rf"&= \mathbf{{{_tex(step.c)}}} \\[8pt] "
                rf"h_t &= o\,\tanh(c_t) \\ &= {o:.3f}\times\tanh({_tex(step.c)}) \\ "
                rf"&= \mathbf{{{_tex(step.h)}}} \end{{aligned}}")
    if cell == "gru":
        z, hh = t["z"].value, t["hh"].value
        return (rf"\begin{{aligned}} h_t &= z\,h_{{t-1}} + (1-z)\,\tilde h \\ "
                rf"&= {z:.3f}\times({_tex(step.h_prev_unit)}) + {1 - z:.3f}\times({_tex(hh)}) \\ "
                rf"&= \mathbf{{{_tex(step.h)}}} \end{{aligned}}")
    return (rf"\begin{{aligned}} h_t &= \tanh(W x_t + U h_{{t-1}} + b) \\ "
            rf"&= \tanh({_tex(t['h'].pre)}) \\ &= \mathbf{{{_tex(step.h)}}} \end{{aligned}}")


def _state_meaning(step: anatomy.UnitStep, cell: str) -> str:
    t = step.terms
    if cell == "lstm":
        f, i, g, o = (t[k].value for k in "figo")
        keep = "keeps almost all of" if f > 0.9 else "keeps most of" if f > 0.6 else \
            "wipes most of" if f < 0.2 else "keeps part of"
        big = (f" That is also why $c$ can grow far beyond ±1 (here {_num(step.c)}): tanh squashes it only on the "
               "way out." if abs(step.c) > 1.5 else "")
        return (f"**f = {f:.3f}**: the unit {keep} its memory ({f:.1%} of $c_{{t-1}}$). The memory is only "
                f"scaled by f and added to, never squashed, so a forget gate near 1 keeps it for many steps.{big}\n\n"
                f"**i = {i:.3f}** of the candidate g = {_num(g)} is written in; **o = {o:.3f}** of $\\tanh(c_t)$ "
                "is shown as the output $h_t$.")
    if cell == "gru":
        z = t["z"].value
        return (f"**z = {z:.3f}**: the unit keeps {z:.1%} of its old state and takes {1 - z:.1%} of the candidate "
                "h̃. An update gate near 1 keeps the state for many steps, like an LSTM's forget gate near 1.")
    return ("There is no gate: the whole state is recomputed from the input and the old state at every step, and "
            "squashed by tanh each time, which is why a SimpleRNN struggles to keep anything for long.")


def _proofs(entry, net, trace, layer: int, position: int, step: anatomy.UnitStep, difference: float) -> None:
    n = step.units
    st.success(f"**Same as the engine:** computed here from the raw weights in float64, these numbers agree with "
               f"the app's engine (float32) for all {n} units of the layer to within {difference:.1e}.",
               icon=":material/check_circle:")
    key = (entry.key, id(net), layer, trace.ids[:position + 1].tobytes(), position)
    checks = st.session_state.setdefault("anatomy_keras_checks", {})
    result = checks.get(key)
    cols = st.columns([1, 3], vertical_alignment="center")
    with cols[0]:
        pressed = st.button("Check against Keras", key="anatomy_keras_check", icon=":material/verified:",
                            help="Runs Keras' own layer over the text up to this step (starts TensorFlow: a few "
                                 "seconds the first time).")
    if pressed:
        folder = getattr(entry.model, "folder", None)
        with st.spinner("Starting TensorFlow and running Keras' own layer…"):
            try:
                result = anatomy.keras_check(net, trace, layer, position, step,
                                             folder / "model.keras" if folder is not None else None)
            except Exception as exc:  # shown, never hidden
                result = f"Keras could not run this layer: {type(exc).__name__}: {exc}"
        checks.clear()
        checks[key] = result
    with cols[1]:
        if isinstance(result, str):
            st.error(result)
        elif result is not None:
            what = "$h_t$ and $c_t$" if result.c_difference is not None else "$h_t$"
            how = ("Keras loaded the saved model file and computed the layer's input from the characters itself"
                   if result.source == "file" else
                   "This model has no saved file with these weights, so a fresh Keras layer was given its weights")
            st.success(f"**Same as Keras:** Keras' own {CELL_NAMES[step.cell]} layer gives {what} equal to these for "
                       f"all {n} units, to within {result.difference:.1e}. {how}.", icon=":material/verified:")
        else:
            st.caption("Press the button to have Keras itself compute this step: the proof that these numbers are "
                       "the network's own.")


def _dot_products(step: anatomy.UnitStep, cell: str, layer: int, net) -> None:
    gates = anatomy.GATE_ORDER[cell]
    st.subheader("Where a pre-activation comes from")
    keep("anatomy_gate", gates, "f" if cell == "lstm" else gates[0])
    gate = st.segmented_control("Pre-activation", gates, key="anatomy_gate", required=True,
                                format_func=lambda g: f"{GATE_WORDS[g] if cell != 'rnn' else 'new state'} "
                                                      f"{'h̃' if g == 'hh' else g}")
    gate = gate if gate in gates else gates[0]
    term = step.terms[gate]
    m, n = len(step.x), step.units
    x_names = [f"x{j}·W" for j in range(m)]
    h_names = [f"h{j}·U" for j in range(n)]
    extra = ()
    h_products = term.h_products
    if cell == "gru" and gate == "hh":
        # The reset gate scales the recurrent part as a whole: show it as one step after the input terms.
        extra = ((f"r·(U h + b′) = {term.reset:.2f}·({term.h_dot:+.2f} {term.recurrent_bias:+.2f})",
                  term.reset * (term.h_dot + term.recurrent_bias)),)
        h_products, h_names = np.zeros(0), []
    chart, words = st.columns([3, 2], gap="large")
    with chart:
        fig = fa.contributions_figure(term.x_products, h_products, term.bias, x_names=x_names, h_names=h_names,
                                      top=8, total_label=f"pre-activation = {_num(term.pre)}", extra=extra)
        st.plotly_chart(fig, config={"displayModeBar": False}, key="anatomy_waterfall")
    with words:
        xin = "the character's embedding" if layer == 0 else f"layer {layer}'s outputs"
        st.markdown(
            f"The pre-activation is a **dot product** of {m} inputs $x_j$ ({xin}) with this unit's {m} weights in "
            f"$W$, plus {n} previous outputs $h_j$ with its {n} weights in $U$, plus the bias: "
            f"{m + n + 1} numbers added up. The chart starts at the bias and adds the biggest products one by one "
            "(red pushes up, blue down); the grey bar is the total.")
        st.markdown(f"$W x_t$ = {_num(term.x_dot)}, $U h_{{t-1}}$ = {_num(term.h_dot)}, $b$ = {_num(term.bias)}"
                    + (f" (input {_num(term.input_bias)} + recurrent {_num(term.recurrent_bias)})"
                       if cell == "gru" and gate != "hh" else "") + ".")
    with st.expander(f"Every multiplication ({m + n} products)", icon=":material/calculate:"):
        frame = pd.DataFrame({
            "term": [f"x{j} · W[{j}, {term.column}]" for j in range(m)]
                    + [f"h{j} · U[{j}, {term.column}]" for j in range(n)],
            "input": np.concatenate([step.x, step.h_prev]),
            "weight": np.concatenate([step.w_x[gate], step.w_h[gate]]),
            "product": np.concatenate([term.x_products, term.h_products]),
        })
        number = st.column_config.NumberColumn(format="%.4f")
        st.dataframe(frame, hide_index=True, width="stretch", height=320, key="anatomy_products",
                     column_config={"input": number, "weight": number, "product": number})
        st.caption(f"Column {term.column} of Keras' kernel W ({m} × {_kernel_width(cell, n)}) and recurrent kernel U "
                   f"({n} × {_kernel_width(cell, n)}) belongs to this unit's {GATE_WORDS[gate]}: Keras stores the "
                   + {"lstm": "four gates side by side (i, f, g, o)", "gru": "three parts side by side (z, r, h̃)",
                      "rnn": "units side by side"}[cell] + ".")


def _kernel_width(cell: str, n: int) -> int:
    return {"lstm": 4, "gru": 3, "rnn": 1}[cell] * n
