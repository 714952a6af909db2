"""Gates: every gate and state of every unit at every character of a text.

Views (Karpathy, Johnson & Fei-Fei 2015; Strobelt et al., LSTMVis): the text coloured by one unit,
a units × characters heat map, the gate saturation plot, and a search for units that follow a
pattern of the text. The engine runs in NumPy, so this page never imports TensorFlow.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from lstm_core import unit_stats
from lstm_core.corpora import CorpusError, load_corpus
from lstm_core.engine import trace as run_trace
from lstm_core.spec import CELL_NAMES
from ui import figures_gates as fg
from ui import models

MAX_CHARS = 2_000
PASSAGE_START = "LORD POLONIUS\nI hear him coming"  # ... Hamlet's "To be, or not to be"
PASSAGE_MIN, PASSAGE_MAX = 480, 620
HEATMAP_MAX_COLUMNS = 300
HEATMAP_DEFAULT_COLUMNS = 60
TOP_UNITS = 10
# Traces kept per session (model, step, text): a few, within a memory budget, since a classroom of
# sessions shares one server (3 layers × 256 units × 2,000 characters is about 60 MB).
CACHE_ENTRIES = 3
CACHE_BYTES = 64 << 20

EXPLAIN = {
    "f": "The **forget gate** decides how much of its memory a unit keeps from one character to the next: "
         "near 1 (red) it keeps it, near 0 (blue) it wipes it.",
    "i": "The **input gate** decides how much of the new candidate is written into memory: "
         "near 1 (red) all of it, near 0 (blue) none.",
    "g": "The **candidate** is the new value, between −1 and 1, that a unit proposes to add to its memory.",
    "o": "The **output gate** decides how much of the memory a unit shows to the next layer and the prediction: "
         "near 1 (red) all of it, near 0 (blue) nothing.",
    "c": "The **cell state** is the unit's memory; it can grow beyond ±1 by adding up over many characters. "
         "Its colours run from minus to plus its largest size in this text.",
    "tanh_c": "**tanh(c)** is the memory squeezed into −1..1, just before the output gate scales it.",
    "h": "The **hidden state** is what the unit outputs after each character (h = o·tanh(c) in an LSTM); "
         "the next layer and the prediction read it.",
    "z": "The **update gate** decides how much of its previous state a unit keeps: near 1 (red) it keeps it, "
         "near 0 (blue) it takes the new candidate.",
    "r": "The **reset gate** decides how much of the previous state is used to compute the new candidate.",
    "hh": "The **candidate h̃** is the new state, between −1 and 1, the unit would take if it kept nothing of the old.",
}
EXPLAIN_RNN_H = "The **hidden state** is what the unit outputs after each character, between −1 and 1."
DEFAULT_QUANTITY = {"lstm": "tanh_c", "gru": "h", "rnn": "h"}
QUANTITY_ORDER = {"lstm": ("i", "f", "g", "o", "c", "tanh_c", "h"), "gru": ("z", "r", "hh", "h"), "rnn": ("h",)}
PATTERN_KINDS = ("A built-in pattern", "A span I mark", "A word or phrase")


# ---------------------------------------------------------------- data


@st.cache_data(show_spinner=False)
def default_passage() -> str:
    """Hamlet's "To be, or not to be", with the lines before it, read from the built-in corpus."""
    try:
        text = load_corpus("shakespeare3").text
    except CorpusError:
        return ""
    start = text.find(PASSAGE_START)
    if start < 0:
        start = max(0, text.find("To be, or not to be"))
    end = text.find("\n", start + PASSAGE_MIN)
    if end < 0 or end - start > PASSAGE_MAX:
        end = start + PASSAGE_MAX
    return text[start:end + 1]


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


def _tooltips(text: str, values: np.ndarray, unit: int, label: str, guesses: list, unknown: set) -> list[str]:
    return [fg.tooltip(ch, t, label, unit, values[t], guesses[t] if t < len(guesses) else (), t in unknown)
            for t, ch in enumerate(text)]


