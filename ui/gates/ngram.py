"""The Gates page's "Against an n-gram" tab: the model against a Kneser-Ney character n-gram model
counted from the same training text, character by character and by kind of place (Karpathy,
Johnson & Fei-Fei 2015): where the network uses more than the last few characters."""

from __future__ import annotations

import hashlib
import html

import numpy as np
import streamlit as st

from lstm_core.data.corpora import BUILTIN, MAX_USER_BYTES, CorpusError, load_corpus, user_text, validation_start
from lstm_core.i18n import _
from lstm_core.inference.ngram import NGramModel
from lstm_core.inference.versus_ngram import lead, places
from ui.figures import gates as fg
from ui.gates import corpus

ORDERS = (1, 2, 3, 4, 5, 6, 7)
DEFAULT_ORDER = 5  # on the three plays, order 5 beats 7 on held-out text: longer contexts are too rare
NGRAM_CHARS = 1_000_000  # counted from the training part's start: seconds to count, tens of MB to keep
SPAN = 3.0  # nats either way at full colour


@st.cache_resource(show_spinner=False, max_entries=4)
def _ngram(corpus: str, order: int, chars: tuple[str, ...]) -> tuple[NGramModel, int]:
    """Shared by every session: one count per built-in text, order and vocabulary."""
    text = load_corpus(corpus).text
    train = text[:validation_start(len(text))][:NGRAM_CHARS]
    return NGramModel.fit(train, order, chars), len(train)


@st.cache_resource(show_spinner=False, max_entries=2)
def _ngram_of(digest: str, _text: str, order: int, chars: tuple[str, ...]) -> tuple[NGramModel, int]:
    """A text a reader gave, counted once per content (its digest), order and vocabulary, for every session:
    a class given one text costs one count."""
    train = _text[:NGRAM_CHARS]
    return NGramModel.fit(train, order, chars), len(train)


def _given_text(model) -> tuple[str, str] | None:
    """(digest, text) of the training text the reader gives for a model LSTM Lab has no text of; None, with
    what to do said, until there is a usable one."""
    upload = st.file_uploader(_("The model's training text (.txt)"), type=["txt"], key="gates_ngram_upload",
                              max_upload_size=MAX_USER_BYTES >> 20,
                              help=_("The n-gram model is counted from the text the network learned from. LSTM Lab "
                                     "has it for its built-in texts; for this model, give it here (UTF-8, up to "
                                     "{limit} MB).").format(limit=MAX_USER_BYTES >> 20))
    if upload is None:
        st.info(_("The n-gram model is counted from the model's training text, which LSTM Lab has only for its "
                  "built-in texts. Give this model's training text above to compare."))
        return None
    lowercase = bool(model.meta.corpus.lowercase)  # as the network read it
    read = st.session_state.get("gates_ngram_given")  # a 20 MB text is not read again on every rerun
    if read is None or read[0] != (upload.file_id, lowercase):
        try:
            text = user_text(upload.getvalue(), lowercase=lowercase, min_chars=2)
            read = ((upload.file_id, lowercase), (hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest(), text))
        except CorpusError as exc:
            read = ((upload.file_id, lowercase), str(exc))
        st.session_state.gates_ngram_given = read
    if isinstance(read[1], str):
        st.error(_("That text cannot be used. {reason}").format(reason=read[1]))
        return None
    return read[1]


