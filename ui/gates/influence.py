"""The Gates page's "Influence" tab: pick a character; how much each character before it moved the
model's prediction of the next one, coloured over the text and, for the pretrained cells, compared
by distance back (how far back an LSTM, a GRU and a SimpleRNN still look)."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from lstm_core.i18n import _
from lstm_core.inference.influence import influence
from ui.figures import gates as fg
from ui import lesson_facts, models, siblings
from ui.gates.influence_figure import influence_figure

DECADES = 4  # the colours span the strongest influence down to 10⁻⁴ of it; below is white
DEFAULT_POSITION = 400


def influence_tab(entry_key: str, net, text: str, ids: np.ndarray, probs: np.ndarray, unknown: set) -> None:
    """`probs`: the page's trace of this text (probs[t] is the prediction after character t)."""
    st.markdown(_("Pick a character: how much did each character before it move the model's prediction of the "
                  "next one? Measured as the size of the gradient of that prediction's log-probability with "
                  "respect to each earlier input."))
    lesson_facts.note("opened", "gates:Influence")
    if len(ids) < 2:
        st.info(_("The text needs at least two characters."))
        return
    last = len(ids) - 2
    if not 0 <= st.session_state.get("gates_influence_at", -1) <= last:
        st.session_state["gates_influence_at"] = min(last, DEFAULT_POSITION)
    at = st.slider(_("Prediction after character number"), 0, last, key="gates_influence_at",
                   help=_("The model has read the text up to this character and predicts the next one."))
    values = _influence(entry_key, net, text, ids, at)
    p = float(probs[at, ids[at + 1]])
    st.markdown(_("After “…{context}” the model gives the true next character “{next}” a probability of "
                  "{p:.0%}.").format(context=fg.glyph(text[max(0, at - 30):at + 1]).replace("\n", fg.NEWLINE_GLYPH),
                                     next=fg.glyph(text[at + 1]), p=p))
    logs = np.log10(np.maximum(values, 1e-30))
    top = float(logs.max())
    # White (the middle of the page's blue-white-red scale) for the weakest shown, red for the strongest.
    shown = np.concatenate([np.clip(logs, top - DECADES, top), [top - DECADES]])  # + the predicted character
    mark = [False] * (at + 1) + [True]
    st.html(_legend(top))
    tips = [_("“{char}”: influence {value:.1e}").format(char=fg.glyph(ch), value=values[t]) if t <= at
            else _("“{char}”: the character predicted").format(char=fg.glyph(ch)) for t, ch in enumerate(text[:at + 2])]
    st.html(fg.colored_text_html(text[:at + 2], shown, top - 2 * DECADES, top, tooltips=tips, underline=mark,
                                 unknown_positions=[u for u in unknown if u <= at + 1]))
    st.caption(_("Hover over a character to see its influence. Influence falls steeply with distance, so the colours "
                 "span four powers of ten."))
    curves = _sibling_curves(text, at) if siblings.offered(entry_key) else {_("this model"): values}
    st.plotly_chart(influence_figure(curves), key="gates_influence_chart", config={"displayModeBar": False})
    if len(curves) > 1:
        st.caption(_("The same text and character for the pretrained {cells}. The slower a curve falls, the farther "
                     "back that cell still looks.").format(cells=siblings.named()))


def _legend(top: float) -> str:
    stops = ", ".join(f"rgb{fg.colour_of(v, top - 2 * DECADES, top)}" for v in np.linspace(top - DECADES, top, 5))
    weak, strong = html.escape(_("hardly used (10⁻⁴ of the strongest, or less)")), html.escape(_("leaned on most"))
    predicted = html.escape(_("the character predicted"))
    return (f'<div style="font-family:{fg.FONT_FAMILY};font-size:15px;color:{fg.INK};display:flex;align-items:center;'
            f'flex-wrap:wrap;gap:8px;margin:2px 0 4px 0"><span>{weak}</span><span style="display:inline-block;'
            f'width:160px;height:14px;border:1px solid #999;background:linear-gradient(to right, {stops})"></span>'
            f'<span>{strong}</span><span style="margin-left:18px;box-shadow:inset 0 -4px 0 {fg.PATTERN_MARK};'
            f'padding:0 4px">x</span> <span>{predicted}</span></div>')


def _influence(entry_key: str, net, text: str, ids: np.ndarray, at: int) -> np.ndarray:
    """Kept for the last few positions of this model and text: moving other widgets does not redo it."""
    memo = st.session_state.setdefault("gates_influence_memo", {})
    key = (entry_key, id(net), text, at)
    if key not in memo:
        if len(memo) > 8:
            memo.clear()
        memo[key] = influence(net, ids, at)
    return memo[key]


def _sibling_curves(text: str, at: int) -> dict[str, np.ndarray]:
    curves = {}
    for name, model in siblings.present():
        ids = model.vocab.encode(text).ids
        curves[model.spec.cell_name] = _influence(models.pretrained_key(name), model.net, text, ids, at)
    return curves
