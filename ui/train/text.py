"""The Train page's first section: the text to learn from (built in, a Gutenberg book, an upload or
pasted text), checked once per content and described (length, characters, a preview)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from lstm_core.data.corpora import (BUILTIN, LOWERCASE, MAX_USER_BYTES, PASTED, CorpusError, download_gutenberg,
                                    gutenberg_status, load_corpus, title, user_text)
from lstm_core.data.overlap import validation_repeats_training
from lstm_core.data.vocab import CharVocab
from lstm_core.i18n import N_, _, language
from lstm_core.said import sentences
from lstm_core.training.trainer import min_corpus_chars

from ui.literal import literal
from ui.train.settings import DEFAULTS
from ui.refusals import refused_upload

SOURCES = {"builtin": N_("Shakespeare (built in)"), "gutenberg": N_("A Gutenberg book"),
           "upload": N_("Upload a .txt file"), "paste": N_("Paste text")}
# What Prepared.label adds to a text made lowercase, and calls pasted text: English, as the label is
# shared (shared_text is cached for every session); said in the reader's language by shown_label.
PREVIEW_CHARS = 500


@dataclass(frozen=True)
class Prepared:
    """A training text ready to use: the text, its vocabulary and where it came from."""

    name: str
    label: str
    text: str
    vocab: CharVocab
    lowercase: bool
    validation_repeated: bool  # its validation part is mostly in its training part (lstm_core.data.overlap)

    @property
    def corpus_meta(self) -> dict:
        return {"name": self.name, "label": self.label, "chars": len(self.text), "lowercase": self.lowercase}


def shared_text(name: str, lowercase: bool) -> Prepared:
    """Built-in and Gutenberg texts are the same for everyone: read once, shared read-only."""
    with st.spinner(_("Reading the text…")):  # shown only when it takes a while: when it is read
        return _shared_text(name, lowercase)


@st.cache_resource(show_spinner=False, max_entries=8)
def _shared_text(name: str, lowercase: bool) -> Prepared:
    corpus = load_corpus(name)
    text = corpus.text.lower() if lowercase else corpus.text
    return Prepared(corpus.name, corpus.label + (LOWERCASE if lowercase else ""), text,
                    CharVocab.from_text(text), lowercase, validation_repeats_training(text))


def shown_label(prepared: Prepared) -> str:
    """The text's name in the reader's language (a built-in text's title, "Pasted text", "(lowercase)")."""
    return title(prepared.name, prepared.label, prepared.lowercase)


def _user_text(key: str, data: bytes | str, label: str, lowercase: bool, min_chars: int) -> Prepared:
    """Check a user's text once per content (a 20 MB upload is not re-read on every rerun)."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    digest = hashlib.sha1(raw).hexdigest()
    cache_key = (key, digest, label, lowercase, min_chars, language())  # its error is said in that language
    cached = st.session_state.get("train_user_cache")
    if cached and cached[0] == cache_key:
        if isinstance(cached[1], Exception):
            raise cached[1]
        return cached[1]
    try:
        text = user_text(data, lowercase=lowercase, min_chars=min_chars)
        result = Prepared(f"user:{label}", label + (LOWERCASE if lowercase else ""), text,
                          CharVocab.from_text(text), lowercase, validation_repeats_training(text))
    except CorpusError as exc:
        # Keep the message, not the exception: its traceback would hold this run's frames alive.
        st.session_state["train_user_cache"] = (cache_key, CorpusError(str(exc)))
        raise
    st.session_state["train_user_cache"] = (cache_key, result)
    return result


def text_section(disabled: bool) -> Prepared | None:
    st.subheader(_("1 · The text to learn from"))
    status = gutenberg_status()
    sources = [s for s in SOURCES if s != "gutenberg" or status.available]
    if st.session_state.get("train_source") not in sources:
        st.session_state["train_source"] = "builtin"
    source = st.radio(_("Text"), sources, format_func=lambda s: _(SOURCES[s]), key="train_source", horizontal=True,
                      disabled=disabled, persist_state="session", label_visibility="collapsed")
    lowercase = st.checkbox(_("Lowercase everything"), key="train_lowercase", disabled=disabled,
                            persist_state="session",
                            help=_("Fewer different characters to learn (no capitals), so it learns a little "
                                   "faster."))
    seq_len = st.session_state.get("train_seq_len", DEFAULTS["train_seq_len"])
    min_chars = min_corpus_chars(seq_len)
    prepared: Prepared | None = None
    try:
        if source == "builtin":
            name = st.selectbox(_("Built-in text"), list(BUILTIN), format_func=lambda k: _(BUILTIN[k]),
                                key="train_builtin", disabled=disabled, persist_state="session")
            prepared = shared_text(name, lowercase)
        elif source == "gutenberg":
            book = st.selectbox(_("Book"), status.fileids, key="train_gutenberg", disabled=disabled,
                                persist_state="session")
            prepared = shared_text(f"gutenberg:{book}", lowercase)
        elif source == "upload":
            prepared = _upload(lowercase, min_chars, disabled)
        else:
            pasted = st.text_area(_("Your text"), key="train_paste", height=140, disabled=disabled,
                                  persist_state="session",
                                  placeholder=_("Paste at least {n:,} characters of text here (then press Ctrl+Enter "
                                                "or click outside the box).").format(n=min_chars))
            if pasted.strip():
                prepared = _user_text("paste", pasted, PASTED, lowercase, min_chars)
            else:
                st.caption(_("Paste some text: at least {n:,} characters for a sequence length of {seq_len}, and a "
                             "few thousand for the network to learn anything.").format(n=min_chars, seq_len=seq_len))
    except CorpusError as exc:
        st.error(str(exc), icon=":material/error:")
        prepared = None
    if not status.available:
        _gutenberg_offer(status.message, disabled)
    if prepared is not None:
        _describe_text(prepared)
    return prepared


def _upload(lowercase: bool, min_chars: int, disabled: bool) -> Prepared | None:
    # Streamlit's own line under the box says the limit: the app's, not the server's 60 MB.
    upload = st.file_uploader(_("A plain-text file (UTF-8)"), type=["txt"], key="train_upload",
                              max_upload_size=MAX_USER_BYTES >> 20, disabled=disabled)
    kept = st.session_state.get("train_last_upload")
    if upload is not None:
        try:
            prepared = _user_text("upload", upload.getvalue(), upload.name, lowercase, min_chars)
        except CorpusError as exc:
            refused_upload("Train's text", upload.size, exc)
            if kept is None:
                raise
            raise CorpusError(sentences(str(exc), _("Remove it to go back to **{name}**, uploaded earlier.").format(
                name=literal(kept[0])))) from None
        st.session_state["train_last_upload"] = (upload.name, upload.getvalue())
        return prepared
    if kept is not None:
        # The uploader forgets its file when the page is left; the text it gave is kept.
        st.caption(_("Using **{name}**, uploaded earlier. Upload another file to replace it.").format(
            name=literal(kept[0])))
        return _user_text("upload", kept[1], kept[0], lowercase, min_chars)
    return None


def _gutenberg_offer(message: str, disabled: bool) -> None:
    cols = st.columns([3, 2], vertical_alignment="center")
    cols[0].caption(_("NLTK's Gutenberg books (Austen, Carroll, Milton…) are not on this computer yet."),
                    help=message)
    if cols[1].button(_("Try to download"), key="train_gutenberg_download", disabled=disabled, width="stretch",
                      help=_("Fetches NLTK's Gutenberg selection (about 4 MB). Gives up after 5 s if offline.")):
        with st.spinner(_("Trying to download NLTK's Gutenberg books…")):
            result = download_gutenberg(timeout_s=5)
        st.session_state["train_flash"] = ("success" if result.available else "warning", result.message)
        st.rerun()


def _describe_text(prepared: Prepared) -> None:
    distinct = len(prepared.vocab.chars)
    st.markdown(_("**{text}** · {chars:,} characters · {distinct} different characters").format(
        text=literal(shown_label(prepared)), chars=len(prepared.text), distinct=distinct))
    with st.expander(_("Preview: the first {n} characters").format(n=PREVIEW_CHARS)):
        st.code(prepared.text[:PREVIEW_CHARS], language=None, wrap_lines=True, height=220)
