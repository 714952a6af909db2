"""Sentiment: an LSTM reads a review word by word and says whether it is positive.

The textbooks' many-to-one LSTM. Classify as you type (NumPy through the engine, no TensorFlow),
watch the probability after each word, see which words mattered (occlusion), compare with VADER's
word list, look at the gates, and retrain live (TensorFlow in a background thread), including a
comparison of SimpleRNN, LSTM and GRU on the same split. Session state keys start with ``sent_``.
"""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import N_, _
from ui import i18n, shell
from ui.sentiment import models as sentiment_models
from ui.sentiment import reading as sentiment_reading
from ui.sentiment import training as sentiment_training

shell.require_app()

DEFAULT_EXAMPLE = "Negation"
TABS = (N_("Classify"), N_("How good is it?"), N_("Retrain"))


def render() -> None:
    st.title(_("Sentiment"))
    st.markdown(_("A **many-to-one** LSTM: it reads a review one word at a time, keeps what matters in its memory, "
                  "and after the last word says how likely the review is to be positive."))
    if "sent_text" not in st.session_state:
        st.session_state.sent_text = sentiment_reading.EXAMPLES[DEFAULT_EXAMPLE]
        st.session_state.sent_example = DEFAULT_EXAMPLE
    sentiment_training.register_finished()
    entry = sentiment_models.choose_model()
    if entry is None:
        problem = sentiment_models.pretrained()[1]
        st.warning(_("There is no classifier to use yet. {problem} You can train one under **Retrain**.").format(
            problem=problem))
    tabs = i18n.tabs(TABS, key="sent_tab", on_change="rerun")
    with tabs[0]:
        if tabs[0].open and entry is not None:
            st.fragment(sentiment_reading.classify_area)(entry)
    with tabs[1]:
        if tabs[1].open and entry is not None:
            sentiment_models.quality(entry)
            with st.expander(_("Upload a classifier"), icon=":material/upload:", key="sent_upload_expander"):
                sentiment_models.upload_model()
    with tabs[2]:
        if tabs[2].open:
            sentiment_training.retrain()


render()
