"""Textbook pictures of one recurrent cell (LSTM, GRU, simple RNN) as inline SVG strings.

Pure functions, no Streamlit: pages show the result with ``st.html(...)``. Every figure is drawn on
a fixed canvas (``viewBox``) and scales to its container (``width="100%"``, up to ``width`` pixels),
so the same geometry serves the small picture on Home and the large one on the Anatomy page.

Pass ``values`` (one float per quantity, for one unit) to print the numbers of one actual step on
the wires, e.g. ``f = +0.912``; keys that are missing are simply not drawn, unknown keys are ignored.

The functions return an ``SvgFigure``: a plain ``str`` holding the SVG document, plus the
``_repr_html_`` that ``st.html`` prefers. That matters because st.html sanitises with DOMPurify's
HTML-only profile, which deletes inline <svg> elements outright (Streamlit 1.67); the HTML form is
an <img> carrying the SVG as a data: URI, with the figure's title and description as its alt text.
Elsewhere (st.markdown with unsafe_allow_html, a file, a test) the string is the SVG itself.

Styling uses presentation attributes only (no <style>, no ids, no markers), so several figures can
share one page without colliding. Arrowheads are small polygons drawn at the ends of the wires.
"""

from __future__ import annotations

import base64
import html
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from lstm_core.i18n import _

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and on a projector.
# The two states get the strongest colours (orange memory line, dark blue output); the pale sky blue
# only marks a small box and a short wire. Other figures (gate heat maps, plots) reuse this mapping.
GATE_COLOURS: dict[str, str] = {
    "i": "#56B4E9",  # input gate: sky blue
    "f": "#D55E00",  # forget gate: vermillion
    "g": "#009E73",  # candidate: bluish green
    "o": "#CC79A7",  # output gate: reddish purple
    "c": "#E69F00",  # cell state: orange
    "h": "#0072B2",  # hidden state: blue
}
# The GRU's parts borrow the LSTM colour of the part that plays the same role: z decides how much of
# the old state to keep (like f), h̃ is the new content (like g), and r, like o, filters a state
# before it is used (here the old state, before it enters the candidate).
GRU_COLOURS: dict[str, str] = {
    "z": GATE_COLOURS["f"], "r": GATE_COLOURS["o"], "hh": GATE_COLOURS["g"], "h": GATE_COLOURS["h"],
}
INPUT_COLOUR = "#555555"  # the input x and the merged [h, x] wire: neutral grey
INK = "#1A1A1A"  # all text: near-black on white is the most legible on a projector
FRAME_FILL = "#F4F4F4"  # the cell's background: just enough grey to say "inside one step"

FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
FONT = 17  # labels and numbers, in viewBox units
FONT_SMALL = 16  # words inside boxes, subscripts
FONT_SYMBOL = 20  # σ, tanh, ×, +

# Every figure is 780 units wide (heights differ), so text is the same size in all three. At the
# default 640 px the canvas is scaled by 640/780 and the smallest (16-unit) text is drawn at 13 px.
VIEW_W = 780

# Pieces of a label: a subscript _{...}, a letter with a combining tilde, or plain text.
_TOKEN = re.compile(r"_\{(?P<sub>[^}]*)\}|(?P<base>.)\u0303|(?P<plain>(?:(?!.\u0303|_\{).)+|.)", re.DOTALL)
_SVG_NS = "{http://www.w3.org/2000/svg}"


class SvgFigure(str):
    """An SVG document as a str, which st.html (via _repr_html_) shows as an <img>."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return svg_img_tag(self)


def svg_img_tag(svg: str) -> str:
    """The SVG as an <img> with a data: URI: what survives st.html's sanitiser (see module doc)."""
    root = ET.fromstring(svg)
    alt = " ".join(filter(None, ((root.findtext(f"{_SVG_NS}{tag}") or "").strip() for tag in ("title", "desc"))))
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    style = root.get("style", "")
    return (f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt)}" '
            f'style="width:100%;{html.escape(style)}">')


def format_value(value: float) -> str:
    """3 decimals with an explicit sign and a true minus sign: +0.912, −0.250 (−0.000 shows as 0.000)."""
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+∞" if v > 0 else "−∞"
    text = f"{v:+.3f}"
    if text in ("+0.000", "-0.000"):
        return "0.000"
    return text.replace("-", "−")


