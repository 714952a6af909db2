"""The Sentiment page's "Classify" tab: the review box with its examples, the two verdicts (the
classifier's and VADER's), and the three ways to watch the classifier read the review word by word
(the probability after each word, word importance by occlusion, the gates and states of its units).
The scores of the last few (model, text) pairs are kept per session, so a rerun does not recompute them.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from lstm_core import i18n
from lstm_core.i18n import N_, _, ngettext
from lstm_core.inference import unit_stats
from lstm_core.sentiment import baseline, scoring

from ui.figures import gates as fg
from ui import lesson_facts
from ui.sentiment import figures as fs
from ui.literal import literal
from ui.sentiment.models import Entry, arch_name

# The names are the pills' values (English) and are translated where shown; the reviews stay English.
EXAMPLES = {
    N_("Clearly positive"): "A beautiful, moving film with a wonderful cast. I loved every minute of it.",
    N_("Clearly negative"): "A dull, lifeless mess: the acting is awful and the plot makes no sense.",
    N_("Negation"): "This movie was not good at all.",
    N_("Not bad"): "The acting was not bad at all.",
    N_("Mixed"): "The plot is thin and predictable, but the acting is superb.",
    N_("Sarcastic"): "Oh great, another two hours of my life I will never get back.",
}
CACHE_ENTRIES = 8
QUANTITY_ORDER = {"lstm": ("i", "f", "g", "o", "c", "h"), "gru": ("z", "r", "hh", "h"), "rnn": ("h",)}
DEFAULT_QUANTITY = {"lstm": "c", "gru": "h", "rnn": "h"}
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
EXPLAIN = {
    "i": N_("The **input gate**: how much of the new candidate each unit writes into its memory at this word "
            "(red: all of it, blue: none)."),
    "f": N_("The **forget gate**: how much of its memory each unit keeps from the word before (red: keeps it, "
            "blue: wipes it)."),
    "g": N_("The **candidate**: the value, from −1 to 1, each unit proposes to add to its memory at this word."),
    "o": N_("The **output gate**: how much of its memory each unit shows to the next layer and the verdict."),
    "c": N_("The **cell state**: each unit's memory, added up word by word. Watch which units move at “not” or at "
            "a strong word: the verdict is read from the last column."),
    "h": N_("The **hidden state**: what each unit outputs after each word; the verdict is read from the last "
            "column."),
    "z": N_("The **update gate**: how much of its previous state each unit keeps (red: keeps it)."),
    "r": N_("The **reset gate**: how much of the previous state is used to make the new candidate."),
    "hh": N_("The **candidate h̃**: the state each unit would take if it kept nothing of the old one."),
}
VIEWS = (N_("Word by word"), N_("Word importance"), N_("Gates"))  # the view switch's values, translated where shown
# A bidirectional layer's two halves: the Gates view's direction switch's values, translated where shown.
DIRECTIONS = (N_("Left to right"), N_("Right to left"))


def sentences(parts: list[str]) -> str:
    """Sentences in a row: a space after an English one, none after a Chinese one (it ends in 。 or ）)."""
    out = ""
    for part in parts:
        out += part if not out or out[-1] in "。！？）：；”" else " " + part
    return out


# ---------------------------------------------------------------- scoring, kept per session


def _analysis(entry: Entry, text: str) -> dict:
    """Verdict, VADER, start probability (and, on demand, occlusion) for (model, text), remembered."""
    cache: list = st.session_state.setdefault("sent_cache", [])
    key = (entry.key, id(entry.model), text, i18n.language())  # the notes are in the reader's language
    for i, item in enumerate(cache):
        if item["key"] == key:
            cache.append(cache.pop(i))
            return item
    net = entry.model.net
    verdict = scoring.score(net, entry.model.vocab, text)
    unavailable = baseline.available()
    compound = None
    if verdict.prob is not None and unavailable is None:
        compound = baseline.vader_compound(verdict.reading.text)
    start = scoring.start_probability(net, entry.model.vocab.framing)
    item = {"key": key, "verdict": verdict, "vader": compound, "vader_missing": unavailable, "start": start}
    cache.append(item)
    del cache[:-CACHE_ENTRIES]
    return item


def _occlusion(entry: Entry, item: dict) -> np.ndarray:
    if "occlusion" not in item:
        v = item["verdict"]
        item["occlusion"] = scoring.occlusion(entry.model.net, v.reading.ids, full=v.prob,
                                              framing=entry.model.vocab.framing)
    return item["occlusion"]


# ---------------------------------------------------------------- the classify tab


def _use_example() -> None:
    choice = st.session_state.get("sent_example")
    if choice in EXAMPLES:
        st.session_state.sent_text = EXAMPLES[choice]


def _typed() -> None:
    choice = st.session_state.get("sent_example")
    if choice in EXAMPLES and st.session_state.get("sent_text") != EXAMPLES[choice]:
        st.session_state.sent_example = None


def classify_area(entry: Entry) -> None:
    """The text box and everything computed from it (a fragment: typing reruns only this)."""
    # Both kept while another tab or page is open (a widget not drawn otherwise forgets its value).
    st.pills(_("Examples"), list(EXAMPLES), format_func=_, key="sent_example", on_change=_use_example,
             persist_state="session", help=_("Each example fills the box below; then change it as you like."))
    st.text_input(_("Review"), key="sent_text", live="300ms", on_change=_typed, persist_state="session",
                  placeholder=_("Type a review, e.g. “The acting was not bad at all”"),
                  help=_("Classified as you type (after a short pause). English, up to {n} words are read.").format(
                      n=scoring.MAX_WORDS))
    text = st.session_state.get("sent_text") or ""
    item = _analysis(entry, text)
    verdict = item["verdict"]
    if verdict.label is not None:
        lesson_facts.note("review_read")

    left, right = st.columns([1, 2.5], gap="medium")
    with left:
        st.html(fs.lstm_card(verdict.prob, verdict.status, name=arch_name(entry.model)))
        st.html(fs.vader_card(item["vader"], item["vader_missing"]))
        said = fs.comparison(verdict.label, item["vader"])
        if said:
            kind, text = said
            icon = {"success": ":material/handshake:", "warning": ":material/compare_arrows:"}.get(kind,
                                                                                                 ":material/info:")
            getattr(st, kind)(text, icon=icon)
    with right:
        for message in verdict.reading.notes:
            st.info(message, icon=":material/info:")
        if verdict.prob is None:
            st.info(_("Type or paste a review (or pick an example) to see what the classifier makes of it."),
                    icon=":material/keyboard:")
            return
        views = list(VIEWS)
        if st.session_state.get("sent_view") not in views:
            st.session_state.sent_view = views[0]
        view = st.segmented_control(_("View"), views, format_func=_, key="sent_view", required=True,
                                    label_visibility="collapsed")
        if view == "Word importance":
            _importance(entry, item)
        elif view == "Gates":
            _gates(entry, item)
        else:
            _trajectory(entry, item)


def _trajectory(entry: Entry, item: dict) -> None:
    verdict = item["verdict"]
    words = verdict.reading.words
    p = verdict.trajectory
    fig = fs.trajectory_figure(words, p, start=item["start"], unknown=verdict.reading.unknown,
                               kind=verdict.trajectory_kind)
    st.plotly_chart(fig, config={"displayModeBar": False}, key="sent_trajectory")
    before = np.r_[item["start"], p[:-1]]
    jump = int(np.argmax(np.abs(p - before))) if len(p) else 0
    parts = []
    framing = entry.model.vocab.framing
    if framing.padded:
        parts.append(_("This model was trained on reviews padded to {maxlen} ids, so each point is the model run "
                       "again on the review up to that word, padded the same way.").format(maxlen=framing.maxlen))
    elif verdict.trajectory_kind == "prefix":
        parts.append(_("This model is **bidirectional**: half of it reads from the end, so each point is the model "
                       "run again on the review up to that word."))
    else:
        parts.append(_("Each point is the probability of *positive* the classifier would give if the review ended at "
                       "that word: it reads left to right, and its memory carries everything read so far."))
    # Without a verdict (no word the model knows) a change of the output means nothing about this review.
    if len(p) and verdict.label is not None:
        change = p[jump] - before[jump]
        biggest = (_("The biggest change came at **“{word}”**: {before:.2f} → {after:.2f} (up {change:.2f}).")
                   if change > 0 else
                   _("The biggest change came at **“{word}”**: {before:.2f} → {after:.2f} (down {change:.2f})."))
        parts.append(biggest.format(word=literal(words[jump]), before=before[jump], after=p[jump], change=abs(change)))
        turn = scoring.turning_point(p)
        if turn is not None:
            parts.append(_("The verdict last changed side at **“{word}”**.").format(word=literal(words[turn])))
    if verdict.reading.unknown:
        parts.append(_("Open circles are words the model never saw."))
    st.caption(sentences(parts))


def _importance(entry: Entry, item: dict) -> None:
    verdict = item["verdict"]
    imp = _occlusion(entry, item)
    words = verdict.reading.words
    scale = fs.importance_scale(imp)
    st.html(fs.importance_legend_html(scale))
    st.html(fs.importance_html(words, imp, full=verdict.prob, unknown=verdict.reading.unknown, scale=scale))
    order = np.argsort(imp)
    lines = [_("Word importance by **occlusion**: the review is classified again without each word in turn; the "
               "colour is how much the probability of *positive* drops without it. Hover a word for its numbers.")]
    if verdict.label is not None:  # without a verdict no word pushes it either way
        if imp[order[-1]] > 0.05:
            t = order[-1]
            lines.append(_("Most positive word: **“{word}”** (without it {without:.2f} instead of {full:.2f}).")
                         .format(word=literal(words[t]), without=verdict.prob - imp[t], full=verdict.prob))
        if imp[order[0]] < -0.05:
            t = order[0]
            lines.append(_("Most negative word: **“{word}”** (without it {without:.2f} instead of {full:.2f}).")
                         .format(word=literal(words[t]), without=verdict.prob - imp[t], full=verdict.prob))
    st.caption(sentences(lines))


def _gates(entry: Entry, item: dict) -> None:
    net = entry.model.net
    verdict = item["verdict"]
    tr = verdict.trace
    words = verdict.reading.words
    layers = net.layers
    if len(layers) > 1:
        names = {i: _("Layer {layer} ({cell}, {units} units)").format(layer=i + 1, cell=CELL_NAMES[layer.cell],
                                                                       units=layer.units) for i, layer in enumerate(layers)}
        if st.session_state.get("sent_layer") not in names:
            st.session_state.sent_layer = len(layers) - 1
        layer = st.selectbox(_("Layer"), list(names), format_func=names.get, key="sent_layer",
                             help=_("Layer 1 reads the words; the verdict is read from the last layer."))
    else:
        layer = 0
    cell = layers[layer].cell
    order_q = QUANTITY_ORDER[cell]
    if st.session_state.get("sent_quantity") not in order_q:
        st.session_state.sent_quantity = DEFAULT_QUANTITY[cell]
    n = layers[layer].units
    options = sorted({k for k in (8, 16, 32, 64, 128, 256) if k < n} | {n})
    if st.session_state.get("sent_units_shown") not in options:
        st.session_state.sent_units_shown = min(options, key=lambda k: abs(k - 16))
    c2, c3 = st.columns([2.6, 1], gap="medium")
    with c2:
        quantity = st.segmented_control(_("Show"), order_q, format_func=lambda q: _(fg.QUANTITY_SHORT[q]),
                                        key="sent_quantity", required=True, wrap=True)
    with c3:
        shown = st.select_slider(_("Units shown"), options=options, key="sent_units_shown")
    backward = False
    if layers[layer].bidirectional:
        if st.session_state.get("sent_direction") not in DIRECTIONS:
            st.session_state.sent_direction = DIRECTIONS[0]
        backward = st.segmented_control(_("Direction"), DIRECTIONS, format_func=_, key="sent_direction",
                                        required=True) == DIRECTIONS[1]
    st.caption(_(EXPLAIN[quantity]))

    # The trace holds what the model read, padding and all; the picture shows the words.
    at_words = slice(verdict.first, verdict.first + len(words))
    run = tr.layers[layer].backward if backward else tr.layers[layer].forward
    values = np.asarray(run[quantity])[at_words]
    last = layer == len(layers) - 1
    if last:
        # The units the verdict listens to: each one's weight in the output times its final value
        # (a bidirectional layer's right-to-left half sits in the second half of both).
        half = slice(n, 2 * n) if backward else slice(0, n)
        contribution = net.head.kernel[half, 0] * tr.layers[layer].final[half]
        order = np.argsort(-np.abs(contribution))
    else:
        order = np.argsort(-values.var(axis=0)) if len(words) > 1 else np.arange(n)
    order = order[:shown]
    label = _(fg.QUANTITY_LABELS[cell][quantity])
    lo, hi = fg.value_range(quantity, values)
    fig = fg.units_heatmap(values[:, order], list(words), order, quantity_label=label,
                           lo=lo, hi=hi, symbol=fg.QUANTITY_SYMBOLS[quantity], highlight=int(order[0]))
    fig.update_xaxes(title_text=_("word of the review (hover for details)"),
                     tickangle=0 if sum(len(w) + 1 for w in words) <= 60 else -45)
    st.plotly_chart(fig, config={"displayModeBar": False}, key="sent_gates_heatmap")
    if last:
        caption = _("Rows: {shown} of the {n} units, ordered by how much they move the verdict (their output weight × "
                    "their final value). Columns: the words, read left to right.")
    else:
        caption = _("Rows: {shown} of the {n} units, ordered by how much they change over the review. Columns: the "
                    "words, read left to right.")
    parts = [caption.format(shown=len(order), n=n)]
    if backward:
        parts.append(_("This layer is bidirectional; the picture shows its right-to-left half, which reads the review "
                       "from the end: its column at a word is its state after reading from the last word back to "
                       "that one."))
    elif layers[layer].bidirectional:
        parts.append(_("This layer is bidirectional; the picture shows its left-to-right half (switch to see the "
                       "other, which reads the review from the end)."))
    padding = tr.length - len(words)
    if padding:
        parts.append(ngettext("The model also reads {n} id that is not a word of the review (padding, or the start "
                              "mark); it is left out of the picture.",
                              "The model also reads {n} ids that are not words of the review (padding, or the start "
                              "mark); they are left out of the picture.", padding).format(n=padding))
    st.caption(sentences(parts))

    unit = int(order[0])
    column = values[:, unit]
    st.markdown(_("**Unit {unit}** over the review ({quantity}), the unit at the top").format(unit=unit,
                                                                                             quantity=label))
    st.html(fg.legend_html(lo, hi, _("unit {unit}").format(unit=unit)))
    tips = [_("“{word}” (word {position}): unit {unit} {quantity} = {value}").format(
        word=w, position=t + 1, unit=unit, quantity=label, value=fg.fmt(v)) for t, (w, v) in enumerate(zip(words, column))]
    st.html(fs.unit_words_html(words, column, lo, hi, tooltips=tips))
    gates = fg.GATES_OF[cell]
    if gates and len(words) >= 2:
        with st.expander(_("Gate saturation over this review"), icon=":material/scatter_plot:",
                         key="sent_saturation_expander"):
            fractions = {g: unit_stats.saturation(np.asarray(run[g])[at_words]) for g in gates}
            labels = {q: _(name) for q, name in fg.QUANTITY_LABELS[cell].items()}
            st.plotly_chart(fg.saturation_figure(fractions, cell=cell, labels=labels, height=380),
                            config={"displayModeBar": False}, key="sent_saturation")
            st.caption(_("Each dot is one gate of one unit: up, how often it is wide open (> 0.9) over this review; "
                         "across, how often it is shut (< 0.1). A gate that makes clear yes/no decisions sits near an "
                         "edge."))
    elif not gates:
        st.caption(_("A SimpleRNN has no gates: each unit mixes the new word into its state."))
