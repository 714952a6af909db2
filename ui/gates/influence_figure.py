"""The influence figure: how strongly the prediction at one position depends on each character
before it, by distance back, one line per model (Madsen, Distill 2019). Pure; no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from lstm_core.i18n import _

from ui.figures.gates import FONT_FAMILY, INK

CELL_COLOURS = {"LSTM": "#b3261e", "GRU": "#1b6ca8", "SimpleRNN": "#5f6b7a"}


def influence_figure(curves: Mapping[str, np.ndarray], height: int = 300) -> go.Figure:
    """curves: a name -> influence over positions 0..t (the last is the character just read)."""
    fig = go.Figure()
    for name, values in curves.items():
        values = np.asarray(values, dtype=float)[::-1]  # distance back: 0 is the character just read
        fig.add_trace(go.Scatter(
            x=np.arange(values.size), y=np.maximum(values, 1e-30), mode="lines", name=name,
            line=dict(width=2.2, color=CELL_COLOURS.get(name, INK)),
            hovertemplate=_("{name}: {distance} characters back, influence {value}").format(
                name=name, distance="%{x}", value="%{y:.2e}") + "<extra></extra>"))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=10, b=10), font=dict(family=FONT_FAMILY, size=14, color=INK),
        xaxis=dict(title=dict(text=_("characters back from the prediction")), gridcolor="#EEE", zeroline=False),
        yaxis=dict(title=dict(text=_("influence (log scale)")), type="log", gridcolor="#EEE", exponentformat="power"),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0), plot_bgcolor="#FFF", paper_bgcolor="#FFF")
    return fig
