"""The Gates page's match view (LSTMVis): the units on all along a marked span, and the passages of the
model's held-out text where the same units are on together, shown in context."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from lstm_core.data.corpora import BUILTIN, CorpusError, load_corpus, validation_start
from lstm_core.i18n import _
from lstm_core.inference.engine import trace
from lstm_core.inference.match import find, units_on
from ui.figures import gates as fg

SEARCH_CHARS = 4_000  # of the held-out text: a trace of every gate of it stays under ~100 MB for a moment
SHOWN = 8
CONTEXT = 40


def match_view(entry_key: str, model, net, layer: int, quantity: str, text: str, values: np.ndarray,
               span: tuple[int, int]) -> None:
    st.markdown(_("**Where else are these units on?** The units whose value stays high all along the marked span, "
                  "and the passages where they are all on together (LSTMVis' match)."))
    percentile = st.slider(_("“On” means above this percentile of the layer's values"), 50, 99, 90,
                           key="gates_match_percentile",
                           help=_("Higher: fewer units count as on, and the matches are stricter."))
    threshold = float(np.percentile(values, percentile))
    start, end = span
    if end <= start:
        st.info(_("Mark at least one character of the text."))
        return
    units = units_on(values, start, end, threshold)
    if units.size == 0:
        st.info(_("No unit stays above {value} all along the marked span: mark a shorter span, or lower the "
                  "percentile.").format(value=fg.fmt(threshold)))
        return
    shown_units = ", ".join(str(u) for u in units[:20]) + (" …" if units.size > 20 else "")
    st.markdown(_("{count} units on all along the span (above {value}): {units}").format(
        count=units.size, value=fg.fmt(threshold), units=shown_units))
    where, searched, skip = _search_text(model, text, span)
    found = find(_layer_values(entry_key, net, where, layer, quantity, model.vocab), units, threshold,
                 end - start, top=SHOWN, skip=skip)
    if not found:
        st.info(_("No other passage of {where} has all of them on together.").format(where=searched))
        return
    st.caption(_("In {where}, best first (1.00: as long as the span, and no other unit on with them):").format(
        where=searched))
    rows = []
    for m in found:
        before = where[max(0, m.start - CONTEXT):m.start]
        after = where[m.end:m.end + CONTEXT]
        rows.append(f"<li><span style='color:#5b6473'>{m.score:.2f}</span> <code>…{_line(before)}"
                    f"<b style='background:#f6d5d2'>{_line(where[m.start:m.end])}</b>{_line(after)}…</code></li>")
    st.html(f"<ol translate='no' style='list-style:none;padding-left:0'>{''.join(rows)}</ol>")


def _line(part: str) -> str:
    return html.escape(part.replace("\n", fg.NEWLINE_GLYPH))


def _search_text(model, text: str, span: tuple[int, int]) -> tuple[str, str, tuple[int, int] | None]:
    """The held-out part of the model's built-in training text; else the page's own text (without the span)."""
    corpus = model.meta.corpus.name
    if corpus in BUILTIN:
        try:
            whole = load_corpus(corpus).text
        except CorpusError:
            whole = None
        if whole:
            return (whole[validation_start(len(whole)):][:SEARCH_CHARS],
                    _("the first {n:,} characters of the model's held-out text").format(n=SEARCH_CHARS), None)
    return text, _("this text"), span


def _layer_values(entry_key: str, net, where: str, layer: int, quantity: str, vocab) -> np.ndarray:
    """One layer's values over the searched text, kept per session for the last few requests."""
    memo = st.session_state.setdefault("gates_match_memo", {})
    key = (entry_key, id(net), where, layer, quantity)
    if key not in memo:
        if len(memo) > 4:
            memo.clear()
        forward = trace(net, vocab.encode(where).ids).layers[layer].forward
        memo[key] = np.tanh(forward["c"]) if quantity == "tanh_c" else np.array(forward[quantity])
    return memo[key]
