"""The training chart: a pure function of the loss history, so it is testable without a browser.
Its words are in the reader's language (`_`): draw it in the script run that shows it."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from lstm_core.i18n import N_, _
from lstm_core.training.outcome import chance_loss

from ui.figures.shapes import across
from ui.figures.smoothing import smooth

NATS_TO_BITS = 1 / math.log(2)
# The raw curve is drawn from at most this many points: a 10-minute run has ~10,000 steps.
MAX_RAW_POINTS = 1500
RAW_COLOR = "rgba(31, 119, 180, 0.25)"
SMOOTH_COLOR = "#1f77b4"
VAL_COLOR = "#d62728"
GUESS_COLOR = "#7f7f7f"
GRID_COLOR = "#EBF0F8"
# The units' names, as the chart and the page say them.
UNIT_NAMES = {"nats": N_("nats"), "bits": N_("bits")}


def _decimate(x: np.ndarray, y: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    if x.size <= limit:
        return x, y
    idx = np.unique(np.linspace(0, x.size - 1, limit).round().astype(int))
    return x[idx], y[idx]


def loss_figure(history, unit: str = "nats", vocab_size: int | None = None, height: int = 380) -> go.Figure:
    """Training loss (raw, faint; smoothed, bold) and validation loss against the step.

    `history` has `steps`, `train`, `val_steps`, `val` (losses in nats per character, as the
    trainer reports them); `unit` is "nats" or "bits". With `vocab_size`, a dotted line shows the
    loss of guessing uniformly among the characters, the score of an untrained model.
    """
    if unit not in ("nats", "bits"):
        raise ValueError(f"unit must be 'nats' or 'bits', not {unit!r}")
    scale = NATS_TO_BITS if unit == "bits" else 1.0
    unit_name = _(UNIT_NAMES[unit])
    steps = np.asarray(history.steps, dtype=np.int64)
    train = np.asarray(history.train, dtype=np.float64) * scale
    val_steps = np.asarray(history.val_steps, dtype=np.int64)
    val = np.asarray(history.val, dtype=np.float64) * scale

    traces, shapes, annotations = [], [], []
    if steps.size:
        raw_x, raw_y = _decimate(steps, train, MAX_RAW_POINTS)
        traces.append(dict(type="scatter", x=raw_x, y=raw_y, mode="lines", name=_("training loss (each step)"),
                           line=dict(color=RAW_COLOR, width=1), hoverinfo="skip"))
        sm_x, sm_y = _decimate(steps, smooth(train), MAX_RAW_POINTS)
        traces.append(dict(type="scatter", x=sm_x, y=sm_y, mode="lines", name=_("training loss (smoothed)"),
                           line=dict(color=SMOOTH_COLOR, width=3),
                           hovertemplate=_("step %{{x:,}}<br>training %{{y:.3f}} {unit}").format(unit=unit_name)
                           + "<extra></extra>"))
    if val_steps.size:
        traces.append(dict(type="scatter", x=val_steps, y=val, mode="lines+markers",
                           name=_("validation loss (held-out text)"),
                           line=dict(color=VAL_COLOR, width=2.5), marker=dict(size=9),
                           hovertemplate=_("step %{{x:,}}<br>validation %{{y:.3f}} {unit}").format(unit=unit_name)
                           + "<extra></extra>"))
    if vocab_size and vocab_size > 1:
        guess = chance_loss(vocab_size) * scale
        shapes.append(across(guess, dict(color=GUESS_COLOR, width=1.5, dash="dot")))
        annotations.append(dict(text=_("random guessing ({value:.2f})").format(value=guess), showarrow=False,
                                xref="x domain", x=1, xanchor="right", yref="y", y=guess, yanchor="bottom",
                                font=dict(color=GUESS_COLOR, size=14)))
    finite = np.concatenate([train[np.isfinite(train)], val[np.isfinite(val)]])
    y_range = None
    if finite.size:
        top = float(np.percentile(finite, 99.5)) if finite.size > 20 else float(finite.max())
        if vocab_size and vocab_size > 1:
            top = max(top, chance_loss(vocab_size) * scale)
        y_range = [max(0.0, float(finite.min()) * 0.9), top * 1.06]
    x_range = None
    if not steps.size:
        annotations.append(dict(text=_("The curve appears after the first training steps."), showarrow=False,
                                xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=15, color=GUESS_COLOR)))
        x_range, y_range = [0, 100], [0, 5 * scale]
    # White with light grid lines, as Plotly's "plotly_white" template draws it; naming the template
    # instead copied and checked all of it on every draw (22 ms, once a second per training tab).
    grid = dict(gridcolor=GRID_COLOR, linecolor=GRID_COLOR, zerolinecolor=GRID_COLOR, zerolinewidth=2)
    # One declaration, checked by Plotly once (see ui.figures.shapes).
    return go.Figure(data=traces, layout=dict(
        height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white", paper_bgcolor="white",
        font=dict(size=14), hovermode="x unified" if steps.size else "closest", shapes=shapes,
        annotations=annotations,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0, font=dict(size=14)),
        xaxis=dict(title=dict(text=_("training step")), rangemode="tozero", range=x_range, **grid),
        yaxis=dict(title=dict(text=_("loss ({unit} per character)").format(unit=unit_name)), range=y_range, **grid),
    ))