def ngram_tab(model, net, text: str, ids: np.ndarray, probs: np.ndarray, unknown: set) -> None:
    st.markdown(_("An n-gram model predicts the next character from the last n−1 only, by counting how often each "
                  "character followed them in the training text. Where the network does better, it uses more: a "
                  "bracket opened long ago, the length of a line."))
    corpus_name = model.meta.corpus.name
    given = None
    if corpus_name not in BUILTIN:
        given = _given_text(model)
        if given is None:
            return
    if len(ids) < 2:
        st.info(_("The text needs at least two characters."))
        return
    order = st.segmented_control(_("n (characters it looks at, the one to predict included)"), ORDERS,
                                 default=DEFAULT_ORDER, key="gates_ngram_order", required=True)
    chars = tuple(model.vocab.chars)
    try:
        with st.spinner(_("Counting the training text…")):
            ngram, counted = _ngram(corpus_name, order, chars) if given is None else _ngram_of(*given, order, chars)
    except CorpusError as exc:
        st.info(str(exc))
        return
    ours = np.log(np.maximum(probs[np.arange(len(ids) - 1), ids[1:]], np.finfo(np.float32).tiny))
    theirs = ngram.text_log_probs(ids)
    leads = lead(ours, theirs)
    m1, m2, m3 = st.columns(3)
    m1.metric(_("The network's loss"), _("{nats:.3f} nats/char").format(nats=-ours.mean()))
    m2.metric(_("The {n}-gram model's loss").format(n=order), _("{nats:.3f} nats/char").format(nats=-theirs.mean()))
    m3.metric(_("Characters the network found likelier"), f"{(leads > 0).mean():.0%}")
    if given is None:
        st.caption(_("The {n}-gram model counted the first {chars:,} characters of the training text (interpolated "
                     "Kneser-Ney smoothing); the network read all of it.").format(n=order, chars=counted))
    else:
        st.caption(_("The {n}-gram model counted the first {chars:,} characters of the text you gave as the model's "
                     "training text (interpolated Kneser-Ney smoothing).").format(n=order, chars=counted))
    st.html(fg.legend_html(-SPAN, SPAN, _("log p(network) − log p(n-gram), nats"), unknown=bool(unknown)))
    tips = [fg.glyph(text[0])] + [_("“{char}”: network {ours:.0%}, n-gram {theirs:.0%}").format(
        char=fg.glyph(text[t + 1]), ours=np.exp(ours[t]), theirs=np.exp(theirs[t])) for t in range(len(leads))]
    st.html(fg.colored_text_html(text, np.concatenate([[0.0], leads]), -SPAN, SPAN, tooltips=tips,
                                 unknown_positions=unknown))
    st.caption(_("Red: the network saw the character coming better; blue: the n-gram model did."))
    _table(places(text, leads))
    held = corpus.held_out(model)
    if held is not None and given is None:
        _over_held_out(net, model.vocab, held, ngram, (corpus_name, order))


def _table(rows: list) -> None:
    if rows:
        head = (_("Predicting"), _("Characters"), _("Mean lead (nats)"), _("Network better"))
        lines = ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|"] + [
            f"| {html.escape(_(p.name))} | {p.count:,} | {p.mean_lead:+.2f} | {p.lstm_better:.0%} |" for p in rows]
        st.markdown("\n".join(lines))


@st.cache_resource(show_spinner=False, max_entries=8)
def _versus(run_key: str, ngram_key: tuple[str, int], _text: str, _vocab, _log_probs: np.ndarray,
            _ngram: NGramModel) -> tuple[float, float, float, list]:
    """The network against the n-gram model over a whole held-out text: (network loss, n-gram loss, share
    of characters the network found likelier, by place), once per corpus run and n-gram model for every
    session (a few seconds over the plays)."""
    theirs = _ngram.text_log_probs(_vocab.encode(_text).ids)
    leads = lead(_log_probs, theirs)
    return float(-_log_probs.mean()), float(-theirs.mean()), float((leads > 0).mean()), places(_text, leads)


def _over_held_out(net, vocab, held: corpus.HeldOut, ngram: NGramModel, ngram_key: tuple[str, int]) -> None:
    """The same comparison over every character of the model's held-out text, from the corpus run the
    pattern ranking and gate saturation use."""
    st.markdown(_(held.words["versus"]))
    found = corpus.counted(net, vocab, held, ("versus_start", "gates_ngram_corpus_start"))
    if found is None:
        return
    text = corpus.held_out_text(held.name)
    with st.spinner(_("Comparing over the held-out text…")):
        ours, theirs, better, rows = _versus(found.key, ngram_key, text, vocab, found.result.log_probs, ngram)
    m1, m2, m3 = st.columns(3)
    m1.metric(_("The network's loss"), _("{nats:.3f} nats/char").format(nats=ours))
    m2.metric(_("The {n}-gram model's loss").format(n=ngram_key[1]), _("{nats:.3f} nats/char").format(nats=theirs))
    m3.metric(_("Characters the network found likelier"), f"{better:.0%}")
    st.caption(_("Over {chars:,} characters the model never read.").format(chars=len(text)))
    _table(rows)
