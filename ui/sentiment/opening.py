"""Open a model, in the Sentiment page's sidebar: a word-level classifier trained elsewhere in Keras (its
.keras file and its vocabulary), then how its reviews were padded, read from the model where it says
(its input shape fixes maxlen) and otherwise asked, with pad_sequences' defaults. What does not fit is
said, naming what to change; the classifier the page reads with stays until one opens. What opens is
kept in the tab's workspace, so it comes back after a server restart.
"""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import N_, _
from lstm_core.sentiment.framing import MAX_MAXLEN, SIDES, Framing
from lstm_core.sentiment.keras_words import FORMS, IMDB_INDEX_FROM
from lstm_core.sentiment.opened import (ClassifierFileError, default_framing, open_classifier, read_model,
                                        read_vocabulary, save_folder)
from lstm_core.storage.model_zip import MAX_ZIP_BYTES

from ui import models as session_models
from ui.literal import literal
from ui.refusals import refused_upload
from ui.sentiment import models

SIDE_NAMES = {"pre": N_("pre (in front)"), "post": N_("post (at the end)")}


def _pair(uploads) -> tuple:
    """(the .keras upload, the vocabulary upload), or ClassifierFileError saying what to drop."""
    names = [u.name for u in uploads]
    model_files = [u for u in uploads if u.name.lower().endswith((".keras", ".h5", ".hdf5"))]
    others = [u for u in uploads if u not in model_files]
    if len(model_files) == 1 and len(others) == 1:
        return model_files[0], others[0]
    if len(model_files) == 1 and not others:
        raise ClassifierFileError(_("{file} needs its vocabulary: drop it into the box too.").format(file=names[0]))
    if not model_files and len(others) == 1:
        raise ClassifierFileError(_("{file} needs the classifier's .keras file: drop it into the box too.").format(
            file=names[0]))
    raise ClassifierFileError(_("Drop one .keras file and its vocabulary, not {count} files: {names}.").format(
        count=len(names), names=", ".join(names)))


def _read(uploads) -> tuple:
    """(model upload, its Network, vocabulary upload, its Parsed) for the files in the box, read once."""
    ids = tuple(u.file_id for u in uploads)
    kept = st.session_state.get("sent_open_read")
    if kept is None or kept[0] != ids:
        try:
            model_file, vocab_file = _pair(uploads)
            read = (model_file, read_model(model_file.getvalue(), model_file.name), vocab_file,
                    read_vocabulary(vocab_file.getvalue(), vocab_file.name))
        except ClassifierFileError as exc:
            refused_upload("Sentiment's Open a model", sum(u.size for u in uploads), exc)
            read = exc
        kept = st.session_state.sent_open_read = (ids, read)
    if isinstance(kept[1], ClassifierFileError):
        raise kept[1]
    return kept[1]


def section() -> None:
    with st.expander(_("Open a model"), key="sent_open_box"):
        uploads = st.file_uploader(
            _("A .keras classifier with its vocabulary"), accept_multiple_files=True, key="sent_open_upload",
            max_upload_size=MAX_ZIP_BYTES >> 20,
            help=_("A word-level classifier trained in Keras, Embedding → LSTM, GRU or SimpleRNN (stacked or "
                   "Bidirectional) → Dense(1, sigmoid), and the vocabulary that turned its reviews into ids: Keras' "
                   "IMDB word index (imdb.get_word_index() saved as JSON), a Tokenizer's to_json(), a "
                   "TextVectorization vocabulary (one token per line) or a JSON list of words."))
        if not uploads:
            return
        try:
            model_file, net, vocab_file, parsed = _read(uploads)
        except ClassifierFileError as exc:
            st.error(_("That classifier could not be opened. {problem}").format(problem=literal(exc)))
            return
        st.caption(_("Vocabulary: {form}.").format(form=_(FORMS[parsed.form])))
        index_from = IMDB_INDEX_FROM
        if parsed.asks_index_from:
            index_from = st.number_input(
                "index_from", min_value=0, max_value=100, value=IMDB_INDEX_FROM, key="sent_open_index_from",
                help=_("imdb.load_data adds index_from (3 unless told otherwise) to every word's rank, keeping 0 for "
                       "padding, 1 for the start of a review and 2 for words left out. Give the value the model was "
                       "trained with; 0 for a word index of your own, whose ids the model read as they are."))
        framing = default_framing(net)
        if net.input_length is not None:
            st.caption(_("maxlen {maxlen}: the model's input shape says so.").format(maxlen=net.input_length))
            maxlen = net.input_length
        else:
            maxlen = st.number_input(
                "maxlen", min_value=1, max_value=MAX_MAXLEN, value=framing.maxlen, key="sent_open_maxlen",
                help=_("The length pad_sequences padded or cut the training reviews to; the model does not say it."))
        padding = st.segmented_control(
            "padding", SIDES, format_func=lambda s: _(SIDE_NAMES[s]), default=framing.padding, required=True,
            key="sent_open_padding", help=_("Where pad_sequences put the zeros of a short review: in front (its "
                                            "default) or at the end. The model does not say it."))
        truncating = st.segmented_control(
            "truncating", SIDES, format_func=lambda s: _(SIDE_NAMES[s]), default=framing.truncating, required=True,
            key="sent_open_truncating", help=_("Where pad_sequences cut a long review: its first words (its "
                                               "default) or its last. The model does not say it."))
        settings = (tuple(u.file_id for u in uploads), index_from, maxlen, padding, truncating)
        if st.session_state.get("sent_open_done") == settings:
            st.success(_("Opened: it is one of the page's classifiers now."))
            return
        if st.button(_("Open"), key="sent_open_button", type="primary"):
            try:
                opened = open_classifier(net, parsed, Framing(int(maxlen), padding, truncating),
                                         file=model_file.name, vocabulary_file=vocab_file.name,
                                         index_from=int(index_from))
            except ClassifierFileError as exc:
                refused_upload("Sentiment's Open a model", model_file.size + vocab_file.size, exc)
                st.session_state.sent_open_said = (settings, str(exc))
            else:
                st.session_state.sent_open_done = settings
                folder = save_folder(session_models.session_dir() / models.OPENED_FOLDER, opened,
                                     model_file.getvalue(), vocab_file.getvalue(), int(index_from))
                models.add_opened(folder, opened)
                st.rerun()
        # Said for as long as the files and settings that caused it stay.
        said = st.session_state.get("sent_open_said")
        if said and said[0] == settings:
            st.error(_("That classifier could not be opened. {problem}").format(problem=literal(said[1])))
