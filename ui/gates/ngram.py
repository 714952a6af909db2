"""The Gates page's "Against an n-gram" tab: the model against a Kneser-Ney character n-gram model
counted from the same training text, character by character and by kind of place (Karpathy,
Johnson & Fei-Fei 2015): where the network uses more than the last few characters."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from lstm_core.data.corpora import BUILTIN, CorpusError, load_corpus, validation_start
from lstm_core.i18n import _
from lstm_core.inference.ngram import NGramModel
from lstm_core.inference.versus_ngram import lead, places
from ui.figures import gates as fg

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


def ngram_tab(model, text: str, ids: np.ndarray, probs: np.ndarray, unknown: set) -> None:
    st.markdown(_("An n-gram model predicts the next character from the last n−1 only, by counting how often each "
                  "character followed them in the training text. Where the network does better, it uses more: a "
                  "bracket opened long ago, the length of a line."))
    corpus = model.meta.corpus.name
    if corpus not in BUILTIN:
        st.info(_("The n-gram model is counted from the model's training text, which LSTM Lab has only for its "
                  "built-in texts."))
        return
    if len(ids) < 2:
        st.info(_("The text needs at least two characters."))
        return
    order = st.segmented_control(_("n (characters it looks at, the one to predict included)"), ORDERS,
                                 default=DEFAULT_ORDER, key="gates_ngram_order", required=True)
    try:
        with st.spinner(_("Counting the training text…")):
            ngram, counted = _ngram(corpus, order, tuple(model.vocab.chars))
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
    st.caption(_("The {n}-gram model counted the first {chars:,} characters of the training text (interpolated "
                 "Kneser-Ney smoothing); the network read all of it.").format(n=order, chars=counted))
    st.html(fg.legend_html(-SPAN, SPAN, _("log p(network) − log p(n-gram), nats"), unknown=bool(unknown)))
    tips = [fg.glyph(text[0])] + [_("“{char}”: network {ours:.0%}, n-gram {theirs:.0%}").format(
        char=fg.glyph(text[t + 1]), ours=np.exp(ours[t]), theirs=np.exp(theirs[t])) for t in range(len(leads))]
    st.html(fg.colored_text_html(text, np.concatenate([[0.0], leads]), -SPAN, SPAN, tooltips=tips,
                                 unknown_positions=unknown))
    st.caption(_("Red: the network saw the character coming better; blue: the n-gram model did."))
    rows = places(text, leads)
    if rows:
        head = (_("Predicting"), _("Characters"), _("Mean lead (nats)"), _("Network better"))
        lines = ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|"] + [
            f"| {html.escape(_(p.name))} | {p.count:,} | {p.mean_lead:+.2f} | {p.lstm_better:.0%} |" for p in rows]
        st.markdown("\n".join(lines))
