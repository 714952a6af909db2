"""Train: pick a text and a network, train it live, and watch the loss fall and the samples turn
from noise into words. Training runs in a child process (lstm_core.training.character_runs); this script only reads
it, so switching pages neither stops nor loses it. The sections are drawn by ui.train.text,
ui.train.settings and ui.train.live; this file holds the controls and the layout."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import _
from lstm_core.spec import ModelSpec, SpecError
from lstm_core.said import say
from lstm_core.training.train_worker import TrainRecipe
from lstm_core.training.trainer import TrainConfig, TrainError
from ui import models, shell
from lstm_core.training.job import new_run_id
from ui.train import session as ts
from ui.literal import literal
from ui.train.pretrained_story import learning_history
from ui.train.live import live_area
from ui.train.code import keras_equivalent
from ui.train.settings import DEFAULTS, memory_check, model_section, training_section
from ui.train.text import Prepared, shown_label, text_section

shell.require_app()

DURATIONS = [15, 30, 60, 120, 300, 600, 0]  # seconds; 0 = until I stop it


def _duration_label(seconds: int) -> str:
    if seconds == 0:
        return _("until I stop it")
    return _("{n} s").format(n=seconds) if seconds < 60 else _("{n} min").format(n=seconds // 60)


def _seconds() -> float | None:
    value = st.session_state.get("train_duration", DEFAULTS["train_duration"])
    return None if not value else float(value)


def _start(prepared: Prepared, spec: ModelSpec, config: TrainConfig, memory_mb: int) -> None:
    run_id = new_run_id()
    # The model's name, for good (it is saved with the model): in the language of whoever trained it.
    label = f"{spec.cell_name} {spec.layers}×{spec.units} · {shown_label(prepared)}"
    info = ts.JobInfo(corpus=prepared.corpus_meta, spec=spec, config=config, label=label,
                      folder=models.session_dir() / run_id,
                      validation_repeated=prepared.validation_repeated)
    vocab = prepared.vocab
    recipe = TrainRecipe.from_text(spec, vocab, prepared.text, config, corpus_name=prepared.label)
    ts.start_job(recipe, info, _seconds(), run_id, memory_mb=memory_mb)


def controls(prepared: Prepared | None, spec: ModelSpec | None, config: TrainConfig | None) -> None:
    job, info = ts.session_job()
    view = job.view() if job is not None else None
    running = view is not None and view.running
    can_resume = view is not None and not running and view.saved
    # After a server restart the active model may be a run whose job was lost: its folder resumes it.
    restoring = job is None and ts.restorable(models.active())
    why_not = ts.why_not_restore(models.active(), prepared) if restoring else None
    can_resume = can_resume or (restoring and why_not is None)
    ready = prepared is not None and spec is not None and config is not None
    memory_mb = memory_check(prepared, spec, config) if ready and not running else None
    ready = ready and (running or memory_mb is not None)
    c1, c2, c3, c4 = st.columns([2.2, 1, 1, 1], vertical_alignment="bottom")
    if running and int(view.budget_s or 0) in DURATIONS:
        # The run's own time, also in a tab that did not start it (a reload, a second tab).
        st.session_state["train_duration"] = int(view.budget_s or 0)
    c1.select_slider(_("Training time"), DURATIONS, key="train_duration", format_func=_duration_label,
                     disabled=running, persist_state="session",
                     help=_("Wall-clock time. “Until I stop it” stops by itself after an hour."))
    start = c2.button(_("Start"), key="train_start", type="primary", icon=":material/play_arrow:",
                      disabled=running or not ready, width="stretch",
                      help=_("Train a new network from random weights with the settings below."))
    stop = c3.button(_("Stop"), key="train_stop", icon=":material/stop:", disabled=not running, width="stretch",
                     help=_("Stops after the current step; a run that does not stop within a few seconds (still "
                            "building, or inside one long step) is ended. The model saved last is kept."))
    resume = c4.button(_("Resume"), key="train_resume", icon=":material/resume:", disabled=not can_resume,
                       width="stretch",
                       help=_("Continue training the same network (same weights and optimizer state), with the "
                              "learning rate and training time chosen now."))
    if start and ready and not running:
        try:
            _start(prepared, spec, config, memory_mb)
            st.session_state["train_collapse_settings"] = True
        except (RuntimeError, TrainError, SpecError, ValueError) as exc:
            st.session_state["train_flash"] = ("error", _("Training could not start: {reason}").format(reason=exc))
        st.rerun()
    if stop and job is not None:
        job.stop()
        st.rerun()
    if why_not is not None:
        st.caption(say(why_not))
    if resume and can_resume:
        try:
            if job is None:
                job, info = ts.restore_job(models.active(), prepared)
            ts.resume_job(job, info, _seconds(), float(st.session_state.get("train_lr", TrainConfig.learning_rate)))
        except (RuntimeError, TrainError, ValueError) as exc:
            st.session_state["train_flash"] = ("error", _("Training could not resume: {reason}").format(reason=exc))
        st.rerun()
    if job is not None and not running and ready and can_resume:
        st.caption(_("**Start** trains a new network from scratch; **Resume** continues the one above (“{model}”), "
                     "whatever the settings now say, except the learning rate and training time.").format(
                         model=literal(info.name)))


def main() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)

    job, info = ts.session_job()
    if job is not None and ts.needs_saving(job, info):
        with st.spinner(_("Loading the trained model…")):
            ts.finalise(job, info)
        st.rerun()  # the sidebar, drawn before this page, then shows the new active model
    if job is not None and job.is_alive:
        ts.offer_live_model(job, info)

    st.title(_("Train a model"))
    st.markdown(_("Train a character-level network on a text, live. It starts from random weights, so at first it "
                  "writes noise; watch the loss fall and the samples turn into words."))
    flash = st.session_state.pop("train_flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])

    view = job.view() if job is not None else None
    running = view is not None and view.running
    if st.session_state.pop("train_collapse_settings", False):
        st.session_state["train_settings_open"] = False  # make room for the live view
    # Open on a first visit; closed when coming back to a model in training (the expander does not
    # keep its state across pages).
    st.session_state.setdefault("train_settings_open", job is None)
    # The label changes only when a run starts or ends: a label that followed every slider would
    # re-create the expander, and the widget under the user's mouse with it.
    if running:
        label = _("Settings (locked while training): {summary}").format(summary=info.summary())
    elif job is not None:
        label = _("Settings · last run: {summary}").format(summary=info.summary())
    else:
        label = _("Settings: the text, the network and the training")
    # Start, Stop and the training time come first, on the first screen of a projector (1280×800); they
    # are drawn once the settings below are read.
    start_area = st.container()
    with st.expander(label, key="train_settings_open", on_change="rerun", icon=":material/tune:"):
        left, right = st.columns([1, 1], gap="large")
        with left:
            prepared = text_section(running)
        with right:
            spec = model_section(prepared, running)
        config = training_section(prepared, running)
    keras_equivalent(spec, config)
    with start_area:
        controls(prepared, spec, config)
    st.divider()
    # Auto-refresh while training, and after a Stop until the run's process has saved and ended; then
    # the fragment asks for one full rerun (saving), after which it is drawn without a timer. Leaving
    # the page cancels the timer in the browser, but not the training.
    st.fragment(live_area, run_every=1.0 if running or (job is not None and job.is_alive) else None)()
    learning_history()


main()
