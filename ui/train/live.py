"""The Train page's live area: the run's status, its numbers, the loss chart and what the network
writes now. Drawn by a fragment that reruns every second while the session's model trains."""

from __future__ import annotations

import math

import streamlit as st

from lstm_core.i18n import _
from lstm_core.storage.persistence import export_zip
from lstm_core.said import say, sentences

from ui import lesson_facts, models
from lstm_core.training import character_runs as cr
from lstm_core.training import states
from ui.train import session as ts
from ui.train.figures import UNIT_NAMES, loss_figure
from ui.literal import literal
from ui.train.waiting import stopping_notice, waiting_notice




def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


def live_area() -> None:
    job, info = ts.session_job()
    if job is None:
        st.info(_("Choose a text and a network, then press **Start**. The loss curve and samples of the text the "
                  "network writes appear here as it learns."), icon=":material/model_training:")
        return
    view = job.view()
    if ts.needs_saving(job, info):
        st.rerun()  # the run has ended: a full rerun saves the model and updates the sidebar
    if view.running and ts.offer_live_model(job, info):
        st.rerun()  # the model being trained now has weights: list it in the sidebar
    _status(view, info)
    if view.queued or (view.building and view.progress is None):
        return  # nothing to chart yet
    # The numbers beside the chart, so that on a projector both fit on the first screen while it trains.
    numbers, chart = st.columns([1, 2], gap="medium")
    with numbers:
        unit = st.segmented_control(_("Loss in"), ["nats", "bits"], key="train_unit", required=True,
                                    persist_state="session", format_func=lambda u: _(UNIT_NAMES[u]),
                                    help=_("The same loss in two units: nats use the natural log, bits use log "
                                           "base 2 (1 nat = 1.44 bits)."))
        _numbers(view)
        if info.validation_repeated:
            st.caption(_(":orange[:material/content_copy:] The validation text also appears in the training text, "
                         "so its loss says little about new text."))
    with chart:
        st.plotly_chart(loss_figure(view.history, unit=unit or "nats", vocab_size=job.kind.vocab.size, height=320),
                        key="train_chart", config={"displayModeBar": False})
        if view.progress is not None and view.progress.precision == "bfloat16":
            st.caption(_("This computer's processor multiplies **bfloat16** numbers (16 bits instead of 32) "
                         "natively, so training computes in them, about 1.7× as fast; the weights stay 32-bit."))
    st.caption(_("**Loss** is the network's surprise at the true next character, −log p, averaged over characters. "
                 "**Validation loss** is measured on text it never trains on (the last 10% of the text): if it "
                 "stops falling while the training loss still falls, the network is memorising rather than "
                 "learning. In **nats** (natural log) or **bits** (log base 2): 1 bit = the surprise of a fair coin "
                 "toss. The dotted line is guessing at random among all the characters."))
    if view.running:
        _while_it_trains(view, info)
    _samples(view)


def _while_it_trains(view: cr.CharacterView, info: ts.JobInfo) -> None:
    """Below the chart: on the first screen the chart and the numbers come first."""
    entry = models.models().get(view.run_id)  # its name in the sidebar's list, as the sidebar says it
    name = (entry.label if entry is not None and entry.model is not None
            else _("{label} (trained here)").format(label=info.name))
    st.caption(_("Training goes on if you switch pages. To look inside the model as it learns, pick “{model}” as "
                 "the active model in the sidebar, then open **Gates** or **Sample**.").format(model=literal(name)))