def _keep(key: str, options, default) -> None:
    """Reset a widget's remembered value when it is no longer one of its options (model or text changed)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def _unknown_note(unknown_chars, count: int) -> str:
    """HTML naming the characters the model never saw, each outlined as in the coloured text."""
    chars = sorted(set(unknown_chars))
    listed = " ".join(f'<span style="outline:2px dashed {fg.UNKNOWN_OUTLINE};outline-offset:-1px;'
                      f'padding:0 4px;font-family:monospace">{html.escape(fg.glyph(c))}</span>' for c in chars[:40])
    more = f" and {len(chars) - 40} more" if len(chars) > 40 else ""
    one = len(chars) == 1
    return (f'<div style="font-size:15px;color:#5A189A;line-height:1.9">The model never saw '
            f'{"this character" if one else "these characters"}: {listed}{more} ({count:,} in the text). '
            f'It reads {"it" if one else "them"} as “unknown”; {"it is" if one else "they are"} outlined '
            f'in the coloured text.</div>')


def _adopt(unit: int) -> None:
    st.session_state.gates_unit = int(unit)


def _use_passage() -> None:
    st.session_state.gates_text = default_passage()


# ---------------------------------------------------------------- page


def render() -> None:
    st.title("Gates")
    st.markdown("Watch what the network's units do at every character of a text, "
                "and look for units that track something: a line start, a bracket, a capital.")

    entry = models.active()
    if entry is None:
        st.warning("There is no model to look at yet: train one on the **Train** page or upload one in the sidebar.")
        return

    if "gates_text" not in st.session_state:
        st.session_state.gates_text = default_passage()
    raw = st.session_state.gates_text or ""
    text = raw[:MAX_CHARS]

    net, step = _choose_model(entry)
    if text:
        _suggest_unit(entry, step, net, text)
    multi = len(net.layers) > 1
    cols = st.columns([4, 1.4, 1.4] if multi else [4, 1.4], gap="medium")
    with cols[-1]:
        unit_box = st.container()
    if multi:
        with cols[1]:
            layer = _choose_layer(net)
    else:
        layer = 0
    with cols[0]:
        quantity = _choose_quantity(net, layer)
    with unit_box:
        unit = _choose_unit(net, layer)

    # A key keeps the box open while its label (the text's length) changes with each edit.
    with st.expander(f"Change the text ({len(text):,} characters)" if text else "Type a text",
                     expanded=not text, icon=":material/edit:", key="gates_text_box"):
        st.text_area("Text to read", key="gates_text", height=150, persist_state="session",
                     help=f"Any text up to {MAX_CHARS:,} characters. Press Ctrl+Enter to apply.")
        st.button("Use the Shakespeare passage", on_click=_use_passage, key="gates_reset",
                  icon=":material/restart_alt:")
    if len(raw) > MAX_CHARS:
        st.warning(f"Your text has {len(raw):,} characters; only the first {MAX_CHARS:,} are used.")
    if not text:
        st.info("Type or paste some text above (or press **Use the Shakespeare passage**), "
                "then press Ctrl+Enter to see the network read it.")
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
    label = fg.QUANTITY_LABELS[cell][quantity]
    guesses = _guesses(item, vocab)

    # Only the open tab's figures are built and sent (on_change="rerun"): a heat map of every unit
    # is heavy to draw, and nobody sees it while another tab is open.
    tab_text, tab_heat, tab_sat, tab_find = st.tabs(
        ["Text, one unit", "All units", "Gate saturation", "Find units for a pattern"], key="gates_tab",
        on_change="rerun")

    # The pattern is chosen in the last tab but also sorts the heat map, so that tab is filled first.
    with tab_find:
        mask, pattern_name = _pattern_controls(text)
        _pattern_results(text, values, mask, pattern_name, quantity, label, guesses, unknown,
                         cache=_memo(item, layer, quantity))

    with tab_text:
        lo, hi = fg.value_range(quantity, values[:, unit])
        st.html(fg.legend_html(lo, hi, f"unit {unit}, {label}", unknown=bool(unknown)))
        shown, about = st.columns([5, 2], gap="medium")
        with shown:
            tips = _tooltips(text, values[:, unit], unit, label, guesses, unknown)
            st.html(fg.colored_text_html(text, values[:, unit], lo, hi, tooltips=tips, unknown_positions=unknown))
            st.caption("Each character is coloured by the unit's value just after the network read it. Hover over "
                       "a character to see the value and the model's five best guesses for the next character.")
        with about:
            _about_unit(text, values[:, unit], unit, quantity, label)

    with tab_heat:
        if tab_heat.open:
            _heatmap(text, values, quantity, label, mask, unit, cache=_memo(item, layer, quantity))

    with tab_sat:
        if tab_sat.open:
            _saturation(item, layer, cell)


def _about_unit(text: str, column: np.ndarray, unit: int, quantity: str, label: str) -> None:
    """A few facts about one unit on this text, and the built-in patterns it follows best."""
    lo, hi, sat_low, sat_high = _scale(quantity, column[:, None])
    left, right = unit_stats.saturation(column[:, None], sat_low, sat_high)
    st.markdown(f"**Unit {unit}** on this text")
    st.markdown(f"- {label} from {fg.fmt(column.min())} to {fg.fmt(column.max())}, "
                f"on average {fg.fmt(column.mean())}\n"
                f"- near its low end at {left[0]:.0%} of the characters, near its high end at {right[0]:.0%}")
    rows = []
    for name, (_, predicate) in unit_stats.PREDICATES.items():
        mask = predicate(text)
        if mask.any() and not mask.all():
            auc = float(unit_stats.roc_auc(column[:, None], mask)[0])
            rows.append((max(auc, 1 - auc), name, "higher" if auc > 0.5 else "lower"))
    if rows:
        rows.sort(reverse=True)
        st.markdown("Built-in patterns it follows best (1.0 = perfectly, 0.5 = not at all):\n"
                    + "\n".join(f"- {name}: **{score:.2f}** ({way} inside)" for score, name, way in rows[:3]))


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
    _keep("gates_step", steps, steps[-1])
    if len(steps) == 1:
        st.caption(f"Showing the model at training step {steps[0]:,}.")
        return entry.snapshots[0].net, steps[0]
    step = st.select_slider("Training step", options=steps, key="gates_step", format_func=lambda s: f"{s:,}",
                            help="The weights as they were at that step of training: slide to watch a pattern form. "
                                 "The last step is the model as it is now.")
    return entry.snapshots[steps.index(step)].net, step


def _suggest_unit(entry, step, net, text: str) -> None:
    """On a model's first showing, start on its most changing unit (of the default quantity, layer 1)
    rather than on unit 0, which may do nothing interesting."""
    if st.session_state.get("gates_unit_for") == entry.key:
        return
    st.session_state.gates_unit_for = entry.key
    item = _traced(entry.key, step, net, text, entry.model.vocab.encode(text).ids)
    quantity = DEFAULT_QUANTITY[net.layers[0].cell]
    st.session_state.gates_unit = int(np.argmax(_values(item, 0, quantity).var(axis=0)))


def _choose_layer(net) -> int:
    layers = net.layers
    names = {i: f"Layer {i + 1} ({CELL_NAMES[l.cell]}, {l.units} units)" for i, l in enumerate(layers)}
    _keep("gates_layer", list(names), 0)
    if len(layers) == 1:
        return 0
    return st.selectbox("Layer", list(names), format_func=names.get, key="gates_layer",
                        help="Layer 1 reads the characters; each further layer reads the one below.")


def _choose_unit(net, layer: int) -> int:
    units = net.layers[layer].units
    _keep("gates_unit", range(units), 0)
    unit = st.number_input(f"Unit (0–{units - 1})", min_value=0, max_value=units - 1, step=1, key="gates_unit",
                           help="The unit the coloured text shows. The other tabs help you find interesting ones.")
    if net.layers[layer].bidirectional:
        st.caption("This layer reads the text in both directions; the page shows the left-to-right half.")
    return int(unit)


def _choose_quantity(net, layer: int) -> str:
    cell = net.layers[layer].cell
    order = QUANTITY_ORDER[cell]
    _keep("gates_quantity", order, DEFAULT_QUANTITY[cell])
    quantity = st.segmented_control("Show", order, format_func=fg.QUANTITY_SHORT.get,
                                    key="gates_quantity", required=True, wrap=True)
    quantity = quantity if quantity in order else DEFAULT_QUANTITY[cell]
    st.caption(EXPLAIN_RNN_H if cell == "rnn" else EXPLAIN[quantity])
    return quantity


def _pattern_controls(text: str):
    """The pattern chosen in the "Find units" tab: (mask, description) — always a mask, maybe all False."""
    st.markdown("Mark something in the text, and the page looks for the units whose value follows it.")
    kind_col, choice_col = st.columns([1, 2], gap="medium")
    with kind_col:
        kind = st.radio("Pattern", PATTERN_KINDS, key="gates_pattern_kind")
    with choice_col:
        return _pattern_choice(text, kind)


def _pattern_choice(text: str, kind: str):
    T = len(text)
    if kind == PATTERN_KINDS[0]:
        names = list(unit_stats.PREDICATES)
        _keep("gates_predicate", names, "after a newline")
        name = st.selectbox("Built-in pattern", names, key="gates_predicate",
                            format_func=lambda k: f"{k}: {unit_stats.PREDICATES[k][0]}")
        return unit_stats.PREDICATES[name][1](text), name
    if kind == PATTERN_KINDS[1]:
        if T < 2:
            st.caption("The text is too short to mark a span in.")
            return unit_stats.span_mask(T, 0, T), "the whole text"
        span = st.session_state.get("gates_span")
        if not (isinstance(span, (tuple, list)) and len(span) == 2 and 0 <= span[0] <= span[1] <= T):
            first_line = text.find("\n")
            st.session_state.gates_span = (0, min(T, first_line if first_line > 0 else 20))
        start, end = st.slider("Characters from … to …", 0, T, key="gates_span",
                               help="Slide the two ends to mark a stretch of the text.")
        st.html(f'<div style="font-size:15px">Marked: <code>{html.escape(_preview(text[start:end]))}</code></div>')
        return unit_stats.span_mask(T, start, end), f"characters {start}–{end}"
    st.session_state.setdefault("gates_substring", "to be")
    needle = st.text_input("Word or phrase (every occurrence, ignoring case)", key="gates_substring",
                           persist_state="session")
    return unit_stats.substring_mask(text, needle or ""), f"“{needle}”"


def _preview(s: str, n: int = 80) -> str:
    shown = "".join(fg.glyph(c) if c in "\n\t" else c for c in s)
    return shown if len(shown) <= n else shown[: n - 1] + "…"


def _way(sign: int) -> str:
    return "higher inside" if sign > 0 else "lower inside" if sign < 0 else "no difference"


def _pattern_results(text, values, mask, pattern_name, quantity, label, guesses, unknown, cache) -> None:
    try:
        ranking = cache(("rank", mask.tobytes()), lambda: unit_stats.rank_units(values, mask))
    except ValueError as exc:
        st.warning(str(exc))
        return
    st.caption(f"Ranking the units of this layer by their **{label}** on {ranking.n_inside:,} characters in the "
               f"pattern and {ranking.n_outside:,} outside it. Take one character inside the pattern and one outside: "
               "a unit's score is how often its value alone tells which is which (the unit being higher, or lower, "
               "inside). 1.0 means always, 0.5 no better than a coin toss.")
    top = ranking.top(TOP_UNITS)
    chart, table = st.columns([1, 1], gap="medium")
    with chart:
        st.plotly_chart(fg.ranking_figure(top, ranking.score[top], ranking.sign[top]),
                        config={"displayModeBar": False}, key="gates_ranking_chart")
    with table:
        frame = pd.DataFrame({
            "unit": top,
            "score": ranking.score[top],
            "inside": [_way(s).removesuffix(" inside") for s in ranking.sign[top]],
            "mean in": ranking.mean_inside[top],
            "mean out": ranking.mean_outside[top],
        })
        number = st.column_config.NumberColumn(format="%.3f")
        st.dataframe(frame, hide_index=True, width="stretch", key="gates_ranking_table",
                     column_config={"score": number, "mean in": number, "mean out": number,
                                    "inside": st.column_config.TextColumn(help="Is the unit higher or lower "
                                                                          "inside the pattern than outside?")})
    choices = [int(u) for u in top]
    if st.session_state.get("gates_best_for") != (pattern_name, label, choices[0]):
        st.session_state.gates_best_for = (pattern_name, label, choices[0])
        st.session_state.gates_best_unit = choices[0]
    _keep("gates_best_unit", choices, choices[0])
    best = st.selectbox("Unit to show over the text", choices, key="gates_best_unit",
                        format_func=lambda u: f"unit {u} (score {ranking.score[u]:.2f}, {_way(ranking.sign[u])})")
    st.button(f"Show unit {best} in the other tabs", key="gates_adopt", on_click=_adopt, args=(best,),
              icon=":material/arrow_upward:")
    col = values[:, best]
    lo, hi = fg.value_range(quantity, col)
    st.html(fg.legend_html(lo, hi, f"unit {best}, {label}", pattern=True, unknown=bool(unknown)))
    tips = _tooltips(text, col, best, label, guesses, unknown)
    st.html(fg.colored_text_html(text, col, lo, hi, tooltips=tips, unknown_positions=unknown, underline=mask))


def _heatmap(text: str, values: np.ndarray, quantity: str, label: str, mask: np.ndarray, unit: int,
             cache) -> None:
    T, n = values.shape
    c1, c2, c3 = st.columns([1, 1, 2])
    with c1:
        _keep("gates_sort", list(unit_stats.SORTS), "variance")
        by = st.selectbox("Order units by", list(unit_stats.SORTS), key="gates_sort", persist_state="session",
                          format_func=lambda k: {"index": "number", "variance": "how much they change",
                                                 "saturation": "how often saturated",
                                                 "correlation": "match with the pattern"}[k],
                          help="“match with the pattern” uses the pattern chosen under “Find units for a pattern”.")
    with c2:
        if n > 8:
            options = sorted({k for k in (8, 16, 32, 64, 128, 256, 512, 1024) if k < n} | {n})
            _keep("gates_units_shown", options, min(n, 32) if min(n, 32) in options else n)
            shown = st.select_slider("Units shown", options=options, key="gates_units_shown",
                                     persist_state="session",
                                     help="The first ones in the chosen order.")
        else:
            shown = n
    with c3:
        if T > 1:
            window = st.session_state.get("gates_window")
            if not (isinstance(window, (tuple, list)) and len(window) == 2 and 0 <= window[0] < window[1] <= T):
                st.session_state.gates_window = (0, min(T, HEATMAP_DEFAULT_COLUMNS))
            start, end = st.slider("Characters shown", 0, T, key="gates_window", persist_state="session",
                                   help=f"At most {HEATMAP_MAX_COLUMNS} at a time, so each stays readable.")
        else:
            start, end = 0, T
    if end - start > HEATMAP_MAX_COLUMNS:
        end = start + HEATMAP_MAX_COLUMNS
        st.caption(f"Showing characters {start}–{end}: at most {HEATMAP_MAX_COLUMNS} fit across the screen.")
    lo, hi, sat_low, sat_high = _scale(quantity, values)
    try:
        order = cache(("sort", by, mask.tobytes() if by == "correlation" else b""),
                      lambda: unit_stats.sort_units(values, by, pattern=mask.astype(float), low=sat_low, high=sat_high))
    except ValueError as exc:
        st.warning(str(exc))
        order = np.arange(n)
    if by == "correlation" and not (mask.any() and not mask.all()):
        st.caption("The chosen pattern does not split this text, so the units stay in their order.")
    order = order[:shown]
    fig = fg.units_heatmap(values[start:end][:, order], text[start:end], order, quantity_label=label,
                           lo=lo, hi=hi, first_position=start, symbol=fg.QUANTITY_SYMBOLS[quantity], highlight=unit)
    st.plotly_chart(fig, config={"displayModeBar": False}, key="gates_heatmap")
    st.caption(f"Each row is one unit, each column one character; the colour is the unit's {label} just after "
               "reading that character (blue low, white middle, red high). Hover for the exact value; ▶ marks the unit "
               "chosen above.")


def _scale(quantity: str, values: np.ndarray):
    """Colour range and the saturation thresholds (10% from either end of the range) for a quantity."""
    lo, hi = fg.value_range(quantity, values)
    margin = 0.1 * (hi - lo)
    return lo, hi, lo + margin, hi - margin


def _saturation(item: dict, layer: int, cell: str) -> None:
    gates = fg.GATES_OF[cell]
    if not gates:
        st.info("A SimpleRNN has no gates: every unit simply mixes the new character into its state. "
                "Switch to an LSTM or GRU model to see gate saturation.")
        return
    forward = item["trace"].layers[layer].forward
    fractions = {g: unit_stats.saturation(forward[g]) for g in gates}
    plot, words = st.columns([3, 2], gap="large")
    with plot:
        st.plotly_chart(fg.saturation_figure(fractions, cell=cell, labels=fg.QUANTITY_LABELS[cell]),
                        config={"displayModeBar": False}, key="gates_saturation")
    with words:
        st.markdown("Each dot is one gate of one unit. A gate is **saturated** when it is practically shut "
                    "(below 0.1) or wide open (above 0.9), i.e. it makes a clear yes/no decision. "
                    "Across: how often it is shut; up: how often it is open.")
        if cell == "lstm":
            st.markdown("Dots near the **top edge** are forget gates that are almost always open: "
                        "units that **always remember**. Dots on the dashed line are always saturated, "
                        "dots in the bottom-left corner hardly ever.")
        else:
            st.markdown("Dots near the **top edge** are update gates that are almost always 1: units that "
                        "**keep their state**. Dots on the dashed line are always saturated, dots in the "
                        "bottom-left corner hardly ever.")
        left, right = fractions[gates[1] if cell == "lstm" else gates[0]]
        key_gate = "forget" if cell == "lstm" else "update"
        st.markdown(f"In this text, **{int((right > 0.9).sum())}** of {len(right)} {key_gate} gates are open "
                    f"at more than 90% of the characters, and **{int((left > 0.9).sum())}** are shut that often.")


render()
