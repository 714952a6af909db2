"""Gates: every gate and state of every unit at every character of a text.

Views (Karpathy, Johnson & Fei-Fei 2015; Strobelt et al., LSTMVis): the text coloured by one unit,
a units × characters heat map, the gate saturation plot, and a search for units that follow a
pattern of the text. The engine runs in NumPy, so this page never imports TensorFlow.

The page chooses the model (or a training snapshot), layer, quantity and unit, traces the text and
lays out the tabs; the views beside the coloured text and in the other tabs are in ui.gates.views.
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from lstm_core.i18n import N_, _, language, ngettext
from lstm_core.inference.engine import trace as run_trace
from ui import shell
from ui.figures import gates as fg
from ui import i18n, model_texts, models, siblings
from ui.gates.influence import influence_tab
from ui.gates import corpus
from ui.gates.ngram import ngram_tab
from ui.gates.intervention import test_units_tab
from ui.gates.match import match_view
from ui.gates.defaults import DEFAULT_QUANTITY, passage
from ui.gates.views import PATTERN_KINDS, about_unit, heatmap, pattern_controls, pattern_results, saturation, tooltips
from ui.layer_names import layer_names
from ui.widget_state import keep

shell.require_app()

MAX_CHARS = 2_000
# Traces kept per session (model, step, text): a few, within a memory budget, since a classroom of
# sessions shares one server (3 layers × 256 units × 2,000 characters is about 60 MB).
CACHE_ENTRIES = 3
CACHE_BYTES = 64 << 20

# Shown through _(): English here, marked for the catalog.
EXPLAIN = {
    "f": N_("The **forget gate** decides how much of its memory a unit keeps from one character to the next: "
            "near 1 (red) it keeps it, near 0 (blue) it wipes it."),
    "i": N_("The **input gate** decides how much of the new candidate is written into memory: "
            "near 1 (red) all of it, near 0 (blue) none."),
    "g": N_("The **candidate** is the new value, between −1 and 1, that a unit proposes to add to its memory."),
    "o": N_("The **output gate** decides how much of the memory a unit shows to the next layer and the prediction: "
            "near 1 (red) all of it, near 0 (blue) nothing."),
    "c": N_("The **cell state** is the unit's memory; it can grow beyond ±1 by adding up over many characters. "
            "Its colours run from minus to plus its largest size in this text."),
    "tanh_c": N_("**tanh(c)** is the memory squeezed into −1..1, just before the output gate scales it."),
    "h": N_("The **hidden state** is what the unit outputs after each character (h = o·tanh(c) in an LSTM); "
            "the next layer and the prediction read it."),
    "z": N_("The **update gate** decides how much of its previous state a unit keeps: near 1 (red) it keeps it, "
            "near 0 (blue) it takes the new candidate."),
    "r": N_("The **reset gate** decides how much of the previous state is used to compute the new candidate."),
    "hh": N_("The **candidate h̃** is the new state, between −1 and 1, the unit would take if it kept nothing of "
             "the old."),
}
EXPLAIN_RNN_H = N_("The **hidden state** is what the unit outputs after each character, between −1 and 1.")
# Widgets whose options are shown through _(): the browser keeps their choice as its (translated) label.
TRANSLATED_CHOICES = ("gates_quantity", "gates_layer", "gates_pattern_kind", "gates_predicate", "gates_best_unit",
                      "gates_sort", "gates_test_action", "gates_test_gate")
# The tabs, in English; st.tabs keeps the open tab's (translated) label in st.session_state.gates_tab.
TABS = (N_("Text, one unit"), N_("All units"), N_("Gate saturation"), N_("Find units for a pattern"), N_("Test units"),
        N_("Influence"), N_("Against an n-gram"))
QUANTITY_ORDER = {"lstm": ("i", "f", "g", "o", "c", "tanh_c", "h"), "gru": ("z", "r", "hh", "h"), "rnn": ("h",)}


# ---------------------------------------------------------------- data


def _traced(entry_key: str, step, net, text: str, ids: np.ndarray) -> dict:
    """The trace of `text`, kept in this session for the last few (model, step, text) so widgets feel
    instant. Entries hold the net itself, so id(net) cannot be reused while they live."""
    cache: list = st.session_state.setdefault("gates_cache", [])
    key = (entry_key, id(net), step, text)
    for i, item in enumerate(cache):
        if item["key"] == key and item["net"] is net:
            cache.append(cache.pop(i))
            return item
    result = run_trace(net, ids)
    size = sum(a.nbytes for layer in result.layers for a in layer.forward.values()) + result.probs.nbytes
    item = {"key": key, "net": net, "trace": result, "derived": {}, "bytes": size}
    cache.append(item)
    del cache[:-CACHE_ENTRIES]
    while len(cache) > 1 and sum(i["bytes"] for i in cache) > CACHE_BYTES:
        cache.pop(0)
    return item


def _values(item: dict, layer: int, quantity: str) -> np.ndarray:
    forward = item["trace"].layers[layer].forward
    if quantity != "tanh_c":
        return forward[quantity]
    key = ("tanh_c", layer)
    if key not in item["derived"]:
        item["derived"][key] = np.tanh(forward["c"])
    return item["derived"][key]


def _memo(item: dict, layer: int, quantity: str):
    """A cache of analyses of one trace's (layer, quantity) values, kept with the trace; errors are not kept."""
    store = item["derived"].setdefault(("memo", layer, quantity), {})

    def cached(key, compute):
        if key not in store:
            if len(store) > 32:
                store.clear()
            store[key] = compute()
        return store[key]

    return cached


