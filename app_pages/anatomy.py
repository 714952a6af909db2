"""Anatomy: one step of a cell computed in the open, counting parameters, and vanishing gradients
(SimpleRNN against GRU and LSTM), with a memory test trained live.

Looking never imports TensorFlow: the step, the counts and the gradient curves are NumPy. Three
buttons do, on demand: "Check against Keras", "Count with Keras" and the memory test's training
(which runs in a background thread that never calls Streamlit; a fragment polls it).
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import streamlit as st

from lstm_core import anatomy, gradients
from lstm_core import toy_memory as tm
from lstm_core.engine import trace as run_trace
from lstm_core.spec import CELL_NAMES
from ui import figures_anatomy as fa
from ui import models
from ui.cell_diagram import gru_cell_svg, lstm_cell_svg, rnn_cell_svg
from ui.literal import literal

TABS = ("One step in the open", "Counting parameters", "Vanishing gradients", "Memory test")
DEFAULT_TEXT = "To be, or not to be, that is the question."
MAX_STEP_CHARS = 200
GRADIENT_TEXT = ("To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"
                 "The slings and arrows of outrageous fortune")
GRADIENT_STEPS = 100
KERAS_COUNT_LIMIT = 20_000_000
DIAGRAMS = {"lstm": lstm_cell_svg, "gru": gru_cell_svg, "rnn": rnn_cell_svg}
GATE_WORDS = {"i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate",
              "z": "update gate", "r": "reset gate", "hh": "candidate", "h": "new state"}
GATE_SYMBOLS = {"i": "i", "f": "f", "g": "g", "o": "o", "z": "z", "r": "r", "hh": r"\tilde h", "h": "h_t"}
TOY_CONFIG = tm.ToyConfig()


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


def _keep(key: str, options, default) -> None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


# ================================================================ one step in the open


def _choose_model():
    """The model to look at: the active one by default (following the sidebar), or another one
    of this session's models chosen here."""
    registry = models.models()
    active = models.active()
    # Character models only (a word-level classifier reads words, not characters).
    keys = [k for k, e in registry.items() if e.model is not None and e.model.meta.get("kind", "char-lm") == "char-lm"]
    if not keys:
        return None
    if st.session_state.get("anatomy_model_follow") != (active.key if active else None):
        st.session_state.anatomy_model_follow = active.key if active else None
        if active is not None and active.key in keys:
            st.session_state.anatomy_model = active.key
    _keep("anatomy_model", keys, active.key if active is not None and active.key in keys else keys[0])
    key = st.selectbox("Model", keys, format_func=lambda k: registry[k].label, key="anatomy_model",
                       help="The active model (sidebar) by default; any model of this session can be opened here.")
    return registry[key]


def _traced(entry, net, text: str, ids: np.ndarray):
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


def step_tab() -> None:
    st.markdown("Pick a character of a text and one unit: the page recomputes that unit's step from the "
                "network's weights, every multiplication in the open, and shows the numbers on the cell.")
    entry = _choose_model_row()
    if entry is None:
        return
    net, vocab = entry.model.net, entry.model.vocab
    raw = st.session_state.get("anatomy_text", "")
    text = raw[:MAX_STEP_CHARS]
    if not text:
        st.info("Type a text above: the network reads it one character at a time.")
        return
    ids = vocab.encode(text).ids
    trace = _traced(entry, net, text, ids)
    layer = st.session_state.get("anatomy_layer", 0)
    lt = net.layers[layer]
    cell = lt.cell

    _keep("anatomy_position", range(len(text)), len(text) - 1)
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


