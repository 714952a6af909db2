"""The projector switch: larger text where a class reads from the back of the room (the coloured text,
generated text, metrics, captions, figure labels), kept with the workspace. CSS only: the pages and
figures stay the same, so a screenshot in either mode shows the same view."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import _

from ui import workspace

# !important: the coloured text and the generated text set their size inline.
STYLE = """<style>
.gates-text { font-size: 23px !important; line-height: 1.6 !important; }
pre.sample-output { font-size: 1.35rem !important; }
pre.sample-compare, pre.gates-test-sample { font-size: 1.1rem !important; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.2rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.05rem !important; color: #3d4450 !important; }
[data-testid="stMetricValue"] { font-size: 2.8rem !important; }
[data-testid="stMain"] .js-plotly-plot .xtick text, [data-testid="stMain"] .js-plotly-plot .ytick text,
[data-testid="stMain"] .js-plotly-plot .legendtext, [data-testid="stMain"] .js-plotly-plot .g-xtitle text,
[data-testid="stMain"] .js-plotly-plot .g-ytitle text { font-size: 17px !important; }
</style>"""


def switch() -> None:
    """The sidebar's toggle; applies the style on every run while it is on."""
    if "projector" not in st.session_state:
        st.session_state.projector = bool(workspace.recall("projector", False))
    on = st.toggle(_("Projector: larger text"), key="projector",
                   help=_("For a class reading from the back of the room: larger coloured text, generated text, "
                          "numbers, captions and figure labels."))
    workspace.remember("projector", on or None)
    if on:
        st.html(STYLE)
