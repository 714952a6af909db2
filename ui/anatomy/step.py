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

from lstm_core.i18n import N_, _
from lstm_core.inference.engine import trace as run_trace
from lstm_core.spec import CELL_NAMES
from lstm_core.teaching import anatomy
from ui.anatomy import figures as fa
from ui.anatomy import inputs
from ui.figures.cell_diagram import gru_cell_svg, lstm_cell_svg, rnn_cell_svg
from ui.literal import literal
from ui.widget_state import keep

MAX_STEP_CHARS = 200
DIAGRAMS = {"lstm": lstm_cell_svg, "gru": gru_cell_svg, "rnn": rnn_cell_svg}
GATE_WORDS = {"i": N_("input gate"), "f": N_("forget gate"), "g": N_("candidate"), "o": N_("output gate"),
              "z": N_("update gate"), "r": N_("reset gate"), "hh": N_("candidate"), "h": N_("new state")}


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
    # translate="no": the text read is content, in whatever language, not words of the interface.
    return (f'<div translate="no" style="font-family:\'DejaVu Sans Mono\',Menlo,Consolas,monospace;'
            f'font-size:22px;line-height:1.7;white-space:pre;overflow-x:auto">{more_l}{"".join(parts)}{more_r}</div>'
            f'<div style="font-size:15px;color:#444">{html.escape(_(READ_SO_FAR))}</div>')


READ_SO_FAR = N_("Read so far in black, the character at step t boxed; the grey rest is not read yet.")


def show_step(entry, position_box) -> None:
    """The step at the chosen position of the chosen unit of `entry`'s model, as chosen on the page; the
    position slider goes in `position_box`."""
    net, vocab = entry.model.net, entry.model.vocab
    raw = st.session_state.get("anatomy_text", "")
    text = raw[:MAX_STEP_CHARS]
    if not text:
        st.info(_("Type a text above: the network reads it one character at a time."))
        return
    ids = vocab.encode(text).ids
    trace = traced(entry, net, text, ids)
    layer = st.session_state.get("anatomy_layer", 0)
    lt = net.layers[layer]
    cell = lt.cell

    keep("anatomy_position", range(len(text)), len(text) - 1)
    with position_box:
        position = st.select_slider(
            _("Position t (the character being read)"), options=list(range(len(text))), key="anatomy_position",
            format_func=lambda t: f"{t} · “{_glyph(text[t])}”",
            help=_("The step of the text to look at: the network has read the characters before it, and now "
                   "reads this one."))
    st.html(_text_strip(text, position))

    step = anatomy.open_step(net, trace, layer, position, st.session_state.anatomy_unit)
    unit = step.unit
    difference = anatomy.engine_difference(step, trace, layer, position)

    _inputs_block(step, cell, layer, text[position], net.input_form, text[position] in vocab)
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
    where = (_("unit {unit} of layer {layer}, reading “{ch}” (the left-to-right half of this two-way layer)")
             if bidirectional else _("unit {unit} of layer {layer}, reading “{ch}”")).format(
        unit=unit, layer=layer + 1, ch=literal(_glyph(ch)))
    if cell == "lstm":
        return _("One LSTM step of {where}. The numbers on the wires are this step's: the cell state c runs "
                 "along the top, where f scales the old memory and i·g adds new content.").format(where=where)
    if cell == "gru":
        return _("One GRU step of {where}. The hidden state runs along the top: z keeps a share of "
                 "the old state and 1−z of the candidate h̃ comes in.").format(where=where)
    return _("One SimpleRNN step of {where}: a single tanh layer mixes the new input into the state.").format(
        where=where)


def _inputs_block(step: anatomy.UnitStep, cell: str, layer: int, ch: str, form: str, known: bool) -> None:
    m, n = len(step.x), step.units
    source = (inputs.source(form, literal(_glyph(ch)), known, step.x) if layer == 0 else
              _("the {m} outputs h of layer {layer} at this step").format(m=m, layer=layer))
    if cell == "lstm":
        intro = _("**Inputs of step t.** $x_t$ is {source}; $h_{{t-1}}$ are the layer's {n} outputs at the step "
                  "before, and $c_{{t-1}}$ its {n} memories.")
    else:
        intro = _("**Inputs of step t.** $x_t$ is {source}; $h_{{t-1}}$ are the layer's {n} outputs at the step "
                  "before.")
    lines = [intro.format(source=source, n=n)]
    prev = f"$h_{{t-1}}$ = {_num(step.h_prev_unit)}"
    if cell == "lstm":
        prev += f", $c_{{t-1}}$ = {_num(step.c_prev_unit)}"
    lines.append(_("For unit {unit}: {values}.").format(unit=step.unit, values=prev))
    if not np.any(step.h_prev):
        lines.append(_("(At t = 0 the state starts at zero.)"))
    st.markdown(" ".join(lines))


_CELL_STYLE = "padding:6px 12px;border-bottom:1px solid #DDD;white-space:nowrap"
_GATE_LABELS = {"i": N_("input gate <i>i</i>"), "f": N_("forget gate <i>f</i>"), "g": N_("candidate <i>g</i>"),
                "o": N_("output gate <i>o</i>"), "z": N_("update gate <i>z</i>"), "r": N_("reset gate <i>r</i>"),
                "hh": N_("candidate <i>h̃</i>"), "h": N_("new state <i>h<sub>t</sub></i>")}