def _num(x: float) -> str:
    """Coordinates without float noise (SVG does not need more than 0.1 unit)."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _rich(text: str, size: float) -> str:
    """Escape text for a <text> element, with two bits of notation drawn by hand.

    c_{t−1} puts "t−1" in a subscript. A letter followed by U+0303 (h̃) gets its tilde drawn as a
    raised "˜" over it, since sans-serif fonts place the combining tilde badly over a tall letter.
    Each tspan's dx/dy is relative to where the previous one left off, so every shift is undone.
    """
    out: list[str] = []
    dy_now = 0.0  # current baseline shift
    dx_due = 0.0  # horizontal correction owed to the next piece (after a tilde)

    def put(piece: str, dy: float, attrs: str = "", dx: float = 0.0) -> None:
        nonlocal dy_now, dx_due
        dx += dx_due
        moves = (f' dx="{_num(dx)}"' if dx else "") + (f' dy="{_num(dy - dy_now)}"' if dy != dy_now else "")
        out.append(f"<tspan{moves}{attrs}>{html.escape(piece)}</tspan>" if moves or attrs else html.escape(piece))
        dy_now, dx_due = dy, 0.0

    for m in _TOKEN.finditer(text):
        if m.group("sub") is not None:
            put(m.group("sub"), round(size * 0.3, 1), f' font-size="{_num(FONT_SMALL)}"')
        elif m.group("base"):
            letter, tilde = 0.58 * size, 0.333 * size  # advance widths in Helvetica/Arial
            put(m.group("base"), 0.0)
            put("˜", -round(size * 0.2, 1), dx=-(letter + tilde) / 2)
            dx_due = (letter - tilde) / 2
        else:
            put(m.group("plain"), 0.0)
    return "".join(out)


class _Canvas:
    """Collects SVG elements; the helpers below are the figure's vocabulary (wire, box, op, label)."""

    def __init__(self, height: int) -> None:
        self.height = height
        self.parts: list[str] = []

    # -- wires ---------------------------------------------------------------------------------
    def wire(self, points: Sequence[tuple[float, float]], colour: str, *, width: float = 3,
             arrow: bool = True) -> None:
        """An orthogonal polyline; the arrowhead sits on the last point, pointing along the last leg."""
        pts = [tuple(map(float, p)) for p in points]
        tip = pts[-1]
        if arrow:
            # Stop the stroke inside the arrowhead so its square end cannot poke through the tip.
            (x0, y0), (x1, y1) = pts[-2], pts[-1]
            length = math.hypot(x1 - x0, y1 - y0) or 1.0
            ux, uy = (x1 - x0) / length, (y1 - y0) / length
            pts[-1] = (x1 - ux * 6, y1 - uy * 6)
        d = "M" + " L".join(f"{_num(x)} {_num(y)}" for x, y in pts)
        self.parts.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{_num(width)}" '
                          'stroke-linejoin="round"/>')
        if arrow:
            self._arrowhead(pts[-2], tip, colour, width)

    def _arrowhead(self, start: tuple[float, float], tip: tuple[float, float], colour: str, width: float) -> None:
        (x0, y0), (x1, y1) = start, tip
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        back, half = 11 + width, 5 + width  # scale with the wire so thick wires keep visible heads
        bx, by = x1 - ux * back, y1 - uy * back
        pts = [(x1, y1), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)]
        self.parts.append(f'<polygon points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in pts)}" fill="{colour}"/>')

    def bridge(self, x: float, y: float) -> None:
        """Cut a short gap into a vertical wire already drawn, where a horizontal wire will cross it,
        so the crossing does not read as a junction."""
        self.parts.append(f'<rect x="{_num(x - 4)}" y="{_num(y - 6)}" width="8" height="12" fill="{FRAME_FILL}"/>')

    def junction(self, x: float, y: float, colour: str) -> None:
        """A dot where one wire splits into two (copies of the same value)."""
        self.parts.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="5" fill="{colour}"/>')

    # -- boxes and pointwise operations -----------------------------------------------------------
    def box(self, cx: float, cy: float, colour: str, symbol: str, words: str, *,
            w: float = 94, h: float = 54) -> None:
        """A learnt layer (weights, bias, activation): its activation as the symbol, its role in words."""
        self.parts.append(
            f'<rect x="{_num(cx - w / 2)}" y="{_num(cy - h / 2)}" width="{_num(w)}" height="{_num(h)}" rx="7" '
            f'fill="{_tint(colour)}" stroke="{colour}" stroke-width="3"/>')
        self.text(cx, cy - 4, symbol, size=FONT_SYMBOL, anchor="middle", weight="bold")
        self.text(cx, cy + 17, words, size=FONT_SMALL, anchor="middle")

    def op(self, cx: float, cy: float, symbol: str, colour: str, *, r: float = 15) -> None:
        """A pointwise operation (×, +, 1−): a circle, because it has no weights of its own."""
        self.parts.append(f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" fill="#FFFFFF" '
                          f'stroke="{colour}" stroke-width="3"/>')
        self.text(cx, cy + FONT_SYMBOL * 0.35, symbol, size=FONT_SYMBOL, anchor="middle", weight="bold")

    def pill(self, cx: float, cy: float, symbol: str, colour: str, *, w: float = 58, h: float = 30) -> None:
        """A pointwise function (tanh of the cell state): rounded like an op, wide enough for its name."""
        self.parts.append(f'<rect x="{_num(cx - w / 2)}" y="{_num(cy - h / 2)}" width="{_num(w)}" '
                          f'height="{_num(h)}" rx="{_num(h / 2)}" fill="#FFFFFF" '
                          f'stroke="{colour}" stroke-width="3"/>')
        self.text(cx, cy + FONT * 0.35, symbol, size=FONT, anchor="middle", weight="bold")

    def frame(self, x: float, y: float, w: float, h: float) -> None:
        """The cell's outline: everything inside happens in one time step."""
        self.parts.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" rx="22" '
                          f'fill="{FRAME_FILL}" stroke="#9A9A9A" stroke-width="2"/>')

    # -- text ------------------------------------------------------------------------------------
    def state(self, side: str, y: float, words: str, symbol: str, number: str) -> None:
        """A state wire's label at the figure's edge: words and symbol above the wire, number below."""
        x, anchor = (12, "start") if side == "left" else (VIEW_W - 8, "end")
        self.lines(x, y - 34, [words, symbol], anchor=anchor)
        self.lines(x, y + 27, [number], anchor=anchor)

    def footer(self, x_in: float, x_number: str, formula: str) -> None:
        """The bottom row: the input's label beside its wire, and the update rule at the right.

        (SVG collapses runs of spaces, so the formulas use an em space, U+2003, between equations.)
        """
        self.text(x_in + 10, self.height - 14, _("input x_{t}") + (f" = {x_number}" if x_number else ""))
        self.text(VIEW_W - 8, self.height - 14, formula, anchor="end", colour="#444444")

    def text(self, x: float, y: float, text: str, *, size: float = FONT, anchor: str = "start",
             weight: str | None = None, colour: str = INK) -> None:
        if not text:
            return
        bold = f' font-weight="{weight}"' if weight else ""
        self.parts.append(f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" text-anchor="{anchor}" '
                          f'fill="{colour}"{bold}>{_rich(text, size)}</text>')

    def lines(self, x: float, y: float, rows: Sequence[str], *, anchor: str = "start", step: float = 20) -> None:
        """Several text rows downwards from baseline y (empty rows are skipped, not left blank)."""
        for k, row in enumerate(r for r in rows if r):
            self.text(x, y + k * step, row, anchor=anchor)

    def svg(self, title: str, desc: str, width: int) -> SvgFigure:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {VIEW_W} {self.height}" width="100%" '
                f'style="max-width:{int(width)}px;height:auto;display:block" role="img" '
                f'font-family="{html.escape(FONT_FAMILY)}">')
        # A white card, so the figure also reads on Streamlit's dark theme.
        body = [f'<title>{html.escape(title)}</title>', f'<desc>{html.escape(desc)}</desc>',
                f'<rect x="0" y="0" width="{VIEW_W}" height="{self.height}" fill="#FFFFFF"/>', *self.parts]
        return SvgFigure(head + "".join(body) + "</svg>")


