"""Pictures for the Gates page: coloured text, units × characters heat map, gate saturation, unit ranking.

Pure functions returning Plotly figures or HTML strings; no Streamlit. The HTML is shown with
``st.html`` (DOMPurify-sanitised), so it uses inline styles and ``title`` tooltips only, and every
piece of text that came from a person goes through ``html.escape`` (attributes included).

One colour scale serves every view: blue (low) → white → red (high), on a fixed range per quantity
(gates 0..1, tanh quantities −1..1, the cell state ± its largest magnitude) so that colours mean
the same thing from unit to unit and from text to text.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from lstm_core.i18n import N_, _

from ui.figures.cell_diagram import GATE_COLOURS, GRU_COLOURS

# Diverging scale (ColorBrewer RdBu ends), white in the middle.
LOW_RGB = (33, 102, 172)
MID_RGB = (255, 255, 255)
HIGH_RGB = (178, 24, 43)
COLORSCALE = [[0.0, "rgb(33,102,172)"], [0.5, "rgb(255,255,255)"], [1.0, "rgb(178,24,43)"]]
INK = "#1A1A1A"
UNKNOWN_OUTLINE = "#7B2CBF"  # characters the model never saw: a dashed purple outline
PATTERN_MARK = "#1A1A1A"  # pattern positions: a thick underline
FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
MONO_FAMILY = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace"

NEWLINE_GLYPH = "\u23ce"  # ⏎
SPACE_GLYPH = "\u2423"  # ␣
TAB_GLYPH = "\u21e5"  # ⇥

# What each quantity is called on the page, per cell kind; keys are trace quantities, plus "tanh_c".
# English, marked for the catalog: the page shows them through _() ("tanh(c)" is a formula, the same
# in every language).
QUANTITY_LABELS: dict[str, dict[str, str]] = {
    "lstm": {"f": N_("forget gate f"), "i": N_("input gate i"), "g": N_("candidate g"), "o": N_("output gate o"),
             "c": N_("cell state c"), "tanh_c": "tanh(c)", "h": N_("hidden state h")},
    "gru": {"z": N_("update gate z"), "r": N_("reset gate r"), "hh": N_("candidate h̃"), "h": N_("hidden state h")},
    "rnn": {"h": N_("hidden state h")},
}
# Short names for buttons; the long label says what it is. Shown through _() too.
QUANTITY_SHORT = {"f": N_("forget f"), "i": N_("input i"), "g": N_("candidate g"), "o": N_("output o"),
                  "c": N_("cell c"), "tanh_c": "tanh(c)", "h": N_("hidden h"), "z": N_("update z"),
                  "r": N_("reset r"), "hh": N_("candidate h̃")}
QUANTITY_SYMBOLS = {"f": "f", "i": "i", "g": "g", "o": "o", "c": "c", "tanh_c": "tanh(c)", "h": "h",
                    "z": "z", "r": "r", "hh": "h̃"}
GATES_OF = {"lstm": ("i", "f", "o"), "gru": ("z", "r"), "rnn": ()}
_SIGMOID = {"i", "f", "o", "z", "r"}
_TANH = {"g", "tanh_c", "h", "hh"}


# ---------------------------------------------------------------- scales and glyphs


def value_range(quantity: str, values: np.ndarray | None = None) -> tuple[float, float]:
    """The colour scale's (low, high) for a quantity: gates 0..1, tanh quantities −1..1, the cell
    state symmetric by the largest magnitude in `values` (at least 0.01, so a flat unit stays white)."""
    if quantity in _SIGMOID:
        return 0.0, 1.0
    if quantity in _TANH:
        return -1.0, 1.0
    if values is None or np.size(values) == 0:
        return -1.0, 1.0
    m = float(np.nanmax(np.abs(values)))
    m = max(m, 0.01) if np.isfinite(m) else 1.0
    return -m, m


def colour_of(value: float, lo: float, hi: float) -> tuple[int, int, int]:
    """RGB of `value` on the blue → white → red scale from lo to hi (clipped)."""
    x = 0.5 if hi <= lo else (float(value) - lo) / (hi - lo)
    x = min(max(x, 0.0), 1.0) if np.isfinite(x) else 0.5
    if x < 0.5:
        a, b, t = LOW_RGB, MID_RGB, x / 0.5
    else:
        a, b, t = MID_RGB, HIGH_RGB, (x - 0.5) / 0.5
    return tuple(int(round(a[k] + (b[k] - a[k]) * t)) for k in range(3))


def _ink_on(rgb: tuple[int, int, int]) -> str:
    """White text on a dark background, near-black otherwise (relative luminance)."""
    lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    return "#FFFFFF" if lum < 140 else INK


def glyph(char: str) -> str:
    """A visible stand-in for whitespace: ⏎ for a newline, ␣ for a space, ⇥ for a tab."""
    if char == "\n":
        return NEWLINE_GLYPH
    if char == " ":
        return SPACE_GLYPH
    if char == "\t":
        return TAB_GLYPH
    if char == "\r":
        return "\u240d"
    return char


def fmt(value: float) -> str:
    """3 decimals with a true minus sign."""
    return f"{float(value):+.3f}".replace("-", "\u2212")


# ---------------------------------------------------------------- next-character guesses


def top_guesses(probs: np.ndarray, char_of, k: int = 5) -> list[list[tuple[str, float]]]:
    """For every position, the model's k most likely next characters with their probabilities."""
    p = np.asarray(probs)
    if p.ndim != 2 or p.shape[0] == 0:
        return []
    k = min(k, p.shape[1])
    part = np.argpartition(-p, k - 1, axis=1)[:, :k]
    rows = np.arange(p.shape[0])[:, None]
    order = np.argsort(-p[rows, part], axis=1)
    best = part[rows, order]
    chars = {int(i): char_of(int(i)) for i in np.unique(best)}
    return [[(chars[int(i)], float(p[t, i])) for i in best[t]] for t in range(p.shape[0])]