def _choose_model_row():
    """Model, text, layer and unit controls on one row; returns the entry (or None, with a message)."""
    c_model, c_text, c_layer, c_unit = st.columns([2.2, 3.2, 1.5, 1.1], gap="medium")
    with c_model:
        entry = _choose_model()
    if entry is None:
        st.warning("There is no model to look at yet: train one on the **Train** page or upload one in the sidebar.")
        return None
    net = entry.model.net
    st.session_state.setdefault("anatomy_text", DEFAULT_TEXT)
    with c_text:
        st.text_input("Text", key="anatomy_text", max_chars=MAX_STEP_CHARS, persist_state="session",
                      help=f"Up to {MAX_STEP_CHARS} characters. Press Enter to apply.")
    layers = net.layers
    names = {i: f"{i + 1} ({CELL_NAMES[l.cell]}, {l.units})" for i, l in enumerate(layers)}
    _keep("anatomy_layer", list(names), 0)
    with c_layer:
        st.selectbox("Layer", list(names), format_func=names.get, key="anatomy_layer", disabled=len(layers) == 1,
                     help="Layer 1 reads the characters' embeddings; each further layer reads the h of the one below.")
    layer = st.session_state.anatomy_layer
    units = layers[layer].units
    text = (st.session_state.get("anatomy_text") or "")[:MAX_STEP_CHARS]
    if st.session_state.get("anatomy_unit_for") != (entry.key, id(net), layer) and text:
        # A new model or layer starts on its busiest unit rather than unit 0, which may do nothing.
        st.session_state.anatomy_unit_for = (entry.key, id(net), layer)
        trace = _traced(entry, net, text, entry.model.vocab.encode(text).ids)
        st.session_state.anatomy_unit = _default_unit(trace.layers[layer], len(text) - 1)
    _keep("anatomy_unit", range(units), 0)
    with c_unit:
        st.number_input(f"Unit (0–{units - 1})", min_value=0, max_value=units - 1, step=1, key="anatomy_unit",
                        help="One of the layer's units; every unit has its own row of weights in each gate.")
    return entry


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
    _keep("anatomy_gate", gates, "f" if cell == "lstm" else gates[0])
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


# ================================================================ counting parameters

PARAM_DEFAULTS = {"anatomy_p_cell": "lstm", "anatomy_p_input": "vectors", "anatomy_p_vocab": 66,
                  "anatomy_p_size": 300, "anatomy_p_units": 50, "anatomy_p_layers": 1, "anatomy_p_outputs": 0}


def _set_params(**values) -> None:
    for k, v in values.items():
        st.session_state[f"anatomy_p_{k}"] = v
    st.session_state.pop("anatomy_p_keras", None)


def _use_active() -> None:
    entry = models.active()
    if entry is None or entry.model is None:
        return
    spec = entry.model.spec
    _set_params(cell=spec.cell, input="embedding", vocab=spec.vocab_size, size=spec.embed_dim,
                units=spec.units, layers=spec.layers, outputs=spec.vocab_size)


