"""The Anatomy page's "Counting parameters" tab: the sizes of a recurrent network chosen by hand (or
taken from the active model), each layer's count from its formula, Keras' count_params() as a check on
demand (the only part of the tab that starts TensorFlow), and why the formulas are what they are.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lstm_core.i18n import N_, _
from lstm_core.spec import CELL_NAMES
from lstm_core.teaching import anatomy
from ui import models

KERAS_COUNT_LIMIT = 20_000_000
INPUT_KINDS = {"vectors": N_("vectors of numbers"), "embedding": N_("characters (embedding)")}
TABLE_COLUMNS = (N_("layer"), N_("formula"), N_("W (inputs)"), N_("U (recurrent)"), N_("biases"), N_("parameters"))
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
    st.markdown(_("How many numbers does a recurrent network learn? Set the sizes; each layer's count follows "
                  "from its formula, and Keras can confirm it."))
    controls, table = st.columns([2, 3], gap="large")
    with controls:
        cell = st.segmented_control(_("Cell"), ["lstm", "gru", "rnn"], format_func=CELL_NAMES.get,
                                    key="anatomy_p_cell", required=True) or "lstm"
        kind = st.radio(_("Input"), ["vectors", "embedding"], key="anatomy_p_input", horizontal=True,
                        format_func=lambda k: _(INPUT_KINDS[k]))
        fields = [("vocab", _("Vocabulary V"), 2, 1_000_000,
                   _("How many different characters (or words) the embedding knows.")),
                  ("size", _("Embedding size E"), 1, 100_000,
                   _("Each character becomes E numbers: the first layer's input size m."))] if kind == "embedding" else \
                 [("size", _("Input size m"), 1, 100_000, _("How many numbers the network reads at each step."))]
        fields += [("units", _("Units n"), 1, 8192, _("How many units each recurrent layer has.")),
                   ("layers", _("Layers"), 1, 10, _("Recurrent layers stacked: the second reads the first's outputs.")),
                   ("outputs", _("Output size K"), 0, 1_000_000,
                    _("A softmax Dense layer on top with K outputs; 0 for none."))]
        values = {}
        columns = st.columns(2)
        for k, (name, label, lo, hi, help_text) in enumerate(fields):
            with columns[k % 2]:
                values[name] = int(st.number_input(label, lo, hi, step=1, key=f"anatomy_p_{name}", help=help_text))
        vocab = values.get("vocab")
        size, units, layers, outputs = values["size"], values["units"], values["layers"], values["outputs"]
        st.markdown(_("**Examples**"))
        e1, e2 = st.columns(2)
        for col, (m, n), key in ((e1, (300, 50), "anatomy_p_ex1"), (e2, (32, 40), "anatomy_p_ex2")):
            col.button(_("{m} inputs, {n} units").format(m=m, n=n), key=key, width="stretch", on_click=_set_params,
                       kwargs=dict(cell="lstm", input="vectors", size=m, units=n, layers=1, outputs=0))
        active = models.active()
        st.button(_("The active model's sizes"), key="anatomy_p_active", on_click=_use_active, width="stretch",
                  disabled=active is None or active.model is None, icon=":material/memory:")
    rows = anatomy.count_rows(cell, input_size=int(size), units=int(units), layers=int(layers),
                              vocab=int(vocab) if vocab else None, outputs=int(outputs) or None)
    total = anatomy.total(rows)
    with table:
        st.metric(_("Parameters in total"), f"{total:,}")
        layer_, formula, kernel, recurrent, biases, parameters = (_(c) for c in TABLE_COLUMNS)
        frame = pd.DataFrame({
            layer_: [r.name for r in rows] + [_("Total")],
            formula: [r.formula for r in rows] + [""],
            kernel: [f"{r.kernel:,}" for r in rows] + [f"{sum(r.kernel for r in rows):,}"],
            recurrent: [f"{r.recurrent:,}" if r.kind in anatomy.GATE_ORDER else "–" for r in rows]
                       + [f"{sum(r.recurrent for r in rows):,}"],
            biases: [f"{r.biases:,}" if r.kind != "embedding" else "–" for r in rows]
                    + [f"{sum(r.biases for r in rows):,}"],
            parameters: [f"{r.count:,}" for r in rows] + [f"{total:,}"],
        })
        st.table(frame.set_index(layer_))
        _keras_count_check(cell, int(size), int(units), int(layers), int(vocab) if vocab else None,
                           int(outputs) or None, rows)
        others = {c: anatomy.total(anatomy.count_rows(c, input_size=int(size), units=int(units), layers=int(layers),
                                                      vocab=int(vocab) if vocab else None,
                                                      outputs=int(outputs) or None)) for c in ("lstm", "gru", "rnn")}
        st.markdown(_("**The same sizes with each cell:**") + " " + " · ".join(
            f"{CELL_NAMES[c]} **{v:,}**" for c, v in others.items()))
    st.divider()
    _why_the_formulas()


def _keras_count_check(cell, size, units, layers, vocab, outputs, rows) -> None:
    key = (cell, size, units, layers, vocab, outputs)
    done = st.session_state.get("anatomy_p_keras")
    total = anatomy.total(rows)
    cols = st.columns([2, 3], vertical_alignment="center")
    too_big = total > KERAS_COUNT_LIMIT
    if cols[0].button(_("Count with Keras"), key="anatomy_p_check", icon=":material/verified:", disabled=too_big,
                      help=_("Builds this network in Keras and asks each layer for count_params() "
                             "(starts TensorFlow: a few seconds the first time).")):
        with st.spinner(_("Building the network in Keras…")):
            try:
                done = (key, anatomy.keras_counts(cell, input_size=size, units=units, layers=layers, vocab=vocab,
                                                  outputs=outputs))
            except Exception as exc:
                done = (key, f"{type(exc).__name__}: {exc}")
        st.session_state.anatomy_p_keras = done
    with cols[1]:
        if too_big:
            st.caption(_("Keras checks networks up to {limit:,} parameters here.").format(limit=KERAS_COUNT_LIMIT))
        elif done is not None and done[0] == key:
            counts = done[1]
            if isinstance(counts, str):
                st.error(_("Keras could not build this network: {error}").format(error=counts))
            elif counts == [r.count for r in rows]:
                st.success(_("Keras' count_params() agrees, layer by layer: **{total:,}** in total.").format(
                    total=sum(counts)), icon=":material/check_circle:")
            else:
                st.error(_("Keras counts {keras}, the formulas {formulas}.").format(
                    keras=counts, formulas=[r.count for r in rows]))
        else:
            st.caption(_("Keras can confirm every row: press the button."))


def _why_the_formulas() -> None:
    st.subheader(_("Why these formulas"))
    a, b, c = st.columns(3, gap="large")
    with a:
        st.markdown("**LSTM: 4·(m + n + 1)·n**")
        st.markdown(_("Four layers inside one (i, f, g, o), each with a weight for every pair of input and unit "
                      "(m·n in W), every pair of previous output and unit (n·n in U) and one bias per unit (n)."))
    with b:
        st.markdown("**GRU: 3·(m + n + 2)·n**")
        st.markdown(_("Three parts (z, r, h̃). Keras' GRU (reset_after) keeps two biases per unit and part, one "
                      "added to W x and one to U h, hence +2."))
    with c:
        st.markdown("**SimpleRNN: (m + n + 1)·n**")
        st.markdown(_("A single tanh layer: W, U and one bias per unit."))
    st.markdown(_("The count does not depend on how long the text is: the same weights are used again at every "
                  "step."))
    w1, w2 = st.columns(2, gap="large")
    for col, (m, n) in zip((w1, w2), ((300, 50), (32, 40))):
        with col:
            st.markdown(_("**Worked example: {m} inputs, {n} LSTM units**").format(m=m, n=n))
            count = f"{anatomy.recurrent_row('lstm', m, n).count:,}".replace(",", "{,}")
            st.latex(rf"4\,({m} + {n} + 1)\cdot {n} = 4\cdot {m + n + 1}\cdot {n} = {count}")
            row = anatomy.recurrent_row("lstm", m, n)
            st.markdown(_("W: 4·{m}·{n} = **{kernel:,}** · U: 4·{n}·{n} = **{recurrent:,}** · "
                          "biases: 4·{n} = **{biases:,}**").format(m=m, n=n, kernel=row.kernel,
                                                                   recurrent=row.recurrent, biases=row.biases))
