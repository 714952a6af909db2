"""Lines and bands across a Plotly plot, as layout shapes in the same form add_hline, add_vline and
add_hrect give them.

The pages' figures are each one declaration, go.Figure(data=[...], layout={...}), which Plotly checks
once. Built up call by call instead (add_trace, update_layout, add_hline…), the same figure took three
to fifteen times longer, and these figures are drawn again on every rerun of every session.
"""

from __future__ import annotations


def across(y: float, line: dict) -> dict:
    """A horizontal line at `y`, from the left edge of the plot to the right."""
    return dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=y, y1=y, line=line)


def upright(x: float, line: dict) -> dict:
    """A vertical line at `x`, from the bottom of the plot to the top."""
    return dict(type="line", xref="x", x0=x, x1=x, yref="y domain", y0=0, y1=1, line=line)


def band(y0: float, y1: float, colour: str, opacity: float) -> dict:
    """The plot tinted between y0 and y1, under the data."""
    return dict(type="rect", xref="x domain", x0=0, x1=1, yref="y", y0=y0, y1=y1, fillcolor=colour,
                opacity=opacity, line=dict(width=0), layer="below")