def _preactivation_html(step: anatomy.UnitStep, cell: str) -> str:
    """The pre-activations as a table: W·x + U·h + b = z, then the squashing function's value."""
    pre, value = _("pre-activation"), _("value")
    th = f'<th style="{_CELL_STYLE};text-align:right;font-weight:600">'
    head = (f'<tr><th style="{_CELL_STYLE}"></th>{th}W·x<sub>t</sub></th>{th}+ U·h<sub>t−1</sub></th>{th}+ b</th>'
            f'{th}= {pre}</th>{th}{value}</th></tr>')
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
        rows.append(f'<tr><td style="{_CELL_STYLE}">{_(_GATE_LABELS[gate])}</td>{td}{_num(term.x_dot)}</td>{td}{rec}</td>'
                    f'{td}{bias}</td>{td}<b>{_num(term.pre)}</b></td>'
                    f'{td}{func}(…) = <b>{_num(term.value)}</b></td></tr>')
    note = ""
    if cell == "gru":
        note = ('<div style="font-size:15px;color:#444;margin-top:4px"><sup>*</sup> '
                + _("For the candidate the reset gate scales the recurrent part first: r·(U·h<sub>t−1</sub> + b′). "
                    "For z and r, b is the sum of Keras' two biases (input and recurrent).") + '</div>')
    return (f'<table style="border-collapse:collapse;font-size:17px;margin:4px 0 2px 0">{head}{"".join(rows)}'
            f'</table>{note}')


def _preactivation_table(step: anatomy.UnitStep, cell: str) -> None:
    st.html(_preactivation_html(step, cell))
    if cell != "rnn":
        words = _("Each **pre-activation** is a weighted sum: every input and every previous output times its own "
                  "weight, plus a bias (below: where the {count} numbers come from). It can be any number; σ squashes "
                  "it into 0…1 (a gate: how much to let through) and tanh into −1…1 (a value to store).")
    else:
        words = _("Each **pre-activation** is a weighted sum: every input and every previous output times its own "
                  "weight, plus a bias (below: where the {count} numbers come from). It can be any number; tanh "
                  "squashes it into −1…1.")
    st.markdown(words.format(count=len(step.x) + step.units + 1))


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
        keep = (_("**f = {f:.3f}**: the unit keeps almost all of its memory ({f:.1%} of $c_{{t-1}}$).") if f > 0.9
                else _("**f = {f:.3f}**: the unit keeps most of its memory ({f:.1%} of $c_{{t-1}}$).") if f > 0.6
                else _("**f = {f:.3f}**: the unit wipes most of its memory ({f:.1%} of $c_{{t-1}}$).") if f < 0.2
                else _("**f = {f:.3f}**: the unit keeps part of its memory ({f:.1%} of $c_{{t-1}}$)."))
        first = [keep.format(f=f), _("The memory is only scaled by f and added to, never squashed, so a forget gate "
                                     "near 1 keeps it for many steps.")]
        if abs(step.c) > 1.5:
            first.append(_("That is also why $c$ can grow far beyond ±1 (here {c}): tanh squashes it only on the way "
                           "out.").format(c=_num(step.c)))
        return (" ".join(first) + "\n\n"
                + _("**i = {i:.3f}** of the candidate g = {g} is written in; **o = {o:.3f}** of $\\tanh(c_t)$ "
                    "is shown as the output $h_t$.").format(i=i, g=_num(g), o=o))
    if cell == "gru":
        z = t["z"].value
        return _("**z = {z:.3f}**: the unit keeps {z:.1%} of its old state and takes {rest:.1%} of the candidate "
                 "h̃. An update gate near 1 keeps the state for many steps, like an LSTM's forget gate near 1.").format(
            z=z, rest=1 - z)
    return _("There is no gate: the whole state is recomputed from the input and the old state at every step, and "
             "squashed by tanh each time, which is why a SimpleRNN struggles to keep anything for long.")


