"""The Train page's "The same in Keras": the code for the current settings next to the textbook's
recipe, and what differs between the two."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import _
from lstm_core.spec import ModelSpec
from lstm_core.training.keras_code import TEXTBOOK_WINDOW, keras_code, textbook_code
from lstm_core.training.precision import resolve
from lstm_core.training.trainer import TrainConfig


def keras_equivalent(spec: ModelSpec | None, config: TrainConfig | None) -> None:
    if spec is None or config is None:
        return
    with st.expander(_("The same in Keras, and the textbook's recipe"), icon=":material/code:",
                     key="train_code_open"):
        st.markdown(_("The textbook reads one-hot windows of {window} characters and learns one target per window, the "
                      "character after it. This app's model reads each character through an embedding and predicts "
                      "the next character at every position: a window of {length} characters gives {length} targets "
                      "instead of one, so every training step teaches it far more.").format(
            window=TEXTBOOK_WINDOW, length=config.seq_len))
        ours, theirs = st.columns(2, gap="medium")
        with ours:
            st.markdown(_("**These settings in Keras**"))
            st.code(keras_code(spec, config.seq_len, config.batch_size, config.learning_rate, config.clipnorm,
                               resolve(config.precision)), language="python")
        with theirs:
            st.markdown(_("**The textbook's recipe**"))
            st.code(textbook_code(spec.vocab_size), language="python")