def params_tab() -> None:
    for key, value in PARAM_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.markdown("How many numbers does a recurrent network learn? Set the sizes; each layer's count follows "
                "from its formula, and Keras can confirm it.")
    controls, table = st.columns([2, 3], gap="large")
    with controls:
        cell = st.segmented_control("Cell", ["lstm", "gru", "rnn"], format_func=CELL_NAMES.get,
                                    key="anatomy_p_cell", required=True) or "lstm"
        kind = st.radio("Input", ["vectors", "embedding"], key="anatomy_p_input", horizontal=True,
                        format_func={"vectors": "vectors of numbers", "embedding": "characters (embedding)"}.get)
        fields = [("vocab", "Vocabulary V", 2, 1_000_000,
                   "How many different characters (or words) the embedding knows."),
                  ("size", "Embedding size E", 1, 100_000,
                   "Each character becomes E numbers: the first layer's input size m.")] if kind == "embedding" else \
                 [("size", "Input size m", 1, 100_000, "How many numbers the network reads at each step.")]
        fields += [("units", "Units n", 1, 8192, "How many units each recurrent layer has."),
                   ("layers", "Layers", 1, 10, "Recurrent layers stacked: the second reads the first's outputs."),
                   ("outputs", "Output size K", 0, 1_000_000,
                    "A softmax Dense layer on top with K outputs; 0 for none.")]
        values = {}
        columns = st.columns(2)
        for k, (name, label, lo, hi, help_text) in enumerate(fields):
            with columns[k % 2]:
                values[name] = int(st.number_input(label, lo, hi, step=1, key=f"anatomy_p_{name}", help=help_text))
        vocab = values.get("vocab")
        size, units, layers, outputs = values["size"], values["units"], values["layers"], values["outputs"]
        st.markdown("**Examples**")
        e1, e2 = st.columns(2)
        for col, (m, n), key in ((e1, (300, 50), "anatomy_p_ex1"), (e2, (32, 40), "anatomy_p_ex2")):
            col.button(f"{m} inputs, {n} units", key=key, width="stretch", on_click=_set_params,
                       kwargs=dict(cell="lstm", input="vectors", size=m, units=n, layers=1, outputs=0))
        active = models.active()
        st.button("The active model's sizes", key="anatomy_p_active", on_click=_use_active, width="stretch",
                  disabled=active is None or active.model is None, icon=":material/memory:")
    rows = anatomy.count_rows(cell, input_size=int(size), units=int(units), layers=int(layers),
                              vocab=int(vocab) if vocab else None, outputs=int(outputs) or None)
    total = anatomy.total(rows)
    with table:
        st.metric("Parameters in total", f"{total:,}")
        frame = pd.DataFrame({
            "layer": [r.name for r in rows] + ["Total"],
            "formula": [r.formula for r in rows] + [""],
            "W (inputs)": [f"{r.kernel:,}" for r in rows] + [f"{sum(r.kernel for r in rows):,}"],
            "U (recurrent)": [f"{r.recurrent:,}" if r.kind in anatomy.GATE_ORDER else "–" for r in rows]
                             + [f"{sum(r.recurrent for r in rows):,}"],
            "biases": [f"{r.biases:,}" if r.kind != "embedding" else "–" for r in rows]
                      + [f"{sum(r.biases for r in rows):,}"],
            "parameters": [f"{r.count:,}" for r in rows] + [f"{total:,}"],
        })
        st.table(frame.set_index("layer"))
        _keras_count_check(cell, int(size), int(units), int(layers), int(vocab) if vocab else None,
                           int(outputs) or None, rows)
        others = {c: anatomy.total(anatomy.count_rows(c, input_size=int(size), units=int(units), layers=int(layers),
                                                      vocab=int(vocab) if vocab else None,
                                                      outputs=int(outputs) or None)) for c in ("lstm", "gru", "rnn")}
        st.markdown("**The same sizes with each cell:** " + " · ".join(
            f"{CELL_NAMES[c]} **{v:,}**" for c, v in others.items()))
    st.divider()
    _why_the_formulas()


def _keras_count_check(cell, size, units, layers, vocab, outputs, rows) -> None:
    key = (cell, size, units, layers, vocab, outputs)
    done = st.session_state.get("anatomy_p_keras")
    total = anatomy.total(rows)
    cols = st.columns([2, 3], vertical_alignment="center")
    too_big = total > KERAS_COUNT_LIMIT
    if cols[0].button("Count with Keras", key="anatomy_p_check", icon=":material/verified:", disabled=too_big,
                      help="Builds this network in Keras and asks each layer for count_params() "
                           "(starts TensorFlow: a few seconds the first time)."):
        with st.spinner("Building the network in Keras…"):
            try:
                done = (key, anatomy.keras_counts(cell, input_size=size, units=units, layers=layers, vocab=vocab,
                                                  outputs=outputs))
            except Exception as exc:
                done = (key, f"{type(exc).__name__}: {exc}")
        st.session_state.anatomy_p_keras = done
    with cols[1]:
        if too_big:
            st.caption(f"Keras checks networks up to {KERAS_COUNT_LIMIT:,} parameters here.")
        elif done is not None and done[0] == key:
            counts = done[1]
            if isinstance(counts, str):
                st.error(f"Keras could not build this network: {counts}")
            elif counts == [r.count for r in rows]:
                st.success(f"Keras' count_params() agrees, layer by layer: **{sum(counts):,}** in total.",
                           icon=":material/check_circle:")
            else:
                st.error(f"Keras counts {counts}, the formulas {[r.count for r in rows]}.")
        else:
            st.caption("Keras can confirm every row: press the button.")


