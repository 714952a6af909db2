"""Find units over a whole text, not only the passage on screen: the three plays the pretrained
Shakespeare models never read (about 450,000 characters), counted once per model by a corpus run
(lstm_core.inference.corpus_run) and then shared by every tab of the server and kept on disk.

A run goes on in a thread of the server at a lower priority than the pages' answers, so a tab can
leave and pick it up later; the thread never calls Streamlit. A fragment shows its progress.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from lstm_core.data import corpora
from lstm_core.i18n import N_, _
from lstm_core.inference import corpus_run
from lstm_core.inference.corpus_result import CorpusResult
from lstm_core.inference.unit_stats import PREDICATES
from lstm_core.said import Said, say
from lstm_core.storage import corpus_cache

log = logging.getLogger(__name__)

OPTIONS = corpus_run.CorpusOptions(match_bits=False)  # the ranking needs no per-position bits
TOP_UNITS = 10
NICE = 10  # below the pages' threads: a class clicking keeps its answers while a run counts
PLAYS = N_("Othello, Twelfth Night and Henry V")
# The page's quantities the engine does not keep: tanh(c) rises with c, so it orders characters alike
# (the same score and direction).
RANKED_AS = {"tanh_c": "c"}


@dataclass
class CorpusJob:
    """One model's run over one text, shared by every tab; written by its thread, read by pages."""

    key: str
    progress: float = 0.0
    result: CorpusResult | None = None
    error: Said | None = None


@st.cache_resource(show_spinner=False)
def _jobs() -> tuple[dict[str, CorpusJob], threading.Lock]:
    return {}, threading.Lock()


@st.cache_resource(show_spinner=False, max_entries=2)
def held_out_plays() -> str:
    return "\n\n".join(corpora.held_out_text(play) for play in corpora.HELD_OUT_PLAYS)


def offered(model) -> bool:
    """Whether the whole-text ranking is offered: models whose held-out plays are known (the pretrained
    Shakespeare ones), so the text is one they never read."""
    held = model.meta.held_out
    return held is not None and bool(held.plays)


def _work(job: CorpusJob, net, vocab, text: str) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except OSError:  # not allowed here: it runs at the server's priority
        pass
    try:
        result = corpus_run.run(net, vocab, text, options=OPTIONS,
                                progress=lambda done: setattr(job, "progress", done))
        corpus_cache.save(result, job.key)
        job.result = result
    except Exception as exc:  # said on the page; the traceback for whoever runs the server
        log.exception("corpus run %s failed", job.key)
        job.error = Said(N_("Counting over the whole text failed: {error}"), error=str(exc))


def job(net, vocab, start: bool) -> CorpusJob | None:
    """The model's run over the held-out plays: finished (from memory or disk), running, or, with
    `start`, started now; None when it is neither and not asked to start."""
    jobs, lock = _jobs()
    text = held_out_plays()
    key = corpus_cache.key(net, text, options=OPTIONS)
    with lock:
        found = jobs.get(key)
        if found is None:
            cached = corpus_cache.load(key)
            if cached is not None:
                found = jobs[key] = CorpusJob(key, 1.0, cached)
        if found is None and start:
            found = jobs[key] = CorpusJob(key)
            threading.Thread(target=_work, args=(found, net, vocab, text), daemon=True,
                             name=f"corpus-{key[:8]}").start()
    return found


def section(net, vocab, layer: int, quantity: str, label: str, pattern: str) -> None:
    """Under the passage's ranking: the same built-in pattern ranked over the held-out plays, for the
    network shown (the model, or one of its training steps)."""
    if pattern not in PREDICATES:
        return
    st.markdown(_("**Over the three held-out plays.** The passage above is short, so a score can be luck. "
                  "The same ranking over every character of {plays}, which the model never read, says which "
                  "units really follow the pattern.").format(plays=_(PLAYS)))
    found = job(net, vocab, start=False)
    if found is None:
        if st.button(_("Rank over the held-out plays"), key="gates_corpus_start", icon=":material/functions:"):
            job(net, vocab, start=True)
            st.rerun()
        return
    _shown(found, layer, quantity, label, pattern)


@st.fragment(run_every=1.0)
def _progress(found: CorpusJob) -> None:
    if found.result is not None or found.error is not None:
        st.rerun(scope="app")
    st.progress(found.progress, text=_("Counting over the held-out plays… {done:.0%} (you can leave this page: it "
                                       "goes on, and is kept for everyone)").format(done=found.progress))


def _shown(found: CorpusJob, layer: int, quantity: str, label: str, pattern: str) -> None:
    if found.error is not None:
        st.error(say(found.error))
        return
    if found.result is None:
        _progress(found)
        return
    result = found.result
    if pattern not in result.patterns:
        st.caption(_("This pattern does not occur in the held-out plays."))
        return
    scores = result.auc(layer, RANKED_AS.get(quantity, quantity), pattern)
    ranking = result.ranking(layer, RANKED_AS.get(quantity, quantity), pattern)
    top = ranking.top(TOP_UNITS)
    st.caption(_("Ranked by their **{label}** over {chars:,} characters: {inside:,} in the pattern and {outside:,} "
                 "outside. ± is the standard error (Hanley & McNeil), a lower bound: neighbouring characters are "
                 "not independent.").format(label=label, chars=result.characters, inside=scores.n_inside,
                                           outside=scores.n_outside))
    score = np.maximum(scores.auc, 1 - scores.auc)
    unit_col, score_col, se_col, inside_col = _("unit"), _("score"), _("±"), _("inside")
    frame = pd.DataFrame({unit_col: top, score_col: score[top], se_col: scores.se[top],
                          inside_col: [_("higher") if s > 0 else _("lower") if s < 0 else _("no difference")
                                       for s in ranking.sign[top]]})
    number = st.column_config.NumberColumn(format="%.3f")
    st.dataframe(frame, hide_index=True, width="stretch", key="gates_corpus_table",
                 column_config={score_col: number, se_col: number})
    best = int(top[0])
    st.markdown(_("Best: unit {unit}, {score} ± {se} over the plays.").format(
        unit=best, score=f"{score[best]:.3f}", se=f"{scores.se[best]:.3f}"))