def _guesses(item: dict, vocab) -> list:
    if "guesses" not in item["derived"]:
        item["derived"]["guesses"] = fg.top_guesses(item["trace"].probs, vocab.char_of, k=5)
    return item["derived"]["guesses"]


def _unknown_note(unknown_chars, count: int) -> str:
    """HTML naming the characters the model never saw, each outlined as in the coloured text."""
    chars = sorted(set(unknown_chars))
    listed = " ".join(f'<span style="outline:2px dashed {fg.UNKNOWN_OUTLINE};outline-offset:-1px;'
                      f'padding:0 4px;font-family:monospace">{html.escape(fg.glyph(c))}</span>' for c in chars[:40])
    if len(chars) > 40:
        listed += html.escape(_(" and {n} more").format(n=len(chars) - 40))
    note = ngettext("The model never saw this character: {listed} ({count:,} in the text). It reads it as "
                    "“unknown”; it is outlined in the coloured text.",
                    "The model never saw these characters: {listed} ({count:,} in the text). It reads them as "
                    "“unknown”; they are outlined in the coloured text.", len(chars))
    return f'<div style="font-size:15px;color:#5A189A;line-height:1.9">{note.format(listed=listed, count=count)}</div>'


def _passage() -> str:
    return passage(models.active().model)


def _use_passage() -> None:
    st.session_state.gates_text = _passage()


def _relabel_choices() -> None:
    """A selectbox's (radio's, segmented control's) choice lives in the browser as its label: after a change
    of language or of model (a layer's label names its cell and size), hand each choice back through
    session state, so the browser shows it in the new words and does not send the old ones back."""
    current = (language(), st.session_state.get("active_model"))
    if st.session_state.get("gates_labels_of") == current:
        return
    st.session_state.gates_labels_of = current
    for key in TRANSLATED_CHOICES:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


# ---------------------------------------------------------------- page