def _why_the_formulas() -> None:
    st.subheader("Why these formulas")
    a, b, c = st.columns(3, gap="large")
    with a:
        st.markdown("**LSTM: 4·(m + n + 1)·n**")
        st.markdown("Four layers inside one (i, f, g, o), each with a weight for every pair of input and unit "
                    "(m·n in W), every pair of previous output and unit (n·n in U) and one bias per unit (n).")
    with b:
        st.markdown("**GRU: 3·(m + n + 2)·n**")
        st.markdown("Three parts (z, r, h̃). Keras' GRU (reset_after) keeps two biases per unit and part, one "
                    "added to W x and one to U h, hence +2.")
    with c:
        st.markdown("**SimpleRNN: (m + n + 1)·n**")
        st.markdown("A single tanh layer: W, U and one bias per unit.")
    st.markdown("The count does not depend on how long the text is: the same weights are used again at every step.")
    w1, w2 = st.columns(2, gap="large")
    for col, (m, n) in zip((w1, w2), ((300, 50), (32, 40))):
        with col:
            st.markdown(f"**Worked example: {m} inputs, {n} LSTM units**")
            count = f"{anatomy.recurrent_row('lstm', m, n).count:,}".replace(",", "{,}")
            st.latex(rf"4\,({m} + {n} + 1)\cdot {n} = 4\cdot {m + n + 1}\cdot {n} = {count}")
            row = anatomy.recurrent_row("lstm", m, n)
            st.markdown(f"W: 4·{m}·{n} = **{row.kernel:,}** · U: 4·{n}·{n} = **{row.recurrent:,}** · "
                        f"biases: 4·{n} = **{row.biases:,}**")


# ================================================================ vanishing gradients


@st.cache_data(show_spinner=False, max_entries=64)
def _untrained_curves(scale: float, forget_bias: float, seed: int = 0) -> dict[str, np.ndarray]:
    """Each cell kind at Keras' initial weights (with the two knobs), on memory-test sequences."""
    cfg = TOY_CONFIG
    x, _ = tm.make_batch(np.random.default_rng([seed, 11]), 16, GRADIENT_STEPS, cfg.symbols, cfg.noise)
    out = {}
    for k, cell in enumerate(gradients.CELLS):
        weights = gradients.keras_default_weights(
            cell, cfg.symbols, cfg.units, np.random.default_rng([seed, k]),
            recurrent_scale=scale if cell == "rnn" else 1.0, forget_bias=forget_bias if cell == "lstm" else 1.0)
        out[cell] = gradients.geometric_mean(gradients.input_gradient_norms([(cell, weights)], x))
    return out


def _per_step(norms: np.ndarray) -> float:
    # Fit over the first 50 steps, where values are still far from the float64 floor.
    return gradients.decay_per_step(norms, start=1, stop=51)