def _tint(colour: str, amount: float = 0.22) -> str:
    """A pale version of a colour for box fills, so black text on it keeps full contrast."""
    r, g, b = (int(colour[k:k + 2], 16) for k in (1, 3, 5))
    mix = [round(255 - (255 - v) * amount) for v in (r, g, b)]
    return "#" + "".join(f"{v:02X}" for v in mix)


def _val(values: Mapping[str, float] | None, key: str) -> str:
    """Just the number ('+0.912') when the value is known, else ''."""
    if not values or values.get(key) is None:
        return ""
    return format_value(values[key])


def _say(values: Mapping[str, float] | None, key: str, name: str) -> str:
    """'f = +0.912' when the value is known, else '' (so nothing is drawn)."""
    number = _val(values, key)
    return f"{name} = {number}" if number else ""


def _named(values: Mapping[str, float] | None, key: str, name: str) -> str:
    """The wire's name, with its number when known: 'f' or 'f = +0.912'."""
    return _say(values, key, name) or name


# ------------------------------------------------------------------------------------------- LSTM

def lstm_cell_svg(values: Mapping[str, float] | None = None, width: int = 640) -> SvgFigure:
    """One LSTM step (Keras convention): c = f·c_prev + i·g, h = o·tanh(c).

    values may hold x, h_prev, c_prev, i, f, g, o, c, h, tanh_c and the pre-activations z_i, z_f,
    z_g, z_o (floats for one unit); each known one is printed on its wire.
    """
    C, v = GATE_COLOURS, values
    cv = _Canvas(440)
    # Rows: the cell-state line, the i·g product, the o wire, the four layers, the merged input wire.
    top, ig, om, row, bus = 92, 182, 196, 262, 352
    # Columns: x_t comes in, the four layers 110 apart (room for "g = −0.462" between two wires),
    # the output column (tanh(c) × o), and the junction where h_t leaves.
    xin, xf, xi, xg, xo, xout, xup = 150, 205, 315, 425, 535, 610, 650
    bh = 27  # half the height of a layer box
    cv.frame(118, 44, 554, 346)

    # Inputs: h_{t-1} from the left and x_t from below join into one wire that feeds every layer.
    cv.wire([(14, bus), (xin, bus)], C["h"], arrow=False)
    cv.wire([(xin, cv.height - 6), (xin, bus)], INPUT_COLOUR, arrow=False)
    cv.wire([(xin, bus), (xo, bus), (xo, row + bh)], INPUT_COLOUR)
    for x in (xf, xi, xg):
        cv.wire([(x, bus), (x, row + bh)], INPUT_COLOUR)
        cv.junction(x, bus, INPUT_COLOUR)
    cv.junction(xin, bus, INPUT_COLOUR)

    # Layer outputs: f goes straight up to the forget ×; i and g meet in a × whose product goes up
    # to the +; o goes up and across to the output ×.
    cv.wire([(xf, row - bh), (xf, top + 15)], C["f"])
    cv.wire([(xi, row - bh), (xi, ig), (xg - 15, ig)], C["i"])
    cv.wire([(xg, row - bh), (xg, ig + 15)], C["g"])
    cv.wire([(xg, ig - 15), (xg, top + 15)], C["g"])
    cv.wire([(xo, row - bh), (xo, om), (xout - 15, om)], C["o"])

    # h_t = o·tanh(c) leaves twice from one junction: up, to the next layer or the prediction, and
    # down and right, to the next time step. Keeping it beside the × leaves the o gap free for text.
    cv.wire([(xout + 15, om), (xup, om)], C["h"], arrow=False)
    cv.wire([(xup, om), (xup, 10)], C["h"])
    cv.wire([(xup, om), (xup, bus), (VIEW_W - 8, bus)], C["h"])
    cv.junction(xup, om, C["h"])

    # The cell-state line crosses the upward h_t wire without joining it: gap, then the line on top.
    cv.bridge(xup, top)
    cv.wire([(14, top), (xf - 15, top)], C["c"], width=5, arrow=False)
    cv.wire([(xf + 15, top), (xg - 15, top)], C["c"], width=5, arrow=False)
    cv.wire([(xg + 15, top), (VIEW_W - 8, top)], C["c"], width=5)
    tanh_y = 140
    cv.wire([(xout, top), (xout, tanh_y - 15)], C["c"])
    cv.junction(xout, top, C["c"])
    cv.pill(xout, tanh_y, "tanh", C["c"])
    cv.wire([(xout, tanh_y + 15), (xout, om - 15)], C["c"])

    cv.op(xf, top, "×", C["f"])
    cv.op(xg, top, "+", C["g"])
    cv.op(xg, ig, "×", C["g"])
    cv.op(xout, om, "×", C["o"])
    cv.box(xf, row, C["f"], "σ", _("forget gate"))
    cv.box(xi, row, C["i"], "σ", _("input gate"))
    cv.box(xg, row, C["g"], "tanh", _("candidate"))
    cv.box(xo, row, C["o"], "σ", _("output gate"))

    # Each wire's name (and number) sits just right of the wire, in a gap no other text uses:
    # f high up beside its long wire, i above its horizontal leg, g and o beside their short legs.
    cv.text(xf + 9, 150, _named(v, "f", "f"), weight="bold")
    cv.text(xi + 8, ig - 9, _named(v, "i", "i"), weight="bold")
    cv.text(xg + 9, 229, _named(v, "g", "g"), weight="bold")
    cv.text(xo + 9, 229, _named(v, "o", "o"), weight="bold")
    cv.text(xout - 37, tanh_y + 6, _val(v, "tanh_c"), anchor="end")
    # Pre-activations (x·W + h·U + b) beside the wires into the layers.
    for x, gate in ((xf, "f"), (xi, "i"), (xg, "g"), (xo, "o")):
        cv.text(x + 8, bus - 30, _say(v, f"z_{gate}", f"z_{{{gate}}}"))

    cv.state("left", top, _("cell state"), "c_{t−1}", _val(v, "c_prev"))
    cv.state("left", bus, _("hidden state"), "h_{t−1}", _val(v, "h_prev"))
    cv.state("right", top, _("cell state"), "c_{t}", _val(v, "c"))
    cv.state("right", bus, _("hidden state"), "h_{t}", _val(v, "h"))
    cv.text(xup + 10, 26, _("output h_{t}"))
    cv.footer(xin, _val(v, "x"), "c_{t} = f·c_{t−1} + i·g,\u2003h_{t} = o·tanh(c_{t})")
    return cv.svg(_("LSTM cell: one time step"),
                  _("The cell state c runs along the top: the forget gate f scales it and the input gate i "
                    "times the candidate g is added. The output gate o times tanh(c) gives the hidden "
                    "state h, which goes to the next step and up to the next layer."), width)


