"""What the Gates page shows before anyone chooses: its passage and its quantity per cell. The view links a
student sends the teacher leave them out, so the Class page draws them from here too."""

from __future__ import annotations

import streamlit as st

from lstm_core.data.corpora import CorpusError, load_corpus
from ui import model_texts

PASSAGE_START = "LORD POLONIUS\nI hear him coming"  # ... Hamlet's "To be, or not to be"
PASSAGE_MIN, PASSAGE_MAX = 480, 620
DEFAULT_QUANTITY = {"lstm": "tanh_c", "gru": "h", "rnn": "h"}


@st.cache_data(show_spinner=False)
def default_passage() -> str:
    """Hamlet's "To be, or not to be", with the lines before it, read from the built-in corpus."""
    try:
        text = load_corpus("shakespeare3").text
    except CorpusError:
        return ""
    start = text.find(PASSAGE_START)
    if start < 0:
        start = max(0, text.find("To be, or not to be"))
    end = text.find("\n", start + PASSAGE_MIN)
    if end < 0 or end - start > PASSAGE_MAX:
        end = start + PASSAGE_MAX
    return text[start:end + 1]


def passage(model) -> str:
    """The page's own text for a model: a held-out poem for a poetry model, else Hamlet."""
    return model_texts.poem(model) or default_passage()