def gradients_tab() -> None:
    st.markdown(
        "Training changes a weight by how much it changes the loss, and that is passed back through time: "
        "how much does the last hidden state $h_T$ still change when the input $k$ steps back changes? "
        "By the chain rule that is a product of one Jacobian per step:")
    st.latex(r"\frac{\partial h_T}{\partial x_{T-k}} = \frac{\partial h_T}{\partial h_{T-1}}\cdots"
             r"\frac{\partial h_{T-k+1}}{\partial h_{T-k}}\;\frac{\partial h_{T-k}}{\partial x_{T-k}}")
    st.markdown(
        "- **SimpleRNN:** each factor is $\\mathrm{diag}(1-h_t^2)\\,U^\\top$: the slope of tanh (at most 1, small "
        "when a unit is saturated) times the recurrent matrix. Multiply k of them and the product shrinks "
        "geometrically (or explodes, if U is large): the gradient **vanishes**.\n"
        "- **LSTM:** the memory follows $c_t = f\\,c_{t-1} + i\\,g$, so along the cell state each factor is just "
        "$\\mathrm{diag}(f)$: no squashing, no matrix. With forget gates near 1 the gradient passes almost "
        "unchanged, however far back. (The GRU's update $h_t = z\\,h_{t-1} + \\dots$ does the same with z.)")

    st.subheader("Untrained networks, as Keras initialises them")
    knobs, plot = st.columns([1.25, 3], gap="large")
    with knobs:
        scale = st.slider("SimpleRNN: scale of U", 0.25, 3.0, 1.0, 0.25, key="anatomy_g_scale",
                          help="Multiplies the SimpleRNN's recurrent weights (Keras starts them orthogonal: scale 1).")
        bias = st.slider("LSTM: forget-gate bias", -2.0, 8.0, 1.0, 0.5, key="anatomy_g_bias",
                         help="Keras starts it at 1, so f ≈ σ(1) ≈ 0.73; larger values start f nearer 1.")
        curves = _untrained_curves(float(scale), float(bias))
        rates = {c: _per_step(curves[c]) for c in gradients.CELLS}
        st.markdown("**Per step back, the gradient is multiplied by**")
        st.markdown("\n".join(f"- {fa.CELL_LABELS[c]}: **× {rates[c]:.2f}**" for c in gradients.CELLS),
                    help="A straight-line fit over the first 50 steps on the log scale: below 1 the gradient "
                         "vanishes, above 1 it explodes.")
    with plot:
        fig = fa.gradient_figure([fa.Curve(fa.CELL_LABELS[c], curves[c], cell=c) for c in gradients.CELLS])
        st.plotly_chart(fig, config={"displayModeBar": False}, key="anatomy_g_untrained")
    st.caption(
        f"Each curve is the typical size (geometric mean over 16 sequences) of $\\partial h_T/\\partial x_{{T-k}}$ "
        f"for a layer of "
        f"{TOY_CONFIG.units} units reading the memory test's sequences (a letter, then loud noise): "
        f"{TOY_CONFIG.symbols} inputs per step, Keras' initial weights. A straight falling line on this log scale is "
        "a gradient that shrinks by the same factor every step.")
    st.markdown(_untrained_story(rates, scale, bias))

    st.subheader("After training on the memory test")
    view = _toy_view(start=False)
    if view is not None and view.history and view.latest:
        _trained_gradients(view, key="anatomy_g_trained_3")
    else:
        st.info("The **Memory test** tab trains a SimpleRNN, a GRU and an LSTM to remember a letter across 100 steps "
                "of noise; afterwards their gradient curves appear here too.", icon=":material/school:")

    st.subheader("The active model")
    _active_gradients()


def _untrained_story(rates: dict, scale: float, bias: float) -> str:
    r, l = rates["rnn"], rates["lstm"]
    parts = []
    if r < 1:
        parts.append(f"The SimpleRNN's gradient is multiplied by about {r:.2f} per step: after 20 steps it is "
                     f"{_sci(r ** 20)} of its size, so an input 20 steps back barely moves its weights.")
    else:
        parts.append(f"With U scaled by {scale:g} the SimpleRNN's gradient **explodes** (× {r:.2f} per step): "
                     "training becomes unstable instead.")
    if l >= 0.95:
        parts.append(f"With a forget-gate bias of {bias:g} (f ≈ {float(anatomy.sigmoid(bias)):.2f}) the LSTM's "
                     "gradient hardly shrinks: the cell state carries it back.")
    else:
        parts.append(f"Untrained, the LSTM forgets too (f ≈ {float(anatomy.sigmoid(bias)):.2f}, × {l:.2f} per step); "
                     "raise its forget-gate bias and its curve flattens. Training can learn exactly that, while "
                     "a SimpleRNN has no such knob: only U, which also mixes everything at every step.")
    return " ".join(parts)