def tooltip(char: str, position: int, quantity_label: str, unit: int, value: float,
            guesses: Sequence[tuple[str, float]] = (), unknown: bool = False) -> str:
    """The plain text of one character's tooltip (not yet escaped)."""
    lines = [_("“{char}” at position {position}").format(char=glyph(char), position=position),
             _("unit {unit} · {label} = {value}").format(unit=unit, label=quantity_label, value=fmt(value))]
    if unknown:
        lines.append(_("not in the model's vocabulary (read as “unknown”)"))
    if guesses:
        lines.append(_("next-character guesses:"))
        lines.extend(f"  {glyph(c)}  {100 * p:5.1f}%" for c, p in guesses)
    return "\n".join(lines)


# ---------------------------------------------------------------- coloured text


def colored_text_html(text: str, values: Sequence[float], lo: float, hi: float, *,
                      tooltips: Sequence[str] | None = None, unknown_positions: Sequence[int] = (),
                      underline: Sequence[bool] | None = None, font_px: int = 17) -> str:
    """The text with each character's background coloured by `values[t]` (Karpathy et al. 2015).

    Newlines are kept (a small ⏎ coloured by the newline's value, then a line break); spaces are
    coloured blocks. Characters at `unknown_positions` get a dashed purple outline, positions where
    `underline` is True a thick underline. `tooltips[t]` (plain text) shows on hover. All text is
    HTML-escaped, tooltips included.
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(values) != len(text):
        raise ValueError(f"{len(text)} characters but {len(values)} values")
    if tooltips is not None and len(tooltips) != len(text):
        raise ValueError(f"{len(text)} characters but {len(tooltips)} tooltips")
    if underline is not None and len(underline) != len(text):
        raise ValueError(f"{len(text)} characters but {len(underline)} pattern marks")
    unknown = set(int(p) for p in unknown_positions)
    parts = []
    for t, ch in enumerate(text):
        rgb = colour_of(values[t], lo, hi)
        style = [f"background:rgb({rgb[0]},{rgb[1]},{rgb[2]})", f"color:{_ink_on(rgb)}"]
        if t in unknown:
            style.append(f"outline:2px dashed {UNKNOWN_OUTLINE};outline-offset:-1px")
        if underline is not None and underline[t]:
            style.append(f"box-shadow:inset 0 -4px 0 {PATTERN_MARK}")
        if ch == "\n":
            shown = f'<span style="opacity:0.55;font-size:0.8em">{NEWLINE_GLYPH}</span>'
        elif ch == "\t":
            shown = "    "
        else:
            shown = html.escape(ch)
        title = f' title="{html.escape(tooltips[t], quote=True)}"' if tooltips is not None else ""
        parts.append(f'<span data-pos="{t}" style="{";".join(style)}"{title}>{shown}</span>')
        if ch == "\n":
            parts.append("\n")
    body = "".join(parts)
    return (f'<div class="gates-text" style="font-family:{MONO_FAMILY};font-size:{font_px}px;line-height:1.55;'
            f'white-space:pre-wrap;word-break:break-word;color:{INK};padding:10px 12px;border:1px solid #DDD;'
            f'border-radius:6px;background:#FFF;max-height:460px;overflow-y:auto">{body}</div>')


NOT_IN_VOCABULARY = N_("not in the model's vocabulary")
IN_THE_PATTERN = N_("in the pattern")


def legend_html(lo: float, hi: float, label: str, *, pattern: bool = False, unknown: bool = False) -> str:
    """A colour bar from lo to hi with its label, plus keys for the outline and underline marks."""
    mid = (lo + hi) / 2
    stops = ", ".join(f"rgb{colour_of(v, lo, hi)}" for v in np.linspace(lo, hi, 9))
    keys = []
    if unknown:
        keys.append(f'<span style="outline:2px dashed {UNKNOWN_OUTLINE};outline-offset:-1px;padding:0 4px">'
                    f'x</span> {html.escape(_(NOT_IN_VOCABULARY))}')
    if pattern:
        keys.append(f'<span style="box-shadow:inset 0 -4px 0 {PATTERN_MARK};padding:0 4px">x</span> '
                    f'{html.escape(_(IN_THE_PATTERN))}')
    extra = "".join(f'<span style="margin-left:18px">{k}</span>' for k in keys)
    named = html.escape(_("{label}:").format(label=label))
    white = html.escape(_("(white = {value})").format(value=fmt(mid)))
    return (f'<div style="font-family:{FONT_FAMILY};font-size:15px;color:{INK};display:flex;align-items:center;'
            f'flex-wrap:wrap;gap:8px;margin:2px 0 4px 0">'
            f'<span>{named}</span>'
            f'<span>{html.escape(fmt(lo))}</span>'
            f'<span style="display:inline-block;width:200px;height:14px;border:1px solid #999;'
            f'background:linear-gradient(to right, {stops})"></span>'
            f'<span>{html.escape(fmt(hi))}</span>'
            f'<span style="color:#555">{white}</span>'
            f'{extra}</div>')


# ---------------------------------------------------------------- heat map


def units_heatmap(values: np.ndarray, chars: str, units: Sequence[int], *, quantity_label: str,
                  lo: float, hi: float, first_position: int = 0, symbol: str = "",
                  highlight: int | None = None, height: int | None = None) -> go.Figure:
    """Units (rows, in the given order, first at the top) × characters (columns) heat map.

    values (T, len(units)) are the chosen units' values over `chars` (the shown window of the text,
    which starts at `first_position` of the whole text). Column labels are the characters (⏎, ␣ for
    newline and space); with more than 120 columns only every k-th is labelled. The row of unit
    `highlight` is labelled "▶ unit k".
    """
    v = np.asarray(values, dtype=np.float64)
    units = [int(u) for u in units]
    if v.ndim != 2 or v.shape != (len(chars), len(units)):
        raise ValueError(f"values must be (characters, units) = ({len(chars)}, {len(units)}), not {v.shape}")
    cols = len(chars)
    x = np.arange(first_position, first_position + cols)
    y = [(_("▶ unit {unit}") if u == highlight else _("unit {unit}")).format(unit=u) for u in units]
    shown = [glyph(c) for c in chars]
    custom = np.empty((len(units), cols), dtype=object)
    where = _("“{char}” (position {position})")
    custom[:] = [where.format(char=s, position=p) for s, p in zip(shown, x)]
    fig = go.Figure(go.Heatmap(
        z=v.T, x=x, y=y, customdata=custom, colorscale=COLORSCALE, zmin=lo, zmax=hi,
        xgap=0, ygap=0,
        colorbar=dict(title=dict(text=html.escape(symbol), side="right"),
                      thickness=14, len=0.9, tickfont=dict(size=14)),
        hovertemplate="%{customdata}<br>%{y}<br>" + html.escape(quantity_label) + " = %{z:.3f}<extra></extra>",
    ))
    step = max(1, int(np.ceil(cols / 120)))
    tickvals = x[::step]
    ticktext = shown[::step]
    font = 15 if cols <= 60 else 13 if cols <= 90 else 11
    rows = len(units)
    if height is None:
        height = int(min(620, max(260, 90 + rows * (16 if rows <= 24 else 12 if rows <= 40 else 8 if rows <= 64 else 4))))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=10, b=10),
        font=dict(family=FONT_FAMILY, size=14, color=INK),
        xaxis=dict(tickmode="array", tickvals=tickvals, ticktext=ticktext, tickangle=0,
                   tickfont=dict(family=MONO_FAMILY, size=font), side="bottom", showgrid=False,
                   title=dict(text=_("character of the text (hover for details)"), font=dict(size=14))),
        yaxis=dict(autorange="reversed", showgrid=False, type="category",
                   tickfont=dict(size=14 if rows <= 40 else 12),
                   nticks=min(rows, 40)),
        plot_bgcolor="#FFF", paper_bgcolor="#FFF",
    )
    return fig


# ---------------------------------------------------------------- gate saturation


def gate_colour(gate: str, cell: str = "lstm") -> str:
    table = GRU_COLOURS if cell == "gru" else GATE_COLOURS
    return table.get(gate, "#555555")


def saturation_figure(fractions: Mapping[str, tuple[np.ndarray, np.ndarray]], *, cell: str = "lstm",
                      labels: Mapping[str, str] | None = None, height: int = 470) -> go.Figure:
    """Karpathy et al. (2015) fig. 3: per unit and gate, the fraction of positions the gate is
    left-saturated (< 0.1, shut) against right-saturated (> 0.9, open).

    fractions: gate -> (left_frac (n,), right_frac (n,)). A dashed diagonal marks left + right = 1
    (a gate saturated at every position); points in the bottom-left corner are gates that mostly
    stay in between.
    """
    labels = labels or {}
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[1, 0], mode="lines", line=dict(color="#999", dash="dash", width=1.5),
                             hoverinfo="skip", showlegend=False))
    for gate, (left, right) in fractions.items():
        left, right = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
        if left.shape != right.shape:
            raise ValueError(f"gate {gate}: left and right fractions differ in shape")
        name = labels.get(gate) or _("gate {gate}").format(gate=gate)
        fig.add_trace(go.Scatter(
            x=left, y=right, mode="markers", name=name,
            marker=dict(color=gate_colour(gate, cell), size=9, opacity=0.75, line=dict(color="#FFF", width=0.6)),
            customdata=np.arange(len(left)),
            hovertemplate=_("{name}, unit {unit}<br>shut (&lt; 0.1): {shut} of characters"
                            "<br>open (&gt; 0.9): {open} of characters")
            .format(name=html.escape(name), unit="%{customdata}", shut="%{x:.0%}", open="%{y:.0%}")
            + "<extra></extra>",
        ))
    axis = dict(range=[-0.02, 1.02], tickformat=".0%", gridcolor="#EEE", zeroline=False, tickfont=dict(size=14),
                constrain="domain")
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=10, b=10),
        font=dict(family=FONT_FAMILY, size=14, color=INK),
        xaxis=dict(axis, title=dict(text=_("left-saturated: shut (< 0.1)"), font=dict(size=14))),
        yaxis=dict(axis, title=dict(text=_("right-saturated: open (> 0.9)"), font=dict(size=14)),
                   scaleanchor="x", scaleratio=1),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, font=dict(size=14)),
        plot_bgcolor="#FFF", paper_bgcolor="#FFF",
    )
    return fig


# ---------------------------------------------------------------- ranking


def ranking_figure(units: Sequence[int], scores: Sequence[float], signs: Sequence[int], *,
                   height: int | None = None) -> go.Figure:
    """Horizontal bars of the best units' separation score (0.5 = chance, 1 = perfect), best at the top;
    red when the unit is higher inside the pattern, blue when it is lower."""
    units = [int(u) for u in units]
    scores = [float(s) for s in scores]
    if len(units) != len(scores) or len(units) != len(signs):
        raise ValueError("units, scores and signs must have the same length")
    colours = [f"rgb{HIGH_RGB}" if s > 0 else f"rgb{LOW_RGB}" if s < 0 else "#999" for s in signs]
    words = [_("higher inside") if s > 0 else _("lower inside") if s < 0 else _("no difference") for s in signs]
    bars = dict(
        type="bar", x=scores, y=[_("unit {unit}").format(unit=u) for u in units], orientation="h",
        marker=dict(color=colours), customdata=words, text=[f"{s:.2f}" for s in scores], textposition="outside",
        hovertemplate="%{y}: %{x:.3f} (%{customdata})<extra></extra>",
    )
    return go.Figure(data=[bars], layout=dict(  # one declaration, checked once (see ui.figures.shapes)
        height=height or max(220, 60 + 30 * len(units)), margin=dict(l=10, r=10, t=10, b=10),
        font=dict(family=FONT_FAMILY, size=14, color=INK),
        xaxis=dict(range=[0.5, 1.04], title=dict(text=_("separation (AUC: 0.5 = chance, 1 = perfect)")),
                   gridcolor="#EEE", tickfont=dict(size=14)),
        yaxis=dict(autorange="reversed", type="category", tickfont=dict(size=14)),
        plot_bgcolor="#FFF", paper_bgcolor="#FFF", showlegend=False,
    ))
