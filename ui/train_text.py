"""The Train page's first section: the text to learn from (built in, a Gutenberg book, an upload or
pasted text), checked once per content and described (length, characters, a preview)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from lstm_core.data.corpora import BUILTIN, CorpusError, download_gutenberg, gutenberg_status, load_corpus, user_text
from lstm_core.data.vocab import CharVocab
from lstm_core.training.trainer import min_corpus_chars

from .literal import literal
from .train_settings import DEFAULTS

SOURCES = {"builtin": "Shakespeare (built in)", "gutenberg": "A Gutenberg book",
           "upload": "Upload a .txt file", "paste": "Paste text"}
PREVIEW_CHARS = 500


@dataclass(frozen=True)
class Prepared:
    """A training text ready to use: the text, its vocabulary and where it came from."""

    name: str
    label: str
    text: str
    vocab: CharVocab
    lowercase: bool

    @property
    def corpus_meta(self) -> dict:
        return {"name": self.name, "label": self.label, "chars": len(self.text), "lowercase": self.lowercase}


@st.cache_resource(show_spinner="Reading the text…", max_entries=8)
def shared_text(name: str, lowercase: bool) -> Prepared:
    """Built-in and Gutenberg texts are the same for everyone: read once, shared read-only."""
    corpus = load_corpus(name)
    text = corpus.text.lower() if lowercase else corpus.text
    return Prepared(corpus.name, corpus.label + (" (lowercase)" if lowercase else ""), text,
                    CharVocab.from_text(text), lowercase)


def _user_text(key: str, data: bytes | str, label: str, lowercase: bool, min_chars: int) -> Prepared:
    """Check a user's text once per content (a 20 MB upload is not re-read on every rerun)."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    digest = hashlib.sha1(raw).hexdigest()
    cache_key = (key, digest, label, lowercase, min_chars)
    cached = st.session_state.get("train_user_cache")
    if cached and cached[0] == cache_key:
        if isinstance(cached[1], Exception):
            raise cached[1]
        return cached[1]
    try:
        text = user_text(data, lowercase=lowercase, min_chars=min_chars)
        result = Prepared(f"user:{label}", label + (" (lowercase)" if lowercase else ""), text,
                          CharVocab.from_text(text), lowercase)
    except CorpusError as exc:
        # Keep the message, not the exception: its traceback would hold this run's frames alive.
        st.session_state["train_user_cache"] = (cache_key, CorpusError(str(exc)))
        raise
    st.session_state["train_user_cache"] = (cache_key, result)
    return result


def text_section(disabled: bool) -> Prepared | None:
    st.subheader("1 · The text to learn from")
    status = gutenberg_status()
    sources = [s for s in SOURCES if s != "gutenberg" or status.available]
    if st.session_state.get("train_source") not in sources:
        st.session_state["train_source"] = "builtin"
    source = st.radio("Text", sources, format_func=SOURCES.get, key="train_source", horizontal=True,
                      disabled=disabled, persist_state="session", label_visibility="collapsed")
    lowercase = st.checkbox("Lowercase everything", key="train_lowercase", disabled=disabled, persist_state="session",
                            help="Fewer different characters to learn (no capitals), so it learns a little faster.")
    seq_len = st.session_state.get("train_seq_len", DEFAULTS["train_seq_len"])
    min_chars = min_corpus_chars(seq_len)
    prepared: Prepared | None = None
    try:
        if source == "builtin":
            name = st.selectbox("Built-in text", list(BUILTIN), format_func=BUILTIN.get, key="train_builtin",
                                disabled=disabled, persist_state="session")
            prepared = shared_text(name, lowercase)
        elif source == "gutenberg":
            book = st.selectbox("Book", status.fileids, key="train_gutenberg", disabled=disabled,
                                persist_state="session")
            prepared = shared_text(f"gutenberg:{book}", lowercase)
        elif source == "upload":
            prepared = _upload(lowercase, min_chars, disabled)
        else:
            pasted = st.text_area("Your text", key="train_paste", height=140, disabled=disabled,
                                  persist_state="session",
                                  placeholder=f"Paste at least {min_chars:,} characters of text here "
                                              "(then press Ctrl+Enter or click outside the box).")
            if pasted.strip():
                prepared = _user_text("paste", pasted, "Pasted text", lowercase, min_chars)
            else:
                st.caption(f"Paste some text: at least {min_chars:,} characters for a sequence length of {seq_len}, "
                           "and a few thousand for the network to learn anything.")
    except CorpusError as exc:
        st.error(str(exc), icon=":material/error:")
        prepared = None
    if not status.available:
        _gutenberg_offer(status.message, disabled)
    if prepared is not None:
        _describe_text(prepared)
    return prepared


def _upload(lowercase: bool, min_chars: int, disabled: bool) -> Prepared | None:
    upload = st.file_uploader("A plain-text file (UTF-8, up to 20 MB)", type=["txt"], key="train_upload",
                              disabled=disabled)
    kept = st.session_state.get("train_last_upload")
    if upload is not None:
        try:
            prepared = _user_text("upload", upload.getvalue(), upload.name, lowercase, min_chars)
        except CorpusError as exc:
            if kept is None:
                raise
            raise CorpusError(f"{exc} Remove it to go back to **{literal(kept[0])}**, uploaded earlier.") from None
        st.session_state["train_last_upload"] = (upload.name, upload.getvalue())
        return prepared
    if kept is not None:
        # The uploader forgets its file when the page is left; the text it gave is kept.
        st.caption(f"Using **{literal(kept[0])}**, uploaded earlier. Upload another file to replace it.")
        return _user_text("upload", kept[1], kept[0], lowercase, min_chars)
    return None


def _gutenberg_offer(message: str, disabled: bool) -> None:
    cols = st.columns([3, 2], vertical_alignment="center")
    cols[0].caption("NLTK's Gutenberg books (Austen, Carroll, Milton…) are not on this computer yet.",
                    help=message)
    if cols[1].button("Try to download", key="train_gutenberg_download", disabled=disabled, width="stretch",
                      help="Fetches NLTK's Gutenberg selection (about 4 MB). Gives up after 5 s if offline."):
        with st.spinner("Trying to download NLTK's Gutenberg books…"):
            result = download_gutenberg(timeout_s=5)
        st.session_state["train_flash"] = ("success" if result.available else "warning", result.message)
        st.rerun()


def _describe_text(prepared: Prepared) -> None:
    distinct = len(prepared.vocab.chars)
    st.markdown(f"**{literal(prepared.label)}** · {len(prepared.text):,} characters · "
                f"{distinct} different characters")
    with st.expander(f"Preview: the first {PREVIEW_CHARS} characters"):
        st.code(prepared.text[:PREVIEW_CHARS], language=None, wrap_lines=True, height=220)