def _trained_gradients(view: tm.ToyView, key: str) -> None:
    cfg = view.config
    cache = st.session_state.setdefault("anatomy_g_trained_cache", {})
    curves = []
    for c in cfg.cells:
        for label, nets, faint in (("untrained", view.initial, True), ("trained", view.latest, False)):
            net = nets.get(c)
            if net is None:
                continue
            ck = (id(net), cfg)
            if ck not in cache or cache[ck][0] is not net:
                if len(cache) > 24:
                    cache.clear()
                cache[ck] = (net, tm.gradient_curve(net, cfg))
            curves.append(fa.Curve(f"{fa.CELL_LABELS[c]}, {label}", cache[ck][1], cell=c, faint=faint,
                                   mark=cfg.max_gap, mark_label=f"the letter, {cfg.max_gap} steps back"))
    step = view.history[-1].step if view.history else 0
    st.plotly_chart(fa.gradient_figure(curves, height=440), config={"displayModeBar": False}, key=key)
    trained = {c.name.split(",")[0]: c.norms for c in curves if not c.faint}
    at_letter = ", ".join(f"{name} {_sci(norms[cfg.max_gap])}" for name, norms in trained.items())
    st.caption(f"Measured on test sequences with N = {cfg.max_gap} noise steps. Pale: before training; bold: after "
               f"{step} training steps. The big marker at k = {cfg.max_gap} is the "
               f"letter to remember; its gradient after training: {at_letter}. A trained gated network can ignore the "
               "noise (small values in the middle) yet still feel the letter, because its memory path is not "
               "squashed at every step; the SimpleRNN's signal from the letter has vanished.")


def _active_gradients() -> None:
    entry = models.active()
    if entry is None or entry.model is None:
        st.info("There is no active model to measure.")
        return
    net, vocab = entry.model.net, entry.model.vocab
    if net.bidirectional:
        st.info("The active model reads the text in both directions, so its last state depends on both ends; "
                "this curve is drawn for left-to-right models only.")
        return
    text = GRADIENT_TEXT[:GRADIENT_STEPS + 1]
    cache = st.session_state.setdefault("anatomy_g_active_cache", {})
    key = (entry.key, id(net))
    if cache.get("key") != key or cache.get("net") is not net:
        norms = gradients.network_gradient_norms(net, vocab.encode(text).ids)
        cache.update(key=key, net=net, norms=norms)
    norms = cache["norms"]
    spec = net.layers[-1]
    cell = spec.cell
    left, right = st.columns([3, 2], gap="large")
    with left:
        fig = fa.gradient_figure([fa.Curve(f"{entry.model.label}", norms, cell=cell)], height=360,
                                 x_title="k: characters back from the last one")
        st.plotly_chart(fig, config={"displayModeBar": False}, key="anatomy_g_active")
    with right:
        rate = _per_step(norms)
        st.metric("Per character back", f"× {rate:.2f}")
        deep = len(net.layers) > 1
        words = (f"How much the last layer of **{literal(entry.model.label)}** ({CELL_NAMES[cell]}, "
                 f"{spec.units} units) still depends on each of the last {len(text)} characters of Hamlet's line "
                 "(on their embeddings)"
                 + (", through all its layers." if deep else ".")
                 + ("" if gradients.exact(net) else " Estimated from 64 random directions: the layer is large."))
        st.markdown(words)
        st.caption("A character model trained on text mostly needs the last few characters, and its curve shows it; "
                   "what the gates allow is keeping a gradient alive when the task needs it, as the memory test shows.")


# ================================================================ the memory test


def _toy_config() -> tm.ToyConfig:
    # Tests may put a smaller configuration here; the page itself always uses the default.
    base = st.session_state.get("anatomy_toy_config") or TOY_CONFIG
    return tm.with_seed(base, int(st.session_state.get("anatomy_toy_seed", 0)))


def _toy_view(start: bool = False) -> tm.ToyView | None:
    job = st.session_state.get("anatomy_toy_job")
    if job is None or job.config != _toy_config() or (start and job.view().status == tm.ERROR):
        if not start:
            return job.view() if job is not None else None
        job = tm.shared_job(_toy_config())
        st.session_state.anatomy_toy_job = job
    return job.view()