def _proofs(entry, net, trace, layer: int, position: int, step: anatomy.UnitStep, difference: float) -> None:
    n = step.units
    st.success(_("**Same as the engine:** computed here from the raw weights in float64, these numbers agree with "
                 "the app's engine (float32) for all {n} units of the layer to within {difference:.1e}.").format(
                   n=n, difference=difference), icon=":material/check_circle:")
    key = (entry.key, id(net), layer, trace.ids[:position + 1].tobytes(), position)
    checks = st.session_state.setdefault("anatomy_keras_checks", {})
    result = checks.get(key)
    cols = st.columns([1, 3], vertical_alignment="center")
    with cols[0]:
        pressed = st.button(_("Check against Keras"), key="anatomy_keras_check", icon=":material/verified:",
                            help=_("Runs Keras' own layer over the text up to this step (starts TensorFlow: a few "
                                   "seconds the first time)."))
    if pressed:
        folder = getattr(entry.model, "folder", None)
        with st.spinner(_("Starting TensorFlow and running Keras' own layer…")):
            try:
                result = anatomy.keras_check(net, trace, layer, position, step,
                                             folder / "model.keras" if folder is not None else None)
            except Exception as exc:  # shown, never hidden
                result = _("Keras could not run this layer: {error}").format(error=f"{type(exc).__name__}: {exc}")
        checks.clear()
        checks[key] = result
    with cols[1]:
        if isinstance(result, str):
            st.error(result)
        elif result is not None:
            what = _("$h_t$ and $c_t$") if result.c_difference is not None else "$h_t$"
            how = (_("Keras loaded the saved model file and computed the layer's input from the characters itself")
                   if result.source == "file" else
                   _("This model has no saved file with these weights, so a fresh Keras layer was given its weights"))
            st.success(_("**Same as Keras:** Keras' own {cell} layer gives {what} equal to these for all {n} units, "
                         "to within {difference:.1e}. {how}.").format(
                           cell=CELL_NAMES[step.cell], what=what, n=n, difference=result.difference, how=how),
                       icon=":material/verified:")
        else:
            st.caption(_("Press the button to have Keras itself compute this step: the proof that these numbers are "
                         "the network's own."))


def _dot_products(step: anatomy.UnitStep, cell: str, layer: int, net) -> None:
    gates = anatomy.GATE_ORDER[cell]
    st.subheader(_("Where a pre-activation comes from"))
    keep("anatomy_gate", gates, "f" if cell == "lstm" else gates[0])
    gate = st.segmented_control(_("Pre-activation"), gates, key="anatomy_gate", required=True, persist_state="session",
                                format_func=lambda g: f"{_(GATE_WORDS[g] if cell != 'rnn' else GATE_WORDS['h'])} "
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
                                      top=8, total_label=_("pre-activation = {value}").format(value=_num(term.pre)),
                                      extra=extra)
        st.plotly_chart(fig, config={"displayModeBar": False}, key="anatomy_waterfall")
    with words:
        xin = inputs.short(net.input_form) if layer == 0 else _("layer {layer}'s outputs").format(layer=layer)
        st.markdown(
            _("The pre-activation is a **dot product** of {m} inputs $x_j$ ({inputs}) with this unit's {m} weights in "
              "$W$, plus {n} previous outputs $h_j$ with its {n} weights in $U$, plus the bias: "
              "{count} numbers added up. The chart starts at the bias and adds the biggest products one by one "
              "(red pushes up, blue down); the grey bar is the total.").format(m=m, inputs=xin, n=n, count=m + n + 1))
        if cell == "gru" and gate != "hh":
            sums = _("$W x_t$ = {wx}, $U h_{{t-1}}$ = {uh}, $b$ = {b} (input {b_in} + recurrent {b_rec}).")
        else:
            sums = _("$W x_t$ = {wx}, $U h_{{t-1}}$ = {uh}, $b$ = {b}.")
        st.markdown(sums.format(wx=_num(term.x_dot), uh=_num(term.h_dot), b=_num(term.bias),
                                b_in=_num(term.input_bias) if term.input_bias is not None else "",
                                b_rec=_num(term.recurrent_bias) if term.recurrent_bias is not None else ""))
    with st.expander(_("Every multiplication ({count} products)").format(count=m + n), icon=":material/calculate:"):
        names = {c: _(c) for c in PRODUCT_COLUMNS}
        frame = pd.DataFrame({
            names["term"]: [f"x{j} · W[{j}, {term.column}]" for j in range(m)]
                           + [f"h{j} · U[{j}, {term.column}]" for j in range(n)],
            names["input"]: np.concatenate([step.x, step.h_prev]),
            names["weight"]: np.concatenate([step.w_x[gate], step.w_h[gate]]),
            names["product"]: np.concatenate([term.x_products, term.h_products]),
        })
        number = st.column_config.NumberColumn(format="%.4f")
        st.dataframe(frame, hide_index=True, width="stretch", height=320, key="anatomy_products",
                     column_config={names["input"]: number, names["weight"]: number, names["product"]: number})
        layout = {"lstm": _("Column {column} of Keras' kernel W ({m} × {width}) and recurrent kernel U ({n} × {width}) "
                            "belongs to this unit's {gate}: Keras stores the four gates side by side (i, f, g, o)."),
                  "gru": _("Column {column} of Keras' kernel W ({m} × {width}) and recurrent kernel U ({n} × {width}) "
                           "belongs to this unit's {gate}: Keras stores the three parts side by side (z, r, h̃)."),
                  "rnn": _("Column {column} of Keras' kernel W ({m} × {width}) and recurrent kernel U ({n} × {width}) "
                           "belongs to this unit's {gate}: Keras stores the units side by side.")}[cell]
        st.caption(layout.format(column=term.column, m=m, n=n, width=_kernel_width(cell, n),
                                 gate=_(GATE_WORDS[gate])))


PRODUCT_COLUMNS = (N_("term"), N_("input"), N_("weight"), N_("product"))


def _kernel_width(cell: str, n: int) -> int:
    return {"lstm": 4, "gru": 3, "rnn": 1}[cell] * n
