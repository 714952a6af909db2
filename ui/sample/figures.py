"""Pictures for the Sample page: the next-character distribution before and after temperature,
top-k and top-p, and entropy against temperature. Pure Plotly and NumPy (no Streamlit), so tests
can check the data they draw. Each is one declaration, checked by Plotly once (see ui.figures.shapes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from lstm_core.i18n import N_, _
from lstm_core.inference import sampling
from lstm_core.data.vocab import UNKNOWN_GLYPH, UNKNOWN_ID

from ui.figures.shapes import across, upright

LN2 = math.log(2.0)

# One palette for the page: grey-blue for what the model says, blue for what was sampled from,
# orange for the character actually drawn.
MODEL_COLOUR = "#b7c3d6"
USED_COLOUR = "#2f5fb3"
DRAWN_MODEL_COLOUR = "#f6c49b"
DRAWN_USED_COLOUR = "#e8590c"
CURVE_COLOUR = "#2f5fb3"
MUTED = "#6b7280"
FONT = dict(family="Arial, Helvetica, Liberation Sans, sans-serif", size=15, color="#262730")
CHAR_FONT = dict(family="DejaVu Sans Mono, Menlo, Consolas, monospace", size=19, color="#1d2330")



_NAMED = {"\n": "⏎", " ": "␣", "\t": "⇥", "\r": "␍", UNKNOWN_GLYPH: "�"}


def display_char(char: str) -> str:
    """A character as a reader can see it: ⏎ for a line break, ␣ for a space, U+XXXX for other
    invisible characters."""
    if char in _NAMED:
        return _NAMED[char]
    if not char.isprintable():
        return f"U+{ord(char):04X}"
    return char


def char_name(char: str) -> str:
    """A short name in words, for captions and hover text."""
    names = {"\n": _("line break"), " ": _("space"), "\t": _("tab"), UNKNOWN_GLYPH: _("unknown character")}
    return names.get(char, f"“{char}”")


def logits_from_probs(probs: Sequence[float] | np.ndarray) -> np.ndarray:
    """log p: softmax(log p) = p, so a step's stored distribution gives back logits that
    temperature can act on (probability 0 becomes -inf, i.e. impossible)."""
    p = np.asarray(probs, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(p)


def top_indices(probs_model: np.ndarray, probs_used: np.ndarray, drawn: int, top: int = 20) -> np.ndarray:
    """The `top` ids likeliest under either distribution, likeliest first; the drawn id is always
    among them (it replaces the last one when it would not be)."""
    score = np.maximum(np.asarray(probs_model, dtype=np.float64), np.asarray(probs_used, dtype=np.float64))
    top = max(1, min(int(top), score.size))
    order = np.argsort(-score, kind="stable")[:top]
    if drawn not in order:
        order = np.append(order[:top - 1], drawn)
    return order


def _pct(p: float) -> str:
    if p == 0:
        return "0%"
    if p < 0.001:
        return "<0.1%"
    return f"{p:.1%}"


def distribution_figure(probs_model: Sequence[float] | np.ndarray, probs_used: Sequence[float] | np.ndarray,
                        chars: Sequence[str], drawn: int, top: int = 20,
                        used_label: str = N_("After your settings"), height: int = 380) -> go.Figure:
    """Grouped bars for the `top` likeliest next characters: the model's distribution and the one
    actually sampled from; the drawn character's bars are orange and its label bold.

    `chars[i]` is the character of id i (the vocabulary's unknown slot included at 0). `used_label`
    is shown through _() (an English message, or words already in the reader's language).
    """
    used_label = _(used_label)
    model_label = _("Model (before)")
    pm = np.asarray(probs_model, dtype=np.float64)
    pu = np.asarray(probs_used, dtype=np.float64)
    if pm.shape != pu.shape or pm.ndim != 1:
        raise ValueError("the two distributions must be one-dimensional and of the same size")
    if len(chars) != pm.size:
        raise ValueError(f"{len(chars)} characters for {pm.size} probabilities")
    ids = top_indices(pm, pu, drawn, top)
    x = list(range(len(ids)))
    is_drawn = [int(i) == int(drawn) for i in ids]
    labels = [display_char(chars[i]) for i in ids]
    ticks = [f"<b><span style='color:{DRAWN_USED_COLOUR}'>{lab}</span></b>" if d else lab
             for lab, d in zip(labels, is_drawn)]
    names = [char_name(chars[i]) for i in ids]
    custom = np.array([[n, _pct(pm[i]), _pct(pu[i])] for n, i in zip(names, ids)], dtype=object)
    hover = _("{char}<br>model: {model}<br>sampled from: {used}").format(
        char="%{customdata[0]}", model="%{customdata[1]}", used="%{customdata[2]}") + "<extra></extra>"

    k = is_drawn.index(True)
    peak = float(max(pm[ids].max(), pu[ids].max(), 1e-9))
    bars = [dict(type="bar", x=x, y=values[ids], name=name, showlegend=False, customdata=custom, hovertemplate=hover,
                 marker=dict(color=[drawn_colour if d else colour for d in is_drawn]))
            for values, name, colour, drawn_colour in ((pm, model_label, MODEL_COLOUR, DRAWN_MODEL_COLOUR),
                                                       (pu, used_label, USED_COLOUR, DRAWN_USED_COLOUR))]
    # The legend gets its own swatches: a bar trace would show the colour of its first bar, which
    # is orange whenever the likeliest character was the one drawn.
    swatches = [dict(type="scatter", x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                     marker=dict(symbol="square", size=13, color=colour))
                for name, colour in ((model_label, MODEL_COLOUR), (used_label, USED_COLOUR),
                                     (_("drawn"), DRAWN_USED_COLOUR))]
    return go.Figure(data=bars + swatches, layout=dict(
        barmode="group", bargap=0.25, bargroupgap=0.05, height=height, font=FONT,
        margin=dict(l=64, r=16, t=48, b=44), plot_bgcolor="white", paper_bgcolor="white",
        legend=dict(orientation="h", x=0, y=1.02, xanchor="left", yanchor="bottom", font=dict(size=14)),
        hoverlabel=dict(font=dict(size=15)),
        annotations=[dict(x=k, y=max(pm[drawn], pu[drawn]), text=_("drawn"), showarrow=True, arrowhead=2,
                          arrowcolor=DRAWN_USED_COLOUR, ax=0, ay=-28, font=dict(color=DRAWN_USED_COLOUR, size=15))],
        xaxis=dict(automargin=True, tickmode="array", tickvals=x, ticktext=ticks, tickfont=CHAR_FONT,
                   showgrid=False, title=None, fixedrange=True),
        yaxis=dict(automargin=True, tickformat=".0%", range=[0, min(1.0, peak * 1.18) if peak < 0.85 else 1.12],
                   gridcolor="#e6e9ef", title=dict(text=_("probability")), fixedrange=True, zeroline=True,
                   zerolinecolor="#c9ced8"),
    ))


def possible_count(logits: Sequence[float] | np.ndarray) -> int:
    """How many characters can be drawn at all (finite logit, unknown slot excluded)."""
    z = np.asarray(logits, dtype=np.float64)
    finite = np.isfinite(z)
    if finite[UNKNOWN_ID + 1:].any():
        finite[UNKNOWN_ID] = False
    return int(finite.sum())


def entropy_figure(logits: Sequence[float] | np.ndarray, temperature: float, top_k: int | None = None,
                   top_p: float | None = None, t_min: float = 0.05, t_max: float = 5.0, points: int = 121,
                   height: int = 380) -> go.Figure:
    """Entropy in bits of softmax(logits / T) for T from t_min to t_max on a log axis, with the
    chosen temperature marked (temperature 0, greedy, sits at the left edge with 0 bits) and, when
    top-k or top-p cut the distribution, the entropy after the cut too."""
    z = np.asarray(logits, dtype=np.float64)
    temps = np.geomspace(t_min, t_max, points)
    bits = sampling.entropy_curve(z, temps) / LN2
    n_possible = possible_count(z)
    ceiling = math.log2(n_possible) if n_possible > 1 else 0.0
    greedy = temperature < sampling.GREEDY_BELOW
    chosen_bits = max(0.0, sampling.entropy(sampling.adjust(z, temperature)) / LN2)
    x_mark = t_min if greedy else float(temperature)
    cut = bool(top_k) or (top_p is not None and top_p < 1)

    traces = [dict(type="scatter", x=temps, y=bits, mode="lines", name=_("entropy at each temperature"),
                   line=dict(color=CURVE_COLOUR, width=3),
                   hovertemplate=_("T = {t}<br>{bits} bits").format(t="%{x:.2f}", bits="%{y:.2f}")
                   + "<extra></extra>")]
    label = (_("greedy (T = 0): 0 bits") if greedy
             else _("T = {t:g}: {bits:.2f} bits").format(t=temperature, bits=chosen_bits))
    traces.append(dict(type="scatter", x=[x_mark], y=[chosen_bits], mode="markers+text",
                       name=_("greedy (T = 0)") if greedy else _("your temperature"),
                       marker=dict(color=DRAWN_USED_COLOUR, size=14, line=dict(color="white", width=2)),
                       text=[label],
                       textposition="top right" if greedy else "bottom right" if x_mark <= 0.5 else "top left",
                       textfont=dict(color=DRAWN_USED_COLOUR, size=15), cliponaxis=False,
                       hovertemplate=label + "<extra></extra>"))
    if cut and not greedy:
        used = sampling.adjust(z, temperature, top_k or None, top_p if top_p is not None and top_p < 1 else None)
        used_bits = max(0.0, sampling.entropy(used) / LN2)
        cut_label = _("after top-k / top-p: {bits:.2f} bits").format(bits=used_bits)
        traces.append(dict(type="scatter", x=[x_mark], y=[used_bits], mode="markers+text",
                           name=_("after top-k / top-p"),
                           marker=dict(color=DRAWN_USED_COLOUR, symbol="diamond-open", size=14, line=dict(width=3)),
                           text=[cut_label], textposition="bottom right" if x_mark <= 0.5 else "bottom left",
                           textfont=dict(color=DRAWN_USED_COLOUR, size=14), cliponaxis=False,
                           hovertemplate=cut_label + "<extra></extra>"))
    # The ceiling across the plot, and the chosen temperature up it.
    shapes = [across(ceiling, dict(color=MUTED, dash="dot", width=1.5))]
    if not greedy:
        shapes.append(upright(x_mark, dict(color=DRAWN_USED_COLOUR, dash="dash", width=1.5)))
    ticks = [0.05, 0.1, 0.2, 0.5, 1, 2, 5]
    top = max(ceiling, 1.0)
    return go.Figure(data=traces, layout=dict(
        height=height, font=FONT, margin=dict(l=64, r=16, t=48, b=64), plot_bgcolor="white",
        paper_bgcolor="white", showlegend=False, hoverlabel=dict(font=dict(size=15)), shapes=shapes,
        annotations=[dict(text=_("all {n} equally likely: {bits:.1f} bits").format(n=n_possible, bits=ceiling),
                          xref="x domain", x=0, xanchor="left", yref="y", y=ceiling, yanchor="bottom",
                          showarrow=False, font=dict(color=MUTED, size=14))],
        xaxis=dict(automargin=True, type="log", range=[math.log10(t_min), math.log10(t_max)],
                   title=dict(text=_("temperature T (log scale)")), tickvals=ticks,
                   ticktext=[f"{t:g}" for t in ticks], gridcolor="#e6e9ef", fixedrange=True),
        yaxis=dict(automargin=True, title=dict(text=_("entropy (bits)")), range=[-0.05 * top, top * 1.08],
                   gridcolor="#e6e9ef", zeroline=True, zerolinecolor="#c9ced8", fixedrange=True),
    ))