def _status(view: cr.CharacterView, info: ts.JobInfo) -> None:
    p = view.progress
    if view.queued and view.queue_position:
        waiting_notice(view.queue_position, view.slots)
        return
    if view.building or view.queued:  # queued with no place in line: its slot has come, it starts now
        st.info(_("Building the network and preparing its first step… This takes a few seconds."),
                icon=":material/hourglass_top:")
        return
    if view.status == states.STOPPING:
        stopping_notice()
        return
    if view.running:
        if p is None:
            st.progress(0.0, text=_("Preparing the first training step…"))
            return
        speed = _("{chars:,.0f} characters/s · learning rate {rate:.2g}").format(chars=p.chars_per_s,
                                                                                  rate=p.learning_rate)
        if view.budget_s:
            left = p.eta_s if p.eta_s is not None else max(0.0, view.budget_s - p.elapsed_s)
            fraction = min(1.0, p.elapsed_s / view.budget_s)
            text = _("{elapsed} of {budget} · about {left} left · {speed}").format(
                elapsed=_clock(p.elapsed_s), budget=_clock(view.budget_s), left=_clock(left), speed=speed)
        else:
            fraction = p.epoch - math.floor(p.epoch)
            text = _("{elapsed} · until you stop it · {speed} · {fraction:.0%} through epoch {epoch}").format(
                elapsed=_clock(p.elapsed_s), speed=speed, fraction=fraction, epoch=math.floor(p.epoch) + 1)
        st.progress(fraction, text=text)
        return
    if view.history.val:
        val = view.history.val[-1]
        steps = _("{steps:,} steps, {time} of training; validation loss {loss:.3f} nats per character "
                  "({bits:.2f} bits)").format(steps=view.steps, time=_clock(view.train_seconds), loss=val,
                                             bits=cr.bits(val))
    else:
        steps = _("{steps:,} steps, {time} of training").format(steps=view.steps, time=_clock(view.train_seconds))
    message = say(view.message)
    if view.status == states.FINISHED:
        lesson_facts.note("training_finished")
        st.success(sentences(_("Finished: {summary}.").format(summary=steps), message), icon=":material/check_circle:")
    elif view.status == states.STOPPED:
        st.info(sentences(_("Stopped: {summary}.").format(summary=steps), message), icon=":material/stop_circle:")
    elif view.status == states.DIVERGED:
        st.error(_("{message} ({summary}.)").format(message=message, summary=steps), icon=":material/trending_up:")
    elif view.status == states.FAILED:
        st.error(_("Training failed: {reason}").format(reason=message), icon=":material/error:")
        details = [n for n in view.notes if "Traceback" in n]
        if details:
            with st.expander(_("Technical details (for a bug report)")):
                st.code(details[-1], language=None)
    if info.save_error:
        st.error(say(info.save_error))
    elif info.saved_folder is not None and info.saved_runs == view.runs_ended:
        c1, c2 = st.columns([3, 1], vertical_alignment="center")
        if info.activated:
            c1.markdown(_("“{model}” is now the **active model** (see the sidebar): the **Gates** and **Sample** "
                          "pages look at it.").format(model=literal(info.name)))
        else:
            c1.markdown(_("“{model}” is kept in the sidebar's model list but is **not** the active model. Choose it "
                          "there to see on **Sample** what a diverged network writes.").format(model=literal(info.name)))
        folder = info.saved_folder
        c2.download_button(_("Download model (.zip)"), data=lambda: export_zip(folder), file_name=f"{folder.name}.zip",
                           mime="application/zip", icon=":material/download:", on_click="ignore",
                           key="train_download", width="stretch")


def _numbers(view: cr.CharacterView) -> None:
    p = view.progress
    unit = st.session_state.get("train_unit") or "nats"
    scale = 1 / math.log(2) if unit == "bits" else 1.0
    c = [cell for _row in range(2) for cell in st.columns(2)]
    unit_name = _(UNIT_NAMES[unit])
    c[0].metric(_("Step"), f"{view.steps:,}")
    c[1].metric(_("Epoch"), f"{p.epoch:.2f}" if p else "–",
                help=_("How many times, on average, the network has seen each character of the training text."))
    # The unit is in the help, not the label: chosen just above, it would cut a Chinese label in two columns.
    per = _("In {unit} per character.").format(unit=unit_name)
    c[2].metric(_("Training loss"), f"{p.train_loss * scale:.3f}" if p else "–",
                help=sentences(_("Average over the last 20 steps."), per))
    val = view.history.val
    delta = None
    if len(val) >= 2:
        delta = f"{(val[-1] - val[-2]) * scale:+.3f}"
    c[3].metric(_("Validation loss"), f"{val[-1] * scale:.3f}" if val else _("not yet"),
                delta=delta, delta_color="inverse",
                help=sentences(_("Measured on the held-out text every 10 s of training (less often when measuring is "
                                 "slow: it never takes over 5% of the time), and at the end. Lower is better."), per))
    if p is not None and view.running and p.val_loss is None:
        st.caption(_("The first validation loss comes after 10 seconds of training."))


def _samples(view: cr.CharacterView) -> None:
    if not view.samples:
        return
    latest = view.samples[-1]
    if view.running:
        st.markdown(_("**What the network writes now** (step {step:,}; new text every few seconds)").format(
            step=latest.step))
    else:
        st.markdown(_("**What the network writes now** (step {step:,}; the end of the run)").format(step=latest.step))
    cols = st.columns(len(latest.texts))
    for col, (temperature, text) in zip(cols, latest.texts):
        col.markdown(_("Temperature **{temperature:g}** · step {step:,}").format(temperature=temperature,
                                                                                step=latest.step))
        col.code(text, language=None, wrap_lines=True, height=240)
    st.caption(_("**Temperature** rescales the network's probabilities before each character is drawn: "
                 "below 1 the likeliest characters become even likelier (safer, more repetitive text); at 1 it "
                 "draws from the network's own probabilities; above 1 it takes more risks."))
    if len(view.samples) > 1:
        with st.expander(_("Earlier samples ({count}), newest first").format(count=len(view.samples) - 1)):
            for s in reversed(view.samples[:-1]):
                for temperature, text in s.texts:
                    st.markdown(_("Step {step:,} · temperature {temperature:g}").format(step=s.step,
                                                                                        temperature=temperature))
                    st.code(text, language=None, wrap_lines=True)