# -------------------------------------------------------------------------------------------- GRU

def gru_cell_svg(values: Mapping[str, float] | None = None, width: int = 640) -> SvgFigure:
    """One GRU step (Keras convention): h = z·h_prev + (1−z)·h̃, with h̃ = tanh(W x + r·(U h_prev + b)).

    values may hold x, h_prev, z, r, hh (the candidate h̃) and h (floats for one unit). The r × on
    the old state stands for Keras' reset_after form, where r scales the old state's contribution.
    """
    C, v = GRU_COLOURS, values
    cv = _Canvas(440)
    # Rows: the hidden-state line, the (1−z) wire, the layers, the merged input wire, x's own wire.
    top, mid, row, bus, xline = 92, 182, 262, 340, 376
    # Columns: h_{t-1} comes down, x_t comes up, z and r layers, r×h, candidate, h_t's upward exit.
    xd, xin, xz, xr, xrh, xc, xup = 140, 165, 215, 325, 470, 565, 650
    bh = 27
    cv.frame(118, 44, 554, 352)

    # Inputs: h_{t-1} runs along the top and also comes down to join x_t; together they feed z and r.
    # The candidate gets x_t on its own wire (from below) and the reset old state (from the left).
    cv.wire([(xd, top), (xd, bus), (xin, bus)], C["h"], arrow=False)
    cv.wire([(xin, cv.height - 6), (xin, bus)], INPUT_COLOUR, arrow=False)
    cv.wire([(xin, bus), (xr, bus), (xr, row + bh)], INPUT_COLOUR)
    cv.wire([(xz, bus), (xz, row + bh)], INPUT_COLOUR)
    cv.wire([(xin, xline), (xc, xline), (xc, row + bh)], INPUT_COLOUR)
    for x, y in ((xin, bus), (xz, bus), (xin, xline)):
        cv.junction(x, y, INPUT_COLOUR)

    # Reset: r scales the old state on its way into the candidate.
    cv.wire([(xr + 47, row), (xrh - 15, row)], C["r"])
    cv.wire([(xrh, top), (xrh, row - 15)], C["h"])
    cv.wire([(xrh + 15, row), (xc - 47, row)], C["h"])
    cv.junction(xrh, top, C["h"])

    # Update: z keeps z of the old state (× on the top line) and lets 1−z of the candidate in.
    # The (1−z) wire passes over the old state's way down to the reset ×.
    cv.wire([(xz, row - bh), (xz, top + 15)], C["z"])
    cv.junction(xz, mid, C["z"])
    cv.wire([(xz, mid), (xz + 55 - 16, mid)], C["z"])
    cv.bridge(xrh, mid)
    cv.wire([(xz + 55 + 16, mid), (xc - 15, mid)], C["z"])
    cv.wire([(xc, row - bh), (xc, mid + 15)], C["hh"])
    cv.wire([(xc, mid - 15), (xc, top + 15)], C["hh"])

    # The hidden-state line: in, kept part, + new part, out right and up.
    cv.wire([(14, top), (xz - 15, top)], C["h"], width=5, arrow=False)
    cv.wire([(xz + 15, top), (xc - 15, top)], C["h"], width=5, arrow=False)
    cv.wire([(xc + 15, top), (VIEW_W - 8, top)], C["h"], width=5)
    cv.wire([(xup, top), (xup, 10)], C["h"])
    cv.junction(xup, top, C["h"])
    cv.junction(xd, top, C["h"])

    cv.op(xz, top, "×", C["z"])
    cv.op(xz + 55, mid, "1−", C["z"], r=16)
    cv.op(xc, mid, "×", C["hh"])
    cv.op(xc, top, "+", C["hh"])
    cv.op(xrh, row, "×", C["r"])
    cv.box(xz, row, C["z"], "σ", _("update gate"))
    cv.box(xr, row, C["r"], "σ", _("reset gate"))
    cv.box(xc, row, C["hh"], "tanh", _("candidate"))

    cv.text(xz + 9, 150, _named(v, "z", "z"), weight="bold")
    cv.text(xr + 52, row - 16, _named(v, "r", "r"), weight="bold")
    cv.text(xc + 9, 229, _named(v, "hh", "h̃"), weight="bold")
    cv.text(xz + 55 + 22, mid - 9, "1−z")

    cv.state("left", top, _("hidden state"), "h_{t−1}", _val(v, "h_prev"))
    cv.state("right", top, _("hidden state"), "h_{t}", _val(v, "h"))
    cv.text(xup + 10, 26, _("output h_{t}"))
    cv.footer(xin, _val(v, "x"), "h_{t} = z·h_{t−1} + (1−z)·h̃")
    return cv.svg(_("GRU cell: one time step"),
                  _("The hidden state h runs along the top. The update gate z keeps z of the old state and "
                    "lets in 1−z of the candidate h̃, which is computed from the input x and the old state "
                    "scaled by the reset gate r."), width)


