"""Home: what LSTM Lab is, a picture of the cell, and where to start."""

import streamlit as st

from ui import shell

from ui import models
from ui.cell_diagram import lstm_cell_svg
from ui.pretrained_story import pretrained_sentence

shell.require_app()

STARTS = [
    ("pages/gates.py", "Gates", ":material/grid_on:", "See every gate of every character of a text."),
    ("pages/sample.py", "Sample", ":material/edit_note:", "Let the model write, and see how it chose each letter."),
    ("pages/train.py", "Train", ":material/model_training:", "Train your own model live and watch it learn."),
    ("pages/sentiment.py", "Sentiment", ":material/sentiment_satisfied:",
     "Read a review word by word and watch the verdict change."),
    ("pages/anatomy.py", "Anatomy", ":material/biotech:",
     "One step worked out with real numbers, parameter counts, and why gradients vanish."),
]

st.title("LSTM Lab")
st.markdown(
    "A **long short-term memory** network (LSTM) reads text one character at a time and keeps a "
    "memory, the *cell state*, that it updates at every step. Three **gates**, each a number between "
    "0 and 1 for every unit, decide what to forget, what to write and what to show. LSTM Lab lets you "
    "watch all of it happen on real text."
)

left, right = st.columns([3, 2], gap="large")
with left:
    st.html(lstm_cell_svg())
    st.caption(
        "One LSTM step. From the new character x and the previous output h, the cell computes the "
        "forget gate f, input gate i, candidate g and output gate o. The memory becomes "
        "c = f·c_prev + i·g, and the output h = o·tanh(c)."
    )
with right:
    st.subheader("Where to start")
    # Link labels stay short (Streamlit cuts long ones); the explanation goes underneath.
    for path, label, icon, what in STARTS:
        st.page_link(path, label=f"**{label}**", icon=icon)
        st.caption(what)
    st.markdown(pretrained_sentence(models.pretrained()) + " Everything runs on this computer; nothing is sent "
                "anywhere.")