def memory_tab() -> None:
    cfg = _toy_config()
    st.markdown(
        f"Can a network remember one letter across N steps of noise? Each sequence starts with one of "
        f"{cfg.symbols} letters ({tm.LETTERS[:cfg.symbols]}), given as {cfg.symbols} numbers with a single 1. "
        f"Then come N steps of **noise**: {cfg.symbols} random numbers per step, louder than the letter (standard "
        f"deviation {cfg.noise:g}). After the last step the network must name the letter; guessing gets "
        f"{cfg.chance:.1%} right.")
    x, letter = tm.example(cfg, 20)
    st.plotly_chart(fa.sequence_figure(x, tm.LETTERS), config={"displayModeBar": False}, key="anatomy_toy_example")
    st.caption(f"One sequence with N = 20: the letter is {letter} (the single 1 in the first, boxed column); "
               "everything after it is noise the network must ignore.")
    st.markdown(
        f"A **SimpleRNN**, a **GRU** and an **LSTM**, {cfg.units} units each, get exactly the same training: "
        f"the same {cfg.steps} batches of {cfg.batch} sequences (N from 1 to {cfg.max_gap}, as many short as long), "
        "the same optimizer (Adam), trained live here on the server's CPU in under a minute.")
    c1, c2 = st.columns([1, 4], vertical_alignment="bottom")
    with c1:
        st.number_input("Seed", 0, 99, step=1, key="anatomy_toy_seed",
                        help="Another seed draws other initial weights and other sequences.")
    view = _toy_view(start=False)
    running = view is not None and not view.done
    with c2:
        if st.button("Train the three networks", key="anatomy_toy_train", type="primary", disabled=running,
                     icon=":material/play_arrow:"):
            view = _toy_view(start=True)
            if not view.done:
                st.rerun()  # draw the page again with the button disabled while it trains
    if view is None:
        st.info("Press **Train the three networks**: the accuracy curves appear here and fill in as they learn.",
                icon=":material/model_training:")
        return
    st.session_state.anatomy_toy_was_running = running
    st.fragment(_memory_live, run_every=2.0 if running else None)()


def _memory_live() -> None:
    view = _toy_view(start=False)
    if view is None:
        return
    if view.done and st.session_state.get("anatomy_toy_was_running"):
        st.session_state.anatomy_toy_was_running = False
        st.rerun()  # one full rerun draws the finished page without the timer
    cfg = view.config
    if view.status == tm.ERROR:
        st.error(f"The memory test failed: {view.error}")
        return
    if not view.done:
        fraction = min(1.0, view.step / cfg.steps)
        text = (f"{view.phase} step {view.step} of {cfg.steps} · {view.elapsed_s:.0f} s"
                if view.status == tm.RUNNING else view.phase)
        st.progress(fraction, text=text)
    else:
        result = view.result
        why = ""
        if result.cut_short:
            why = (f" The time budget ({cfg.time_budget_s:.0f} s) ended training after {result.steps} of {cfg.steps} "
                   "steps: the server is busy.")
        t = result.timings
        parts = ", ".join(f"{words} {t[key]:.0f} s" for key, words in
                          (("tensorflow", "starting TensorFlow"), ("build", "building"),
                           ("compile", "compiling the training step"), ("training", "training")) if key in t)
        steps = f"{result.steps:,} step{'' if result.steps == 1 else 's'}"
        st.success(f"Trained {steps} (seed {cfg.seed}) in {result.seconds:.0f} s ({parts}).{why}",
                   icon=":material/check_circle:")
    if not view.history:
        return
    last = view.history[-1]
    accuracy_fig, learning_fig = _memory_figures(view)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.plotly_chart(accuracy_fig, config={"displayModeBar": False}, key="anatomy_toy_accuracy")
        st.caption(f"After {last.step} training steps: the share of {cfg.eval_sequences} new test sequences per N "
                   "whose letter each network names correctly.")
    with right:
        st.plotly_chart(learning_fig, config={"displayModeBar": False}, key="anatomy_toy_learning")
        st.markdown(_memory_story(last, cfg))
    if view.done:
        st.subheader("Their gradients, before and after training")
        _trained_gradients(view, key="anatomy_g_trained_4")