# -------------------------------------------------------------------------------------------- RNN

def rnn_cell_svg(values: Mapping[str, float] | None = None, width: int = 640) -> SvgFigure:
    """One simple-RNN step: h = tanh(W x + U h_prev + b).

    values may hold x, h_prev, h and z_h (the pre-activation W x + U h_prev + b), floats for one unit.
    """
    C, v = GATE_COLOURS, values
    cv = _Canvas(330)
    # Same conventions as the LSTM: h_{t-1} enters bottom left, x_t from below, h_t leaves right
    # at the height it came in and up to the next layer.
    out, row, bus = 96, 166, 250
    xin, xbox, xup = 200, 390, 600
    bh = 27
    cv.frame(118, 44, 554, 240)

    cv.wire([(14, bus), (xin, bus)], C["h"], arrow=False)
    cv.wire([(xin, cv.height - 6), (xin, bus)], INPUT_COLOUR, arrow=False)
    cv.wire([(xin, bus), (xbox, bus), (xbox, row + bh)], INPUT_COLOUR)
    cv.junction(xin, bus, INPUT_COLOUR)

    cv.wire([(xbox, row - bh), (xbox, out), (xup, out)], C["h"], arrow=False)
    cv.wire([(xup, out), (xup, 10)], C["h"])
    cv.wire([(xup, out), (xup, bus), (VIEW_W - 8, bus)], C["h"])
    cv.junction(xup, out, C["h"])
    cv.box(xbox, row, C["h"], "tanh", _("new state"), w=110)

    cv.text(xbox + 9, bus - 30, _say(v, "z_h", "W x + U h + b"))
    cv.text(xbox + 10, out - 9, _named(v, "h", "h"), weight="bold")
    cv.state("left", bus, _("hidden state"), "h_{t−1}", _val(v, "h_prev"))
    cv.state("right", bus, _("hidden state"), "h_{t}", _val(v, "h"))
    cv.text(xup + 10, 26, _("output h_{t}"))
    cv.footer(xin, _val(v, "x"), "h_{t} = tanh(W x_{t} + U h_{t−1} + b)")
    return cv.svg(_("Simple RNN cell: one time step"),
                  _("The input x and the previous hidden state h are combined by one tanh layer into the "
                    "new hidden state h, which goes to the next step and up to the next layer."), width)