def render() -> None:
    _relabel_choices()
    st.title(_("Gates"))
    st.markdown(_("Watch what the network's units do at every character of a text, "
                  "and look for units that track something: a line start, a bracket, a capital."))

    siblings.switch("gates")
    entry = models.active()
    if entry is None:
        st.warning(_("There is no model to look at yet: train one on the **Train** page or upload one in the "
                     "sidebar."))
        return

    model_texts.follow("gates_text", _passage())
    raw = st.session_state.gates_text or ""
    text = raw[:MAX_CHARS]

    # Step, layer and unit share a row; the seven quantities get the page's width, so they fit on one
    # line at 1280 px (beside the layer and unit they wrapped and were cut).
    cols = st.columns([4, 1.4, 1.4], gap="medium")
    with cols[0]:
        net, step = _choose_model(entry)
    if text:
        _suggest_unit(entry, step, net, text)
    with cols[2]:
        unit_box = st.container()
    with cols[1]:
        layer = _choose_layer(net)
    quantity = _choose_quantity(net, layer)
    with unit_box:
        unit = _choose_unit(net, layer)

    # A key keeps the box open while its label (the text's length) changes with each edit.
    with st.expander(_("Change the text ({n:,} characters)").format(n=len(text)) if text else _("Type a text"),
                     expanded=not text, icon=":material/edit:", key="gates_text_box"):
        st.text_area(_("Text to read"), key="gates_text", height=150, persist_state="session",
                     help=_("Any text up to {most:,} characters. Press Ctrl+Enter to apply.").format(most=MAX_CHARS))
        label = _("Use a held-out poem") if model_texts.poem(entry.model) else _("Use the Shakespeare passage")
        st.button(label, on_click=_use_passage, key="gates_reset", icon=":material/restart_alt:")
    if len(raw) > MAX_CHARS:
        st.warning(_("Your text has {n:,} characters; only the first {most:,} are used.")
                   .format(n=len(raw), most=MAX_CHARS))
    if not text:
        st.info(_("Type or paste some text above (or press **Use the Shakespeare passage**), "
                  "then press Ctrl+Enter to see the network read it."))
        return

    vocab = entry.model.vocab
    encoded = vocab.encode(text)
    unknown = set(encoded.unknown_positions)
    if unknown:
        st.html(_unknown_note(encoded.unknown_chars, len(unknown)))

    item = _traced(entry.key, step, net, text, encoded.ids)
    layer_trace = item["trace"].layers[layer]
    cell = layer_trace.cell
    values = _values(item, layer, quantity)
    label = _(fg.QUANTITY_LABELS[cell][quantity])
    guesses = _guesses(item, vocab)

    # Only the open tab's figures are built and sent (on_change="rerun"): a heat map of every unit
    # is heavy to draw, and nobody sees it while another tab is open.
    tab_text, tab_heat, tab_sat, tab_find, tab_test, tab_influence, tab_ngram = i18n.tabs(
        TABS, key="gates_tab", on_change="rerun")

    # The pattern is chosen in its own tab but also sorts the heat map, so its controls come first;
    # its results (a ranking and a second coloured text) only while that tab is open.
    with tab_find:
        mask, pattern_name = pattern_controls(text)
        if tab_find.open:
            pattern_results(text, values, mask, pattern_name, quantity, label, guesses, unknown,
                            cache=_memo(item, layer, quantity))
            held_out = corpus.held_out(entry.model)
            if held_out is not None:
                corpus.section(net, vocab, held_out, layer, quantity, label, pattern_name)
            if st.session_state.get("gates_pattern_kind") == PATTERN_KINDS[1] and len(text) >= 2:
                match_view(entry.key, entry.model, net, layer, quantity, text, values,
                           tuple(st.session_state.gates_span))

    with tab_text:
        lo, hi = fg.value_range(quantity, values[:, unit])
        st.html(fg.legend_html(lo, hi, _("unit {unit}, {label}").format(unit=unit, label=label),
                               unknown=bool(unknown)))
        shown, about = st.columns([5, 2], gap="medium")
        with shown:
            tips = tooltips(text, values[:, unit], unit, label, guesses, unknown)
            st.html(fg.colored_text_html(text, values[:, unit], lo, hi, tooltips=tips, unknown_positions=unknown))
            st.caption(_("Each character is coloured by the unit's value just after the network read it. Hover over "
                         "a character to see the value and the model's five best guesses for the next character."))
        with about:
            about_unit(text, values[:, unit], unit, quantity, label)

    with tab_heat:
        if tab_heat.open:
            heatmap(text, values, quantity, label, mask, unit, cache=_memo(item, layer, quantity))

    with tab_sat:
        if tab_sat.open:
            held_out = corpus.held_out(entry.model)
            over = (corpus.saturation_over(net, vocab, held_out, layer, fg.GATES_OF[cell])
                    if held_out is not None and fg.GATES_OF[cell] else None)
            saturation(item, layer, cell, over)

    with tab_test:
        if tab_test.open:
            test_units_tab(net, layer, unit, text, encoded.ids, vocab, unknown)

    with tab_influence:
        if tab_influence.open:
            influence_tab(entry.key, net, text, encoded.ids, item["trace"].probs, unknown)

    with tab_ngram:
        if tab_ngram.open:
            ngram_tab(entry.model, net, text, encoded.ids, item["trace"].probs, unknown)


