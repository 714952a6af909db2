"""Home: what LSTM Lab is, a picture of the cell, and where to start."""

import streamlit as st

from lstm_core.i18n import N_, _
from ui import shell

from ui import models, siblings
from ui.figures.cell_diagram import lstm_cell_svg
from ui.train.pretrained_story import pretrained_sentence

shell.require_app()

STARTS = [
    ("pages/lessons.py", N_("Lessons"), ":material/school:",
     N_("A path in the order of the textbook: one idea at a time, each checked.")),
    ("pages/gates.py", N_("Gates"), ":material/grid_on:", N_("See every gate of every character of a text.")),
    ("pages/sample.py", N_("Sample"), ":material/edit_note:",
     N_("Let the model write, and see how it chose each letter.")),
    ("pages/train.py", N_("Train"), ":material/model_training:", N_("Train your own model live and watch it learn.")),
    ("pages/sentiment.py", N_("Sentiment"), ":material/sentiment_satisfied:",
     N_("Read a review word by word and watch the verdict change.")),
    ("pages/anatomy.py", N_("Anatomy"), ":material/biotech:",
     N_("One step worked out with real numbers, parameter counts, and why gradients vanish.")),
]

st.title("LSTM Lab")
st.markdown(_(
    "A **long short-term memory** network (LSTM) reads text one character at a time and keeps a "
    "memory, the *cell state*, that it updates at every step. Three **gates**, each a number between "
    "0 and 1 for every unit, decide what to forget, what to write and what to show. LSTM Lab lets you "
    "watch all of it happen on real text."
))

left, right = st.columns([3, 2], gap="large")
with left:
    st.html(lstm_cell_svg())
    st.caption(_(
        "One LSTM step. From the new character x and the previous output h, the cell computes the "
        "forget gate f, input gate i, candidate g and output gate o. The memory becomes "
        "c = f·c_prev + i·g, and the output h = o·tanh(c)."
    ))
with right:
    st.subheader(_("Where to start"))
    # Link labels stay short (Streamlit cuts long ones); the explanation goes underneath.
    for path, label, icon, what in STARTS:
        st.page_link(path, label=f"**{_(label)}**", icon=icon)
        st.caption(_(what))
    st.markdown(_("{pretrained} Everything runs on this computer; nothing is sent anywhere.").format(
        pretrained=pretrained_sentence(models.pretrained())))

siblings.held_out_table()
