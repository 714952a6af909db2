"""Find units over a whole text, not only the passage on screen: the text a pretrained model never read
(the three held-out Shakespeare plays, about 450,000 characters; the Tang model's held-out poems, about
350,000), counted once per model by a corpus run (lstm_core.inference.corpus_run) and then shared by
every tab of the server and kept on disk.

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

from lstm_core.data import corpora, poetry
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
# What the page says of each held-out text: "plays" for the Shakespeare models, "poems" for a poetry model.
WORDS = {
    "plays": {"intro": N_("**Over the three held-out plays.** The passage above is short, so a score can be luck. "
                          "The same ranking over every character of {plays}, which the model never read, says which "
                          "units really follow the pattern."),
              "start": N_("Rank over the held-out plays"),
              "progress": N_("Counting over the held-out plays… {done:.0%} (you can leave this page: it goes on, "
                             "and is kept for everyone)"),
              "absent": N_("This pattern does not occur in the held-out plays."),
              "best": N_("Best: unit {unit}, {score} ± {se} over the plays."),
              "saturation": N_("Over the held-out plays"),
              "versus": N_("**Over the three held-out plays.** The passage above is short. Over every character of "
                           "the plays the model never read, the network against the same n-gram model:"),
              "versus_start": N_("Compare over the held-out plays")},
    "poems": {"intro": N_("**Over the held-out poems.** The passage above is short, so a score can be luck. The same "
                          "ranking over every character of the {count:,} poems the model never read says which units "
                          "really follow the pattern."),
              "start": N_("Rank over the held-out poems"),
              "progress": N_("Counting over the held-out poems… {done:.0%} (you can leave this page: it goes on, "
                             "and is kept for everyone)"),
              "absent": N_("This pattern does not occur in the held-out poems."),
              "best": N_("Best: unit {unit}, {score} ± {se} over the poems."),
              "saturation": N_("Over the held-out poems"),
              "versus": N_("**Over the held-out poems.** The passage above is short. Over every character of the "
                           "poems the model never read, the network against the same n-gram model:"),
              "versus_start": N_("Compare over the held-out poems")},
}
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
def held_out_text(name: str) -> str:
    """"plays": the three held-out plays; a poetry corpus's key: its held-out poems."""
    if name == "plays":
        return "\n\n".join(corpora.held_out_text(play) for play in corpora.HELD_OUT_PLAYS)
    return poetry.heldout_split(name)[1]


@dataclass(frozen=True)
class HeldOut:
    name: str  # "plays", or a poetry corpus's key (held_out_text)
    poems: int = 0

    @property
    def words(self) -> dict[str, str]:
        """What the page says of this text (WORDS)."""
        return WORDS["plays" if self.name == "plays" else "poems"]


def held_out(model) -> HeldOut | None:
    """The held-out text the whole-text ranking reads for a model: only for models whose held-out text is
    known (the pretrained ones), so it is one they never read; else None."""
    held = model.meta.held_out
    if held is None:
        return None
    if held.plays:
        return HeldOut("plays")
    name = model.meta.corpus.name
    return HeldOut(name, held.poems.count) if held.poems is not None and name in corpora.POETRY else None


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


def job(net, vocab, text_name: str, start: bool) -> CorpusJob | None:
    """The model's run over a held-out text: finished (from memory or disk), running, or, with `start`,
    started now; None when it is neither and not asked to start."""
    jobs, lock = _jobs()
    text = held_out_text(text_name)
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


def counted(net, vocab, held: HeldOut, start: tuple[str, str] | None = None) -> CorpusJob | None:
    """The run over the held-out text once it has counted; until then None, with what goes on said: the
    poems' package missing, the run's error or progress, or, with `start` (its words' key in WORDS, its
    widget key), the button that starts it. Without `start` the reader has asked already: it starts now."""
    try:
        found = job(net, vocab, held.name, start=start is None)
    except corpora.CorpusError as exc:  # the poems' package is missing: said as the other pages say it
        st.info(str(exc))
        return None
    if found is None:
        if st.button(_(held.words[start[0]]), key=start[1], icon=":material/functions:"):
            job(net, vocab, held.name, start=True)
            st.rerun()
        return None
    return None if _pending(found, held.words) else found


def section(net, vocab, held: HeldOut, layer: int, quantity: str, label: str, pattern: str) -> None:
    """Under the passage's ranking: the same built-in pattern ranked over the model's held-out text, for
    the network shown (the model, or one of its training steps)."""
    if pattern not in PREDICATES:
        return
    st.markdown(_(held.words["intro"]).format(plays=_(PLAYS), count=held.poems))
    found = counted(net, vocab, held, ("start", "gates_corpus_start"))
    if found is not None:
        _shown(found.result, held.words, layer, quantity, label, pattern)


def saturation_over(net, vocab, held: HeldOut, layer: int, gates: tuple[str, ...]) -> tuple[dict, int] | None:
    """Gate saturation over the held-out text, when the reader asks for it: (per gate, the fractions below
    0.1 and above 0.9 of each unit; the characters counted) once counted. None while the passage's own
    are to be shown: not asked for, still counting (its progress shown), or failed (said)."""
    if not st.toggle(_(held.words["saturation"]), key="gates_saturation_over", persist_state="session",
                     help=_("The passage above is short. Over the whole held-out text, which the model never read, "
                            "the fractions are steady; counted once for everyone.")):
        return None
    found = counted(net, vocab, held)
    if found is None:
        return None
    return {g: found.result.saturation(layer, g) for g in gates}, found.result.characters


@st.fragment(run_every=1.0)
def _progress(found: CorpusJob, words: dict[str, str]) -> None:
    if found.result is not None or found.error is not None:
        st.rerun(scope="app")
    st.progress(found.progress, text=_(words["progress"]).format(done=found.progress))


def _pending(found: CorpusJob, words: dict[str, str]) -> bool:
    """Whether the run has no result to show yet: then its error is said, or its progress shown."""
    if found.error is not None:
        st.error(say(found.error))
        return True
    if found.result is None:
        _progress(found, words)
        return True
    return False


def _shown(result: CorpusResult, words: dict[str, str], layer: int, quantity: str, label: str, pattern: str) -> None:
    if pattern not in result.patterns:
        st.caption(_(words["absent"]))
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
    st.markdown(_(words["best"]).format(
        unit=best, score=f"{score[best]:.3f}", se=f"{scores.se[best]:.3f}"))
