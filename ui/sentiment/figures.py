"""Pictures for the Sentiment page: verdict cards, the word-by-word trajectory, word importance,
accuracy per domain, the confusion matrix, and the training curves.

Pure functions returning Plotly figures or HTML strings; no Streamlit. The HTML is shown with
``st.html`` (DOMPurify-sanitised), so it uses inline styles and ``title`` tooltips only, and every
piece of text that came from a person goes through ``html.escape`` (attributes included).

Colours (Okabe–Ito, safe for the common colour-vision deficiencies and on a projector): positive
is blue, negative vermillion, VADER grey.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lstm_core.i18n import _, ngettext

from ui.figures.shapes import across, band
from ui.figures.gates import FONT_FAMILY, INK, MONO_FAMILY, UNKNOWN_OUTLINE, colour_of
from ui.figures.smoothing import smooth

POSITIVE = "#0072B2"
NEGATIVE = "#D55E00"
POSITIVE_RGB = (0, 114, 178)
NEGATIVE_RGB = (213, 94, 0)
VADER_COLOUR = "#8C8C8C"
UNDECIDED = "#6B6B6B"
ARCH_COLOURS = {"rnn": "#E69F00", "lstm": "#0072B2", "gru": "#009E73", "lstm2": "#56B4E9", "bilstm": "#CC79A7"}
_LAYOUT = dict(font=dict(family=FONT_FAMILY, size=15, color=INK), plot_bgcolor="#FFF", paper_bgcolor="#FFF")
VAL_MARKER = dict(size=10, symbol="diamond")
SPAN = 25  # steps of the loss and accuracy trend: a classifier's run is a few hundred steps


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def pct(p: float) -> str:
    return f"{100 * float(p):.0f}%"


def side_colour(p: float) -> str:
    return POSITIVE if p >= 0.5 else NEGATIVE


# ---------------------------------------------------------------- verdict cards


def verdict_html(title: str, verdict: str, detail: str, colour: str, *, note: str = "") -> str:
    """A card: a small title, the verdict in large coloured letters, one line of detail."""
    extra = (f'<div style="margin-top:6px;font-size:14px;color:#444">{_esc(note)}</div>' if note else "")
    return (f'<div class="sentiment-card" style="font-family:{FONT_FAMILY};border:1px solid #DDD;'
            f'border-left:8px solid {colour};border-radius:8px;padding:10px 14px;background:#FFF;min-height:96px">'
            f'<div style="font-size:14px;color:#555;text-transform:uppercase;letter-spacing:0.04em">{_esc(title)}</div>'
            f'<div style="font-size:30px;font-weight:700;color:{colour};line-height:1.25">{_esc(verdict)}</div>'
            f'<div style="font-size:16px;color:{INK}">{_esc(detail)}</div>{extra}</div>')


def side_name(label: str) -> str:
    """ "positive" / "negative" (the verdicts' keys) in the reader's words."""
    return {"positive": _("positive"), "negative": _("negative")}.get(label, label)


def vader_title() -> str:
    return _("VADER (word list)")


def lstm_card(prob: float | None, status: str = "ok", name: str = "LSTM") -> str:
    if prob is None:
        return verdict_html(name, "—", _("Type a review to classify it."), UNDECIDED)
    label = side_name("positive" if prob >= 0.5 else "negative")
    if status == "unknown-only":
        return verdict_html(name, _("no verdict"), _("It knows none of these words (it outputs {percent}).").format(
            percent=pct(prob)), UNDECIDED)
    return verdict_html(name, label, _("probability of positive {p:.2f} ({percent} sure)").format(
        p=prob, percent=pct(max(prob, 1 - prob))), side_colour(prob))


def vader_card(compound: float | None, unavailable: str | None = None) -> str:
    if unavailable:
        return verdict_html(vader_title(), _("unavailable"), unavailable, UNDECIDED)
    if compound is None:
        return verdict_html(vader_title(), "—", _("Type a review to classify it."), UNDECIDED)
    if compound == 0:
        return verdict_html(vader_title(), _("no opinion"), _("compound 0.00: none of its sentiment words"),
                            UNDECIDED)
    label = side_name("positive" if compound > 0 else "negative")
    score = f"{compound:+.2f}".replace("-", "−")
    return verdict_html(vader_title(), label, _("compound score {score} (−1 … +1)").format(score=score),
                        POSITIVE if compound > 0 else NEGATIVE)


def comparison(label: str | None, compound: float | None) -> tuple[str, str] | None:
    """The one sentence comparing the LSTM's verdict (`label`: None when it gives none) with VADER's
    (`compound`: None when it has none), and its kind ("success", "warning" or "info"); None when
    neither has anything to say. "Agree" only when both gave a verdict and they match."""
    if compound is None:
        return None
    vader = "no opinion" if compound == 0 else "positive" if compound > 0 else "negative"
    if label is None:
        if compound == 0:
            return None
        return ("info", _("Only VADER gives a verdict here ({vader}): it scores the symbols it has ratings for, such "
                          "as emoji, while the LSTM knows none of these words.").format(vader=side_name(vader)))
    if compound == 0:
        return ("info", _("VADER finds none of its sentiment words here, so it has no opinion; the LSTM says "
                          "{label}, from the words and their order it learned from the reviews.").format(
            label=side_name(label)))
    if vader == label:
        return ("success", _("The LSTM and VADER agree: {label}.").format(label=side_name(label)))
    return ("warning", _("They disagree: the LSTM says {label}, VADER says {vader}. VADER adds up the ratings of the "
                         "words it knows, with a few rules (such as “not” before a word); the LSTM learned from "
                         "labelled reviews how words combine in order. Which one is right here?").format(
        label=side_name(label), vader=side_name(vader)))


# ---------------------------------------------------------------- trajectory


def trajectory_figure(words: Sequence[str], probs: Sequence[float], *, start: float | None = None,
                      unknown: Sequence[int] = (), kind: str = "reading", height: int = 330) -> go.Figure:
    """P(positive) after each word, as the classifier reads left to right.

    `start` is the output before any word (the zero state), drawn at "(start)". Points are blue above
    0.5, vermillion below; the dashed line at 0.5 is where the verdict changes; unknown words are
    drawn as open circles. `kind` "prefix" (a bidirectional model) changes the hover text.
    """
    words = [str(w) for w in words]
    p = np.asarray(probs, dtype=float).reshape(-1)
    if len(words) != len(p):
        raise ValueError(f"{len(words)} words but {len(p)} probabilities")
    unknown = set(int(u) for u in unknown)
    x = list(range(len(words)))
    labels = list(words)
    if start is not None:
        x = [-1, *x]
        labels = [_("(start)"), *labels]
        p_all = np.r_[float(start), p]
    else:
        p_all = p
    what = _("if the review ended here: “{word}”") if kind == "prefix" else _("after reading “{word}”")
    hover = [what.format(word=_esc(w)) if i >= 0 else _("before reading any word") for i, w in zip(x, labels)]
    symbols = ["circle-open" if (i in unknown) else "circle" for i in x]
    traces = [
        dict(type="scatter", x=x, y=p_all, mode="lines", line=dict(color="#9AA0A6", width=2.5), hoverinfo="skip",
             showlegend=False),
        dict(type="scatter", x=x, y=p_all, mode="markers", showlegend=False, customdata=hover,
             marker=dict(size=11 if len(x) <= 60 else 7, color=[side_colour(v) for v in p_all], symbol=symbols,
                         line=dict(color="#FFF", width=1)),
             hovertemplate="%{customdata}<br>" + _("P(positive)") + " = %{y:.2f}<extra></extra>"),
    ]
    # The two halves tinted, and the line where the verdict changes.
    shapes = [band(0.5, 1.0, POSITIVE, 0.06), band(0.0, 0.5, NEGATIVE, 0.06),
              across(0.5, dict(color=UNDECIDED, dash="dash", width=1.5))]
    sides = [dict(x=1.01, xref="paper", y=y, yref="y", text=text, showarrow=False, xanchor="left",
                  font=dict(color=colour, size=14))
             for y, text, colour in ((0.9, _("positive"), POSITIVE), (0.1, _("negative"), NEGATIVE))]
    step = max(1, int(np.ceil(len(x) / 45)))
    font = 15 if len(x) <= 16 else 13 if len(x) <= 30 else 11
    return go.Figure(data=traces, layout=dict(  # one declaration, checked once (see figure_shapes)
        height=height, margin=dict(l=10, r=75, t=20, b=10), **_LAYOUT, shapes=shapes, annotations=sides,
        xaxis=dict(tickmode="array", tickvals=x[::step], ticktext=[_esc(w) for w in labels[::step]],
                   tickangle=0 if sum(len(w) + 2 for w in labels) <= 48 else -45,
                   tickfont=dict(family=MONO_FAMILY, size=font),
                   showgrid=False, range=[x[0] - 0.5, x[-1] + 0.5] if x else None),
        yaxis=dict(range=[0, 1], tickvals=[0, 0.25, 0.5, 0.75, 1], tickformat=".2f", gridcolor="#EEE",
                   title=dict(text=_("P(positive)"), font=dict(size=15))),
    ))


# ---------------------------------------------------------------- word importance


def _blend(rgb: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    t = min(max(float(t), 0.0), 1.0)
    return tuple(int(round(255 + (c - 255) * t)) for c in rgb)


def importance_scale(importance: Sequence[float]) -> float:
    """The |change| that gets the strongest colour: the largest one, at least 0.15 (so that changes of a
    few hundredths, which hardly matter, stay pale)."""
    a = np.abs(np.asarray(importance, dtype=float))
    return max(0.15, float(a.max())) if a.size and np.isfinite(a).all() else 0.15


def importance_html(words: Sequence[str], importance: Sequence[float], *, full: float,
                    unknown: Sequence[int] = (), scale: float | None = None, font_px: int = 20) -> str:
    """The review with each word highlighted by how much it moved the verdict (occlusion).

    importance[t] = P(positive) with every word minus P(positive) without word t: blue when the
    word pushed towards positive, vermillion towards negative, white when it hardly mattered.
    Hover a word for the numbers. Words the model never saw get a dashed purple outline.
    """
    imp = np.asarray(importance, dtype=float).reshape(-1)
    if len(imp) != len(words):
        raise ValueError(f"{len(words)} words but {len(imp)} importances")
    scale = scale or importance_scale(imp)
    unknown = set(int(u) for u in unknown)
    parts = []
    for t, (word, d) in enumerate(zip(words, imp)):
        rgb = _blend(POSITIVE_RGB if d >= 0 else NEGATIVE_RGB, abs(d) / scale * 0.85)
        lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
        ink = "#FFFFFF" if lum < 140 else INK
        style = [f"background:rgb{rgb}", f"color:{ink}", "padding:2px 5px", "margin:2px 1px",
                 "border-radius:4px", "display:inline-block"]
        if t in unknown:
            style.append(f"outline:2px dashed {UNKNOWN_OUTLINE};outline-offset:-2px")
        without = full - d
        if d > 0:
            way = _("it pushes {change:.2f} towards positive")
        elif d < 0:
            way = _("it pushes {change:.2f} towards negative")
        else:
            way = _("it pushes {change:.2f} neither way")
        tip = _("“{word}”: without it P(positive) would be {without:.2f} instead of {full:.2f}; {push}").format(
            word=word, without=without, full=full, push=way.format(change=abs(d)))
        if t in unknown:
            tip += _(" (a word the model never saw: read as “unknown”)")
        parts.append(f'<span data-pos="{t}" style="{";".join(style)}" title="{_esc(tip)}">{_esc(word)}</span>')
    return (f'<div class="sentiment-importance" style="font-family:{FONT_FAMILY};font-size:{font_px}px;'
            f'line-height:1.9;color:{INK};padding:8px 10px;border:1px solid #DDD;border-radius:6px;background:#FFF;'
            f'max-height:320px;overflow-y:auto;word-break:break-word">{" ".join(parts)}</div>')


def importance_legend_html(scale: float) -> str:
    stops = ", ".join(f"rgb{_blend(NEGATIVE_RGB, t * 0.85)}" for t in (1, 0.5, 0)) + ", " + \
        ", ".join(f"rgb{_blend(POSITIVE_RGB, t * 0.85)}" for t in (0.5, 1))
    negative, positive = _esc(_("negative")), _esc(_("positive"))
    left = _esc(_("pushes towards {side}")).format(side=f'<b style="color:{NEGATIVE}">{negative}</b>')
    right = _esc(_("towards {side}")).format(side=f'<b style="color:{POSITIVE}">{positive}</b>')
    word, unseen = _esc(_("word")), _esc(_("never seen in training"))
    return (f'<div style="font-family:{FONT_FAMILY};font-size:15px;color:{INK};display:flex;align-items:center;'
            f'flex-wrap:wrap;gap:8px;margin:4px 0">'
            f'<span>{left} (−{scale:.2f})</span>'
            f'<span style="display:inline-block;width:180px;height:14px;border:1px solid #999;'
            f'background:linear-gradient(to right, {stops})"></span>'
            f'<span>(+{scale:.2f}) {right}</span>'
            f'<span style="margin-left:14px;outline:2px dashed {UNKNOWN_OUTLINE};outline-offset:-1px;padding:0 4px">'
            f'{word}</span><span>{unseen}</span></div>')


def unit_words_html(words: Sequence[str], values: Sequence[float], lo: float, hi: float, *,
                    tooltips: Sequence[str] | None = None, font_px: int = 19) -> str:
    """The review with each word coloured by one unit's value after reading it, on the Gates page's
    blue → white → red scale (ui.figures.gates.colour_of); tooltips are plain text, escaped here."""
    v = np.asarray(values, dtype=float).reshape(-1)
    if len(v) != len(words) or (tooltips is not None and len(tooltips) != len(words)):
        raise ValueError("one value (and one tooltip) per word")
    parts = []
    for t, (word, value) in enumerate(zip(words, v)):
        rgb = colour_of(value, lo, hi)
        lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
        title = f' title="{_esc(tooltips[t])}"' if tooltips is not None else ""
        ink = "#FFFFFF" if lum < 140 else INK
        parts.append(f'<span data-pos="{t}" style="background:rgb{rgb};color:{ink};padding:2px 5px;margin:2px 1px;'
                     f'border-radius:4px;display:inline-block"{title}>{_esc(word)}</span>')
    return (f'<div class="gates-text" style="font-family:{MONO_FAMILY};font-size:{font_px}px;line-height:1.9;'
            f'color:{INK};padding:8px 10px;border:1px solid #DDD;border-radius:6px;background:#FFF;max-height:320px;'
            f'overflow-y:auto;word-break:break-word">{" ".join(parts)}</div>')


# ---------------------------------------------------------------- accuracy


def accuracy_figure(domains: Sequence[str], model: Sequence[float], vader: Sequence[float] | None = None, *,
                    counts: Sequence[int] | None = None, model_name: str = "LSTM", height: int = 320) -> go.Figure:
    """Test accuracy per domain: the classifier's bars next to VADER's."""
    reviews = [("<br><span style='font-size:14px'>" + _esc(ngettext("{n:,} review", "{n:,} reviews", n).format(n=n))
                + "</span>") if counts else "" for n in (counts or [0] * len(domains))]
    labels = [_esc(d) + r for d, r in zip(domains, reviews)]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=list(model), name=_esc(model_name), marker_color=POSITIVE,
                         text=[pct(v) for v in model], textposition="outside",
                         hovertemplate="%{x}<br>" + _esc(model_name) + ": %{y:.1%}<extra></extra>"))
    if vader is not None:
        fig.add_trace(go.Bar(x=labels, y=list(vader), name=_esc(vader_title()), marker_color=VADER_COLOUR,
                             text=[pct(v) for v in vader], textposition="outside",
                             hovertemplate="%{x}<br>VADER: %{y:.1%}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), barmode="group", **_LAYOUT,
                      yaxis=dict(range=[0, 1.12], tickformat=".0%", gridcolor="#EEE", title=_("test accuracy")),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    fig.add_hline(y=0.5, line=dict(color="#BBB", dash="dot", width=1))
    return fig


def confusion_figure(confusion: Sequence[Sequence[int]], height: int = 300) -> go.Figure:
    """2 × 2: rows the truth (negative, positive), columns the verdict; counts, and each count's share of
    its row (e.g. of the truly negative reviews, the share called negative)."""
    m = np.asarray(confusion, dtype=float)
    if m.shape != (2, 2):
        raise ValueError("the confusion matrix must be 2 × 2")
    rows = m.sum(axis=1, keepdims=True)
    share = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    text = [[f"<b>{int(m[i, j]):,}</b><br>{share[i, j]:.0%}" for j in range(2)] for i in range(2)]
    correct = np.array([[1, 0], [0, 1]])
    z = np.where(correct == 1, share, -share)
    fig = go.Figure(go.Heatmap(
        z=z, x=[_("said negative"), _("said positive")], y=[_("truly negative"), _("truly positive")], text=text,
        texttemplate="%{text}", textfont=dict(size=18), zmin=-1, zmax=1, showscale=False,
        colorscale=[[0, "rgb(213,94,0)"], [0.5, "rgb(255,255,255)"], [1, "rgb(0,114,178)"]],
        hovertemplate="%{y}, %{x}: %{text}<extra></extra>", xgap=3, ygap=3))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), **_LAYOUT,
                      yaxis=dict(autorange="reversed"), xaxis=dict(side="top"))
    return fig


# ---------------------------------------------------------------- training curves


def training_figure(runs: Sequence[Mapping], height: int = 340) -> go.Figure:
    """Loss (left) and accuracy (right) against the step, for one run or several (a comparison).

    Each run is a mapping with name, arch, steps, loss, accuracy (per step, training batches) and
    epochs (each with step, val_acc, val_loss). Training curves are smoothed; validation is one
    marker per epoch (dashed)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_("loss (lower is better)"), _("accuracy")),
                        horizontal_spacing=0.09)
    for run in runs:
        colour = ARCH_COLOURS.get(run.get("arch", ""), POSITIVE)
        name = _esc(run.get("name", _("model")))
        steps = list(run.get("steps", ()))
        if steps:
            fig.add_trace(go.Scatter(x=steps, y=smooth(run["loss"], SPAN), mode="lines", line=dict(color=colour, width=2.5),
                                     name=_("{name}: training").format(name=name), legendgroup=name,
                                     hovertemplate=_("step %{x}<br>training loss %{y:.3f}") + "<extra>" + name +
                                                   "</extra>"), row=1, col=1)
            fig.add_trace(go.Scatter(x=steps, y=smooth(run["accuracy"], SPAN), mode="lines",
                                     line=dict(color=colour, width=2.5), showlegend=False, legendgroup=name,
                                     hovertemplate=_("step %{x}<br>training accuracy %{y:.1%}") + "<extra>" + name +
                                                   "</extra>"), row=1, col=2)
        epochs = list(run.get("epochs", ()))
        if epochs:
            ex = [e["step"] for e in epochs]
            fig.add_trace(go.Scatter(x=ex, y=[e["val_loss"] for e in epochs], mode="lines+markers",
                                     line=dict(color=colour, dash="dash", width=2), marker=VAL_MARKER,
                                     name=_("{name}: validation").format(name=name), legendgroup=name,
                                     hovertemplate=_("epoch end, step %{x}<br>validation loss %{y:.3f}") + "<extra>" +
                                                   name + "</extra>"), row=1, col=1)
            fig.add_trace(go.Scatter(x=ex, y=[e["val_acc"] for e in epochs], mode="lines+markers",
                                     line=dict(color=colour, dash="dash", width=2), marker=VAL_MARKER,
                                     showlegend=False, legendgroup=name,
                                     hovertemplate=_("epoch end, step %{x}<br>validation accuracy %{y:.1%}") +
                                                   "<extra>" + name + "</extra>"), row=1, col=2)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), **_LAYOUT,
                      legend=dict(orientation="h", yanchor="top", y=-0.18, x=0, font=dict(size=14)))
    fig.update_xaxes(title_text=_("training step"), gridcolor="#EEE", title_font=dict(size=14))
    fig.update_yaxes(gridcolor="#EEE", row=1, col=1, rangemode="tozero")
    fig.update_yaxes(gridcolor="#EEE", row=1, col=2, tickformat=".0%", range=[0.4, 1.0])
    fig.update_annotations(font=dict(size=15))
    return fig


def comparison_figure(domains: Sequence[str], results: Sequence[tuple[str, str, Sequence[float]]],
                      vader: Sequence[float] | None = None, height: int = 340) -> go.Figure:
    """Test accuracy per domain for several architectures (name, arch key, accuracies), and VADER."""
    fig = go.Figure()
    for name, arch, acc in results:
        fig.add_trace(go.Bar(x=[_esc(d) for d in domains], y=list(acc), name=_esc(name),
                             marker_color=ARCH_COLOURS.get(arch, POSITIVE), text=[pct(v) for v in acc],
                             textposition="outside",
                             hovertemplate="%{x}<br>" + _esc(name) + ": %{y:.1%}<extra></extra>"))
    if vader is not None:
        fig.add_trace(go.Bar(x=[_esc(d) for d in domains], y=list(vader), name=_esc(vader_title()),
                             marker_color=VADER_COLOUR, text=[pct(v) for v in vader], textposition="outside",
                             hovertemplate="%{x}<br>VADER: %{y:.1%}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), barmode="group", **_LAYOUT,
                      yaxis=dict(range=[0, 1.12], tickformat=".0%", gridcolor="#EEE", title=_("test accuracy")),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return fig
