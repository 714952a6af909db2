"""What a page reads, or starts writing from, before the reader types anything, chosen for the
active model's kind of text: Shakespeare's plays, or Chinese poems.

A model trained on 全唐诗 knows no Latin letters, so Hamlet's lines would read as a row of
unknown characters; it gets a 五言绝句 instead, one of the held-out poems it never trained on.
A text the reader typed is theirs: only a page's own default follows the model.
"""

from __future__ import annotations

import functools
import re

import streamlit as st

from lstm_core.data.corpora import POETRY, CorpusError

# 李白《静夜思》, a 五言绝句 every Chinese reader knows: for when the poems are not on this computer.
QUIET_NIGHT = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"
_JUEJU = re.compile(r"[\u4e00-\u9fff]{5}，[\u4e00-\u9fff]{5}。\n[\u4e00-\u9fff]{5}，[\u4e00-\u9fff]{5}。")


def poetry_corpus(model) -> str | None:
    """The poetry corpus a model was trained on (a key of corpora.POETRY), or None."""
    name = model.meta.corpus.name if model is not None else None
    return name if name in POETRY else None


@functools.lru_cache(maxsize=None)
def held_out_jueju(corpus: str) -> str:
    """The first 五言绝句 among the corpus's held-out poems (four lines of five characters)."""
    from lstm_core.data import poetry

    try:
        poems = poetry.heldout_split(corpus)[1].split("\n\n")
    except CorpusError:
        return QUIET_NIGHT
    return next((p.strip() for p in poems if _JUEJU.fullmatch(p.strip())), QUIET_NIGHT)


def poem(model) -> str | None:
    """A whole short poem for a poetry model to read; None for any other model."""
    corpus = poetry_corpus(model)
    return held_out_jueju(corpus) if corpus else None


def opening(model) -> str | None:
    """The start of a poem for a poetry model to carry on (its first half-line); None for any other."""
    text = poem(model)
    return text[:text.index("，") + 1] if text else None


def first_line(model) -> str | None:
    """One line of a poem for a poetry model; None for any other."""
    text = poem(model)
    return text.split("\n")[0] if text else None


def follow(key: str, default: str) -> None:
    """Give the text widget `key` the page's default for this model, unless the reader typed their own."""
    said = f"{key}__default"
    if st.session_state.get(key) in (None, st.session_state.get(said)):
        st.session_state[key] = default
    st.session_state[said] = default
