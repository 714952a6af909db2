"""Train: pick a text and a network, train it live, and watch the loss fall and the samples turn
from noise into words. Training runs in a child process (ui.training_job); this script only reads
it, so switching pages neither stops nor loses it. The sections are drawn by ui.train_text,
ui.train_settings and ui.train_live; this file holds the controls and the layout."""

from __future__ import annotations

import streamlit as st

from lstm_core.spec import ModelSpec, SpecError
from lstm_core.training.train_worker import TrainRecipe
from lstm_core.training.trainer import TrainConfig, TrainError
from ui import models, shell
from ui import training_job as tj
from ui import training_session as ts
from ui.literal import literal
from ui.pretrained_story import learning_history
from ui.train_live import live_area
from ui.train_settings import DEFAULTS, memory_check, model_section, training_section
from ui.train_text import Prepared, text_section

shell.require_app()

DURATIONS = [15, 30, 60, 120, 300, 600, 0]  # seconds; 0 = until I stop it


def _duration_label(seconds: int) -> str:
    if seconds == 0:
        return "until I stop it"
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min"


def _seconds() -> float | None:
    value = st.session_state.get("train_duration", DEFAULTS["train_duration"])
    return None if not value else float(value)


def _start(prepared: Prepared, spec: ModelSpec, config: TrainConfig, memory_mb: int) -> None:
    run_id = tj.new_run_id()
    label = f"{spec.cell_name} {spec.layers}×{spec.units} · {prepared.label}"
    summary = (f"{label}, sequence length {config.seq_len}, batch {config.batch_size}, "
               f"learning rate {config.learning_rate:g}")
    info = ts.JobInfo(corpus=prepared.corpus_meta, spec=spec, config=config, label=label,
                      folder=models.session_dir() / run_id, summary=summary)
    vocab = prepared.vocab
    recipe = TrainRecipe.from_text(spec, vocab, prepared.text, config, corpus_name=prepared.label)
    ts.start_job(recipe, info, _seconds(), run_id, memory_mb=memory_mb)


def controls(prepared: Prepared | None, spec: ModelSpec | None, config: TrainConfig | None) -> None:
    job, info = ts.session_job()
    view = job.view() if job is not None else None
    running = view is not None and view.running
    can_resume = view is not None and not running and view.saved
    ready = prepared is not None and spec is not None and config is not None
    memory_mb = memory_check(prepared, spec, config) if ready and not running else None
    ready = ready and (running or memory_mb is not None)
    c1, c2, c3, c4 = st.columns([2.2, 1, 1, 1], vertical_alignment="bottom")
    c1.select_slider("Training time", DURATIONS, key="train_duration", format_func=_duration_label,
                     disabled=running, persist_state="session",
                     help="Wall-clock time. “Until I stop it” stops by itself after an hour.")
    start = c2.button("Start", type="primary", icon=":material/play_arrow:", disabled=running or not ready,
                      width="stretch", help="Train a new network from random weights with the settings above.")
    stop = c3.button("Stop", icon=":material/stop:", disabled=not running, width="stretch",
                     help="Stops after the current step; a run that does not stop within a few seconds (still "
                          "building, or inside one long step) is ended. The model saved last is kept.")
    resume = c4.button("Resume", icon=":material/resume:", disabled=not can_resume, width="stretch",
                       help="Continue training the same network (same weights and optimizer state), with the "
                            "learning rate and training time chosen now.")
    if start and ready and not running:
        try:
            _start(prepared, spec, config, memory_mb)
            st.session_state["train_collapse_settings"] = True
        except (RuntimeError, TrainError, SpecError, ValueError) as exc:
            st.session_state["train_flash"] = ("error", f"Training could not start: {exc}")
        st.rerun()
    if stop and job is not None:
        job.stop()
        st.rerun()
    if resume and job is not None and can_resume:
        try:
            ts.resume_job(job, info, _seconds(), float(st.session_state.get("train_lr", TrainConfig.learning_rate)))
        except (RuntimeError, TrainError, ValueError) as exc:
            st.session_state["train_flash"] = ("error", f"Training could not resume: {exc}")
        st.rerun()
    if job is not None and not running and ready and can_resume:
        st.caption("**Start** trains a new network from scratch; **Resume** continues the one above "
                   f"(“{literal(info.label)}”), whatever the settings now say, except the learning rate "
                   "and training time.")


def main() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)

    job, info = ts.session_job()
    if job is not None and ts.needs_saving(job, info):
        with st.spinner("Loading the trained model…"):
            ts.finalise(job, info)
        st.rerun()  # the sidebar, drawn before this page, then shows the new active model
    if job is not None and job.is_alive:
        ts.offer_live_model(job, info)

    st.title("Train a model")
    st.markdown("Train a character-level network on a text, live. It starts from random weights, so at first it "
                "writes noise; watch the loss fall and the samples turn into words.")
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
        label = f"Settings (locked while training): {info.summary}"
    elif job is not None:
        label = f"Settings · last run: {info.summary}"
    else:
        label = "Settings: the text, the network and the training"
    with st.expander(label, key="train_settings_open", on_change="rerun", icon=":material/tune:"):
        left, right = st.columns([1, 1], gap="large")
        with left:
            prepared = text_section(running)
        with right:
            spec = model_section(prepared, running)
        config = training_section(prepared, running)
    controls(prepared, spec, config)
    st.divider()
    # Auto-refresh only while training; when it ends the fragment asks for one full rerun (saving),
    # after which it is drawn without a timer. Leaving the page cancels the timer in the browser,
    # but not the training.
    st.fragment(live_area, run_every=1.0 if running else None)()
    learning_history()


main()