def _memory_figures(view: tm.ToyView):
    """The two live charts, rebuilt only when a new checkpoint arrives (the page polls every 2 s,
    the checkpoints come every few seconds of training)."""
    cfg = view.config
    key = (cfg, len(view.history), view.history[-1].step)
    cached = st.session_state.get("anatomy_toy_figures")
    if cached is not None and cached[0] == key:
        return cached[1]
    last = view.history[-1]
    longest = cfg.eval_gaps[-1]
    figures = (fa.accuracy_figure(cfg.eval_gaps, last.accuracy, chance=cfg.chance),
               fa.learning_figure([p.step for p in view.history],
                                  {c: [p.accuracy[c][longest] for p in view.history] for c in cfg.cells},
                                  chance=cfg.chance, total_steps=cfg.steps, label=f"recalled at N = {longest}"))
    st.session_state.anatomy_toy_figures = (key, figures)
    return figures


def _memory_story(point: tm.Checkpoint, cfg: tm.ToyConfig) -> str:
    longest, shortest = cfg.eval_gaps[-1], cfg.eval_gaps[0]
    acc = point.accuracy
    lines = [f"- **{fa.CELL_LABELS[c]}**: {acc[c][shortest]:.0%} at N = {shortest}, {acc[c][longest]:.0%} at "
             f"N = {longest}" for c in cfg.cells]
    if point.step == 0:
        return "\n".join(lines) + "\n\nBefore training every network guesses."
    held = {c: [g for g in cfg.eval_gaps if acc[c][g] >= 0.9] for c in cfg.cells}
    gated = [c for c in ("lstm", "gru") if c in held and longest in held[c]]
    story = ""
    if gated and "rnn" in held and longest not in held["rnn"]:
        names = " and the ".join(fa.CELL_LABELS[c] for c in gated)
        rnn = acc["rnn"]
        falls = next((g for g in cfg.eval_gaps if rnn[g] < 0.5 * (1 + cfg.chance)), None)
        story = (f"\n\nThe {names} hold the letter across all {longest} noise steps. The SimpleRNN "
                 + (f"already drops to {rnn[falls]:.0%} at N = {falls}" if falls is not None else
                    f"falls to {rnn[longest]:.0%} at N = {longest}")
                 + f" (guessing: {cfg.chance:.1%}). Its whole state is rewritten at every noise step "
                 "(h = tanh(W x + U h + b)), and the gradient that could teach it to protect the letter vanishes "
                 "on its way back. The gated cells learn to shut their input to the noise after the letter and to "
                 "keep their memory (LSTM: i ≈ 0, f ≈ 1).")
    return "\n".join(lines) + story


def _sci(v: float) -> str:
    """1.2×10⁻²⁸ for a person (plain decimals between 0.01 and 1000)."""
    if not np.isfinite(v) or v == 0:
        return "0" if v == 0 else str(v)
    if 0.01 <= abs(v) < 1000:
        return f"{v:.2g}"
    exponent = int(math.floor(math.log10(abs(v))))
    mantissa = v / 10 ** exponent
    sup = str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa:.1f}×10{sup}"


# ================================================================ the page


def render() -> None:
    st.title("Anatomy of a cell")
    st.markdown("The textbook's LSTM, made of numbers you can poke: one step computed in the open, the parameter "
                "count, and why gradients vanish in a simple RNN but not in an LSTM.")
    tabs = st.tabs(list(TABS), key="anatomy_tab", on_change="rerun")
    for tab, draw in zip(tabs, (step_tab, params_tab, gradients_tab, memory_tab)):
        with tab:
            if tab.open:
                draw()


render()
