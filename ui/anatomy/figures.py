"""Pictures for the Anatomy page: a pre-activation built up from its terms, gradient norms
against steps back, and the memory test (an example sequence, accuracy against the gap, accuracy
during training). Pure functions returning Plotly figures; no Streamlit.

The three cell kinds keep one look everywhere: SimpleRNN vermillion with dashes and crosses, GRU
bluish green with dots and diamonds, LSTM blue, solid, with circles (Okabe–Ito colours, told apart
by line style too, so the figures survive a grey projector and colour-vision deficiencies).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from lstm_core.i18n import _

INK = "#1A1A1A"
GRID = "#E6E6E6"
FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
CELL_COLOURS = {"rnn": "#D55E00", "gru": "#009E73", "lstm": "#0072B2"}
CELL_DASH = {"rnn": "dash", "gru": "dot", "lstm": "solid"}
CELL_MARKER = {"rnn": "x", "gru": "diamond", "lstm": "circle"}
CELL_LABELS = {"rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}
POSITIVE, NEGATIVE, TOTAL = "#B2182B", "#2166AC", "#444444"


def _layout(fig: go.Figure, height: int, **axes) -> go.Figure:
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=36, b=10),
        font=dict(family=FONT_FAMILY, size=15, color=INK),
        plot_bgcolor="#FFF", paper_bgcolor="#FFF",
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, font=dict(size=15)),
        hoverlabel=dict(font=dict(size=14)),
        **axes,
    )
    fig.update_xaxes(tickfont=dict(size=14), title_font=dict(size=15))
    fig.update_yaxes(tickfont=dict(size=14), title_font=dict(size=15))
    return fig


# ---------------------------------------------------------------- a pre-activation, term by term


def contributions_figure(x_products: Sequence[float], h_products: Sequence[float], bias: float, *,
                         x_names: Sequence[str] | None = None, h_names: Sequence[str] | None = None,
                         top: int = 8, total_label: str = "z", extra: Sequence[tuple[str, float]] = (),
                         height: int | None = None) -> go.Figure:
    """A waterfall: the bias, then the `top` largest terms x_j·W_j and h_j·U_j (by size), then all
    the other terms together, adding up to the pre-activation (the last, grey bar).

    `extra` are further (label, value) steps added before the total (the GRU's reset part).
    """
    xp = np.asarray(x_products, dtype=np.float64)
    hp = np.asarray(h_products, dtype=np.float64)
    x_names = list(x_names) if x_names is not None else [f"x{j}·W" for j in range(len(xp))]
    h_names = list(h_names) if h_names is not None else [f"h{j}·U" for j in range(len(hp))]
    if len(x_names) != len(xp) or len(h_names) != len(hp):
        raise ValueError("there must be one name per term")
    labels = x_names + h_names
    values = np.concatenate([xp, hp])
    order = np.argsort(-np.abs(values), kind="stable")[:top]
    rest = float(values.sum() - values[order].sum())
    steps = [(_("bias b"), float(bias))] + [(labels[j], float(values[j])) for j in order]
    others = len(values) - len(order)
    if others:
        steps.append((_("the other {count} terms").format(count=others), rest))
    steps += [(str(a), float(b)) for a, b in extra]
    result = sum(v for _, v in steps)
    names = [s for s, _ in steps] + [total_label]
    fig = go.Figure(go.Waterfall(
        orientation="h", y=names, x=[v for _, v in steps] + [result],
        measure=["relative"] * len(steps) + ["total"],
        text=[f"{v:+.3f}".replace("-", "−") for _, v in steps] + [f"{result:+.3f}".replace("-", "−")],
        textposition="outside", textfont=dict(size=14), cliponaxis=False,
        increasing=dict(marker=dict(color=POSITIVE)), decreasing=dict(marker=dict(color=NEGATIVE)),
        totals=dict(marker=dict(color=TOTAL)),
        connector=dict(line=dict(color="#BBBBBB", width=1)),
        hovertemplate="%{y}: %{x:+.4f}<extra></extra>",
    ))
    span = np.cumsum([0.0] + [v for _, v in steps])
    lo, hi = float(min(span.min(), result, 0.0)), float(max(span.max(), result, 0.0))
    pad = 0.3 * (hi - lo or 1.0)
    _layout(fig, height or 70 + 34 * len(names),
            xaxis=dict(range=[lo - pad, hi + pad], gridcolor=GRID, zeroline=True, zerolinecolor="#999",
                       title=dict(text=_("running sum (red adds, blue subtracts)"), font=dict(size=14))),
            yaxis=dict(autorange="reversed", type="category", tickfont=dict(size=14)),
            showlegend=False)
    fig.update_layout(margin=dict(l=10, r=10, t=10, b=10))
    return fig


# ---------------------------------------------------------------- gradients


@dataclass(frozen=True)
class Curve:
    """One line of a gradient figure: norms[k] for k = 0 … len−1 steps back.

    `cell` picks colour, dash and marker (None: grey); `faint` draws it thin and pale (for "before
    training"); `mark` highlights one k (e.g. the position of the letter to remember) with a label.
    """

    name: str
    norms: np.ndarray
    cell: str | None = None
    faint: bool = False
    mark: int | None = None
    mark_label: str = ""


def gradient_figure(curves: Sequence[Curve], *, height: int = 420, x_title: str | None = None,
                    floor: float = 1e-30) -> go.Figure:
    """‖∂h_T/∂x_{T−k}‖ against k on a log scale: a straight falling line is a gradient that vanishes
    geometrically, a flat one a gradient that survives. Values below `floor` (or zero) are drawn at
    the floor, which is labelled as such."""
    fig = go.Figure()
    x_title = x_title or _("k: steps back from the last input")
    steps_back, size = _("k = %{x} steps back"), _("gradient size %{y:.3g}")
    smallest, largest = np.inf, 0.0
    for curve in curves:
        y = np.asarray(curve.norms, dtype=np.float64)
        shown = np.where(np.isfinite(y) & (y > floor), y, floor)
        k = np.arange(len(y))
        colour = CELL_COLOURS.get(curve.cell, "#777777")
        line = dict(color=colour, width=1.8 if curve.faint else 3.2, dash=CELL_DASH.get(curve.cell, "solid"))
        fig.add_trace(go.Scatter(
            x=k, y=shown, mode="lines", name=html.escape(curve.name), line=line,
            opacity=0.45 if curve.faint else 1.0,
            hovertemplate=f"{html.escape(curve.name)}<br>{steps_back}<br>{size}<extra></extra>",
        ))
        finite = shown[shown > floor]
        if finite.size:
            smallest, largest = min(smallest, float(finite.min())), max(largest, float(finite.max()))
        if curve.mark is not None and 0 <= curve.mark < len(y):
            fig.add_trace(go.Scatter(
                x=[curve.mark], y=[shown[curve.mark]], mode="markers", showlegend=False,
                marker=dict(color=colour, size=13, symbol=CELL_MARKER.get(curve.cell, "circle"),
                            line=dict(color="#FFF", width=1.5), opacity=0.5 if curve.faint else 1.0),
                hovertemplate=(html.escape(f"{curve.name}: {curve.mark_label}")
                               + f"<br>{size}<extra></extra>"),
            ))
    if not np.isfinite(smallest):
        smallest, largest = 1e-3, 1.0
    lo = max(np.log10(smallest) - 0.5, np.log10(floor))
    hi = np.log10(max(largest, smallest * 10)) + 0.5
    _layout(fig, height,
            xaxis=dict(title=dict(text=x_title), gridcolor=GRID, zeroline=False, rangemode="tozero"),
            yaxis=dict(type="log", range=[lo, hi], gridcolor=GRID, exponentformat="power", dtick=_log_dtick(hi - lo),
                       title=dict(text=_("‖∂h<sub>T</sub> / ∂x<sub>T−k</sub>‖ (log scale)"))),
            hovermode="closest")
    return fig


def _log_dtick(decades: float) -> int:
    return 1 if decades <= 8 else 2 if decades <= 16 else 5 if decades <= 40 else 10


# ---------------------------------------------------------------- the memory test


def sequence_figure(x: np.ndarray, letters: str, *, height: int = 260) -> go.Figure:
    """One test sequence as a heat map: rows are the input channels (one per letter), columns the
    steps. The first column is the letter (a single 1), the rest is noise."""
    x = np.asarray(x, dtype=np.float64)
    steps, channels = x.shape
    if len(letters) < channels:
        raise ValueError("one letter per input channel is needed")
    limit = float(max(1.0, np.abs(x).max()))
    fig = go.Figure(go.Heatmap(
        z=x.T, x=np.arange(steps), y=list(letters[:channels]), zmin=-limit, zmax=limit,
        colorscale=[[0.0, "rgb(33,102,172)"], [0.5, "rgb(255,255,255)"], [1.0, "rgb(178,24,43)"]],
        colorbar=dict(thickness=12, len=0.9, tickfont=dict(size=14), title=dict(text=_("value"), side="right")),
        hovertemplate=_("step %{x}, channel %{y}: %{z:.2f}") + "<extra></extra>",
    ))
    fig.add_shape(type="rect", x0=-0.5, x1=0.5, y0=-0.5, y1=channels - 0.5, line=dict(color=INK, width=2.5))
    hot = int(np.argmax(x[0]))
    fig.add_annotation(x=0, y=letters[hot], text="<b>1</b>", showarrow=False, font=dict(size=15, color=INK))
    fig.add_annotation(x=0, y=-0.5, yshift=4, text=_("the letter"), showarrow=False,
                       xanchor="left", yanchor="bottom", font=dict(size=14))
    _layout(fig, height,
            xaxis=dict(title=dict(text=_("step (after the letter: noise)")), showgrid=False, zeroline=False),
            yaxis=dict(title=dict(text=_("input channel")), autorange="reversed", type="category", showgrid=False,
                       tickmode="array", tickvals=list(letters[:channels]), ticktext=list(letters[:channels])))
    fig.update_layout(margin=dict(l=10, r=10, t=28, b=10))
    return fig


def accuracy_figure(gaps: Sequence[int], accuracy: Mapping[str, Mapping[int, float]], *, chance: float,
                    height: int = 400) -> go.Figure:
    """Accuracy against the number of noise steps N (log axis), one line per cell kind, with the
    chance level (guessing a letter) dotted."""
    gaps = [int(g) for g in gaps]
    noise, right = _("N = %{x} noise steps"), _("%{y:.0%} right")
    fig = go.Figure()
    for cell, scores in accuracy.items():
        y = [scores.get(g, np.nan) for g in gaps]
        fig.add_trace(go.Scatter(
            x=gaps, y=y, mode="lines+markers", name=CELL_LABELS.get(cell, cell),
            line=dict(color=CELL_COLOURS.get(cell), width=3.2, dash=CELL_DASH.get(cell, "solid")),
            marker=dict(size=11, symbol=CELL_MARKER.get(cell, "circle")),
            hovertemplate=f"{CELL_LABELS.get(cell, cell)}<br>{noise}<br>{right}<extra></extra>",
        ))
    fig.add_hline(y=chance, line=dict(color="#777", width=1.5, dash="dot"),
                  annotation_text=_("guessing ({chance:.1%})").format(chance=chance), annotation_position="bottom right",
                  annotation_font=dict(size=14, color="#555"))
    _layout(fig, height,
            xaxis=dict(type="log", tickvals=gaps, ticktext=[str(g) for g in gaps], gridcolor=GRID,
                       title=dict(text=_("N: noise steps between the letter and the question"))),
            yaxis=dict(range=[0, 1.05], tickformat=".0%", gridcolor=GRID, title=dict(text=_("letters recalled"))))
    return fig


def learning_figure(steps: Sequence[int], accuracy: Mapping[str, Sequence[float]], *, chance: float,
                    total_steps: int | None = None, label: str = "", height: int = 300) -> go.Figure:
    """Accuracy (at one gap, or averaged) against the training step, one line per cell kind."""
    step, right = _("step %{x}"), _("%{y:.0%} right")
    fig = go.Figure()
    for cell, values in accuracy.items():
        fig.add_trace(go.Scatter(
            x=list(steps), y=list(values), mode="lines+markers", name=CELL_LABELS.get(cell, cell),
            line=dict(color=CELL_COLOURS.get(cell), width=3, dash=CELL_DASH.get(cell, "solid")),
            marker=dict(size=7, symbol=CELL_MARKER.get(cell, "circle")),
            hovertemplate=f"{CELL_LABELS.get(cell, cell)}<br>{step}<br>{right}<extra></extra>",
        ))
    fig.add_hline(y=chance, line=dict(color="#777", width=1.5, dash="dot"))
    _layout(fig, height,
            xaxis=dict(range=[0, total_steps] if total_steps else None, gridcolor=GRID,
                       title=dict(text=_("training step"))),
            yaxis=dict(range=[0, 1.05], tickformat=".0%", gridcolor=GRID,
                       title=dict(text=label or _("letters recalled"))),
            showlegend=False)
    fig.update_layout(margin=dict(l=10, r=10, t=10, b=10))
    return fig