def _choose_model(entry):
    """The active model, or one of its training snapshots."""
    model = entry.model
    if not entry.snapshots:
        return model.net, None
    steps = [s.step for s in entry.snapshots]
    following = st.session_state.get("gates_step") == st.session_state.get("gates_step_latest")
    if st.session_state.get("gates_step_model") != entry.key or following:
        # A new model starts at its latest step; someone watching the latest step keeps watching it
        # while training adds snapshots.
        st.session_state.gates_step_model = entry.key
        st.session_state.gates_step = steps[-1]
    st.session_state.gates_step_latest = steps[-1]
    keep("gates_step", steps, steps[-1])
    if len(steps) == 1:
        st.caption(_("Showing the model at training step {step:,}.").format(step=steps[0]))
        return entry.snapshots[0].net, steps[0]
    step = st.select_slider(_("Training step"), options=steps, key="gates_step", format_func=lambda s: f"{s:,}",
                            help=_("The weights as they were at that step of training: slide to watch a pattern "
                                   "form. The last step is the model as it is now."))
    return entry.snapshots[steps.index(step)].net, step


def _suggest_unit(entry, step, net, text: str) -> None:
    """On a model's first showing, start on its most changing unit (of the default quantity, layer 1)
    rather than on unit 0, which may do nothing interesting."""
    if st.session_state.pop("gates_unit_from_link", False):  # a link chose the unit
        st.session_state.gates_unit_for = entry.key
    if st.session_state.get("gates_unit_for") == entry.key:
        return
    st.session_state.gates_unit_for = entry.key
    item = _traced(entry.key, step, net, text, entry.model.vocab.encode(text).ids)
    quantity = DEFAULT_QUANTITY[net.layers[0].cell]
    st.session_state.gates_unit = int(np.argmax(_values(item, 0, quantity).var(axis=0)))


def _choose_layer(net) -> int:
    layers = net.layers
    names = layer_names(net)
    keep("gates_layer", list(names), 0)
    if len(layers) == 1:
        return 0
    return st.selectbox(_("Layer"), list(names), format_func=names.get, key="gates_layer", persist_state="session",
                        help=_("Layer 1 reads the characters; each further layer reads the one below."))


def _choose_unit(net, layer: int) -> int:
    units = net.layers[layer].units
    keep("gates_unit", range(units), 0)
    unit = st.number_input(_("Unit (0–{last})").format(last=units - 1), min_value=0, max_value=units - 1, step=1,
                           key="gates_unit", persist_state="session",
                           help=_("The unit the coloured text shows. The other tabs help you find interesting ones."))
    if net.layers[layer].bidirectional:
        st.caption(_("This layer reads the text in both directions; the page shows the left-to-right half."))
    return int(unit)


def _choose_quantity(net, layer: int) -> str:
    cell = net.layers[layer].cell
    order = QUANTITY_ORDER[cell]
    keep("gates_quantity", order, DEFAULT_QUANTITY[cell])
    quantity = st.segmented_control(_("Show"), order, format_func=lambda q: _(fg.QUANTITY_SHORT[q]),
                                    key="gates_quantity", required=True, wrap=True, persist_state="session")
    quantity = quantity if quantity in order else DEFAULT_QUANTITY[cell]
    explained = EXPLAIN_RNN_H if cell == "rnn" else EXPLAIN[quantity]
    st.caption(_(explained))
    return quantity


render()
