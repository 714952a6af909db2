"""A line at the top of the sidebar on every other page while this session trains: which model, how far,
and a link back to the page that shows it. It refreshes itself (a fragment) until the training ends."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import _
from lstm_core.sentiment.model import ARCHS
from lstm_core.training.states import QUEUED, STOPPING

from ui.literal import literal
from ui.train import session as ts

REFRESH_S = 2.0


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _trainings(page: str) -> list[tuple[str, str, str]]:
    """(what, the page's file, its name) for each training of this session still running, except on the page
    that shows it."""
    lines = []
    job, info = ts.session_job()
    if page != "train" and job is not None and job.is_alive:
        view = job.view()
        name = literal(info.name) if info is not None else ""
        p = view.progress
        if view.status == QUEUED:
            how = _("waiting for a free training slot")
        elif view.status == STOPPING:
            how = _("stopping")
        elif p is None:
            how = _("starting")
        elif view.budget_s:
            how = _("{elapsed} of {budget}, step {step:,}").format(elapsed=_clock(p.elapsed_s),
                                                                   budget=_clock(view.budget_s), step=p.step)
        else:
            how = _("{elapsed}, step {step:,}").format(elapsed=_clock(p.elapsed_s), step=p.step)
        lines.append((_("**Training** “{model}”: {how}").format(model=name, how=how), "pages/train.py", _("Train")))
    sentiment = st.session_state.get("sent_job")
    if page != "sentiment" and sentiment is not None and sentiment.is_alive:
        view = sentiment.view()
        run = view.runs[view.current]
        how = (_("waiting for a free training slot") if view.status == QUEUED
               else _("epoch {epoch} of {epochs}").format(epoch=min(run.settings.epochs, int(run.progress.epoch) + 1),
                                                          epochs=run.settings.epochs)
               if run.progress is not None else _("starting"))
        lines.append((_("**Training** the {arch} classifier: {how}").format(arch=_(ARCHS[run.settings.arch]),
                                                                              how=how),
                      "pages/sentiment.py", _("Sentiment")))
    return lines


def show(page: str) -> None:
    """In the sidebar: the session's trainings that another page shows, live."""
    if _trainings(page):
        st.fragment(_live, run_every=REFRESH_S)(page)


def _live(page: str) -> None:
    lines = _trainings(page)
    if not lines:
        st.rerun()  # it ended: the whole page again, so the sidebar's model list shows the trained model
    for text, target, name in lines:
        st.caption(text)
        # Link labels stay short (Streamlit cuts long ones): what is training is said above.
        st.page_link(target, label=_("Watch it on {page}").format(page=name), icon=":material/model_training:")
