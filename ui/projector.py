"""The projector switch: larger text where a class reads from the back of the room (the coloured text,
generated text, metrics, labels, inputs, captions, figure labels), and the sidebar out of the way, kept
with the workspace. CSS only for the page: the pages and figures stay the same, so a screenshot in either
mode shows the same view."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import _

from ui import workspace

# !important: the coloured text and the generated text set their size inline, and Streamlit's own rules
# for widgets are more specific than ours. In order:
# - a metric's value is a paragraph too: without its own rule it would take the paragraphs' 1.2rem, smaller
#   than its size without the switch;
# - a long label on a narrow button or above a metric (Chinese, or the larger font) wraps instead of ending
#   in an ellipsis;
# - the 15 px notes some figures write inline (Gates' colour scale, Anatomy's "read so far") grow with the captions;
# - less empty space above the title and between elements, so each page's figure starts on the first screen
#   (at 1024×768 too); the header (60 px, with the button that opens the sidebar again) stays clear.
# Figures' tick labels and axis titles grow too, but not their legends: Plotly places a legend's entries
# by the size it drew them at, so larger entries ran into each other (Train's loss chart).
# No comments inside the style: the HTML sanitiser drops a style whose text looks like markup.
STYLE = """<style>
.gates-text { font-size: 23px !important; line-height: 1.6 !important; }
pre.sample-output { font-size: 1.35rem !important; }
pre.sample-compare, pre.gates-test-sample { font-size: 1.1rem !important; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.2rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.05rem !important; color: #3d4450 !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p { font-size: 2.75rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.2rem !important; }
[data-testid="stMain"] input, [data-testid="stMain"] textarea { font-size: 1.2rem !important; }
[data-testid="stMain"] button .stMarkdownEllipsis, [data-testid="stMain"] button .stMarkdownEllipsis p,
[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricLabel"] .stMarkdownEllipsis p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMain"] [data-testid="stHtml"] div[style*="font-size:15px"] { font-size: 1.05rem !important; }
[data-testid="stMainBlockContainer"] { padding-top: 3.75rem !important; }
[data-testid="stMain"] h1 { padding-top: 0 !important; padding-bottom: 0.5rem !important; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.5rem !important; }
[data-testid="stMain"] .js-plotly-plot .xtick text, [data-testid="stMain"] .js-plotly-plot .ytick text,
[data-testid="stMain"] .js-plotly-plot .g-xtitle text,
[data-testid="stMain"] .js-plotly-plot .g-ytitle text { font-size: 17px !important; }
</style>"""

# Run once, on the run the switch is turned on. The page config below decides the sidebar's state only
# while the reader has not opened or closed it by hand: Streamlit 1.67 then keeps their choice (in the
# browser's localStorage) over the app's. Switching on is a request to close it now, so close it as the
# reader would, with its own button (which also records "closed" as their choice).
COLLAPSE_SIDEBAR = """<script>
if (document.querySelector('[data-testid="stSidebar"]')?.dataset.collapsed === 'false')
  document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
</script>"""


def _switched() -> None:
    st.session_state.projector_just_on = st.session_state.projector


def switch() -> None:
    """The sidebar's toggle; applies the style on every run while it is on and closes the sidebar (the
    arrow at the top left opens it again, to switch back)."""
    if "projector" not in st.session_state:
        st.session_state.projector = bool(workspace.recall("projector", False))
    on = st.toggle(_("Projector: larger text"), key="projector", on_change=_switched,
                   help=_("For a class reading from the back of the room: larger coloured text, generated text, "
                          "numbers, labels and figure labels, and the sidebar closed (the arrow at the top left "
                          "opens it again)."))
    workspace.remember("projector", on or None)
    # Sent on every run: a tab that opens this workspace with the switch on starts with the sidebar closed.
    st.set_page_config(initial_sidebar_state="collapsed" if on else "auto")
    if on:
        st.html(STYLE)
    if st.session_state.pop("projector_just_on", False):
        st.html(COLLAPSE_SIDEBAR, unsafe_allow_javascript=True)
