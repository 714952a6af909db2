"""The Anatomy page's "Memory test" tab: a SimpleRNN, a GRU and an LSTM trained live to remember a
letter across steps of noise (a background job, polled by a fragment that never blocks), their accuracy
curves, and their gradients before and after training, which the "Vanishing gradients" tab shows too.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from lstm_core import i18n
from lstm_core.i18n import _, ngettext
from lstm_core.said import say
from lstm_core.teaching import memory_runs as mr
from lstm_core.teaching import toy_memory as tm
from lstm_core.training.states import FAILED, RUNNING
from ui.anatomy import figures as fa

TOY_CONFIG = tm.ToyConfig()


def _toy_config() -> tm.ToyConfig:
    # Tests may put a smaller configuration here; the page itself always uses the default.
    base = st.session_state.get("anatomy_toy_config") or TOY_CONFIG
    return tm.with_seed(base, int(st.session_state.get("anatomy_toy_seed", 0)))


def _said(text: str) -> str:
    """A phase marked in the training process (English there), in the reader's language."""
    return _(text) if text else text


def toy_view(start: bool = False) -> mr.MemoryView | None:
    job = st.session_state.get("anatomy_toy_job")
    if job is None or job.kind.config != _toy_config() or (start and job.view().result is None
                                                            and not job.is_alive):
        if not start:
            return job.view() if job is not None else None
        job = mr.shared_job(_toy_config())
        st.session_state.anatomy_toy_job = job
    return job.view()


def memory_tab() -> None:
    cfg = _toy_config()
    st.markdown(
        _("Can a network remember one letter across N steps of noise? Each sequence starts with one of "
          "{symbols} letters ({letters}), given as {symbols} numbers with a single 1. "
          "Then come N steps of **noise**: {symbols} random numbers per step, louder than the letter (standard "
          "deviation {noise:g}). After the last step the network must name the letter; guessing gets "
          "{chance:.1%} right.").format(symbols=cfg.symbols, letters=tm.LETTERS[:cfg.symbols], noise=cfg.noise,
                                        chance=cfg.chance))
    x, letter = tm.example(cfg, 20)
    st.plotly_chart(fa.sequence_figure(x, tm.LETTERS), config={"displayModeBar": False}, key="anatomy_toy_example")
    st.caption(_("One sequence with N = 20: the letter is {letter} (the single 1 in the first, boxed column); "
                 "everything after it is noise the network must ignore.").format(letter=letter))
    st.markdown(
        _("A **SimpleRNN**, a **GRU** and an **LSTM**, {units} units each, get exactly the same training: "
          "the same {steps} batches of {batch} sequences (N from 1 to {max_gap}, as many short as long), "
          "the same optimizer (Adam), trained live here on the server's CPU in under a minute.").format(
            units=cfg.units, steps=cfg.steps, batch=cfg.batch, max_gap=cfg.max_gap))
    c1, c2 = st.columns([1, 4], vertical_alignment="bottom")
    with c1:
        st.number_input(_("Seed"), 0, 99, step=1, key="anatomy_toy_seed",
                        help=_("Another seed draws other initial weights and other sequences."))
    view = toy_view(start=False)
    running = view is not None and not view.done
    with c2:
        if st.button(_("Train the three networks"), key="anatomy_toy_train", type="primary", disabled=running,
                     icon=":material/play_arrow:"):
            view = toy_view(start=True)
            if not view.done:
                st.rerun()  # draw the page again with the button disabled while it trains
    if view is None:
        st.info(_("Press **Train the three networks**: the accuracy curves appear here and fill in as they learn."),
                icon=":material/model_training:")
        return
    st.session_state.anatomy_toy_was_running = running
    st.fragment(_memory_live, run_every=2.0 if running else None)()


def _memory_live() -> None:
    view = toy_view(start=False)
    if view is None:
        return
    if view.done and st.session_state.get("anatomy_toy_was_running"):
        st.session_state.anatomy_toy_was_running = False
        st.rerun()  # one full rerun draws the finished page without the timer
    cfg = view.config
    if view.done and view.result is None:
        problem = say(view.message)
        if view.status == FAILED:
            st.error(_("The memory test failed: {error}").format(error=problem))
        else:
            st.info(problem, icon=":material/stop_circle:")
        return
    if not view.done:
        fraction = min(1.0, view.step / cfg.steps)
        text = (_("{phase} step {step} of {steps} · {seconds:.0f} s").format(
            phase=_said(view.phase), step=view.step, steps=cfg.steps, seconds=view.elapsed_s)
                if view.status == RUNNING else _said(view.phase))
        st.progress(fraction, text=text)
    else:
        result = view.result
        t = result.timings
        phases = {"tensorflow": _("starting TensorFlow {seconds:.0f} s"), "build": _("building {seconds:.0f} s"),
                  "compile": _("compiling the training step {seconds:.0f} s"),
                  "training": _("training {seconds:.0f} s")}
        parts = _(", ").join(words.format(seconds=t[key]) for key, words in phases.items() if key in t)
        done = ngettext("Trained {n:,} step (seed {seed}) in {seconds:.0f} s ({parts}).",
                        "Trained {n:,} steps (seed {seed}) in {seconds:.0f} s ({parts}).", result.steps).format(
            n=result.steps, seed=cfg.seed, seconds=result.seconds, parts=parts)
        if result.cut_short:
            done += " " + _("The time budget ({budget:.0f} s) ended training after {steps} of {total} steps: the "
                            "server is busy.").format(budget=cfg.time_budget_s, steps=result.steps, total=cfg.steps)
        st.success(done, icon=":material/check_circle:")
    if not view.history:
        return
    last = view.history[-1]
    accuracy_fig, learning_fig = _memory_figures(view)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.plotly_chart(accuracy_fig, config={"displayModeBar": False}, key="anatomy_toy_accuracy")
        st.caption(_("After {step} training steps: the share of {count} new test sequences per N "
                     "whose letter each network names correctly.").format(step=last.step, count=cfg.eval_sequences))
    with right:
        st.plotly_chart(learning_fig, config={"displayModeBar": False}, key="anatomy_toy_learning")
        st.markdown(_memory_story(last, cfg))
    if view.done:
        st.subheader(_("Their gradients, before and after training"))
        trained_gradients(view, key="anatomy_g_trained_4")


def _memory_figures(view: mr.MemoryView):
    """The two live charts, rebuilt only when a new checkpoint arrives (the page polls every 2 s,
    the checkpoints come every few seconds of training)."""
    cfg = view.config
    key = (cfg, len(view.history), view.history[-1].step, i18n.language())
    cached = st.session_state.get("anatomy_toy_figures")
    if cached is not None and cached[0] == key:
        return cached[1]
    last = view.history[-1]
    longest = cfg.eval_gaps[-1]
    figures = (fa.accuracy_figure(cfg.eval_gaps, last.accuracy, chance=cfg.chance),
               fa.learning_figure([p.step for p in view.history],
                                  {c: [p.accuracy[c][longest] for p in view.history] for c in cfg.cells},
                                  chance=cfg.chance, total_steps=cfg.steps,
                                  label=_("recalled at N = {n}").format(n=longest)))
    st.session_state.anatomy_toy_figures = (key, figures)
    return figures


def _memory_story(point: tm.Checkpoint, cfg: tm.ToyConfig) -> str:
    longest, shortest = cfg.eval_gaps[-1], cfg.eval_gaps[0]
    acc = point.accuracy
    lines = ["- " + _("**{cell}**: {short:.0%} at N = {shortest}, {long:.0%} at N = {longest}").format(
        cell=fa.CELL_LABELS[c], short=acc[c][shortest], shortest=shortest, long=acc[c][longest], longest=longest)
             for c in cfg.cells]
    if point.step == 0:
        return "\n".join(lines) + "\n\n" + _("Before training every network guesses.")
    held = {c: [g for g in cfg.eval_gaps if acc[c][g] >= 0.9] for c in cfg.cells}
    gated = [c for c in ("lstm", "gru") if c in held and longest in held[c]]
    story = ""
    if gated and "rnn" in held and longest not in held["rnn"]:
        names = [fa.CELL_LABELS[c] for c in gated]
        rnn = acc["rnn"]
        falls = next((g for g in cfg.eval_gaps if rnn[g] < 0.5 * (1 + cfg.chance)), None)
        held_by = (_("The {first} and the {second} hold the letter across all {n} noise steps.").format(
            first=names[0], second=names[1], n=longest) if len(names) > 1 else
            _("The {first} holds the letter across all {n} noise steps.").format(first=names[0], n=longest))
        if falls is not None:
            lost = _("The SimpleRNN already drops to {acc:.0%} at N = {n} (guessing: {chance:.1%}).").format(
                acc=rnn[falls], n=falls, chance=cfg.chance)
        else:
            lost = _("The SimpleRNN falls to {acc:.0%} at N = {n} (guessing: {chance:.1%}).").format(
                acc=rnn[longest], n=longest, chance=cfg.chance)
        why = _("Its whole state is rewritten at every noise step (h = tanh(W x + U h + b)), and the gradient that "
                "could teach it to protect the letter vanishes on its way back. The gated cells learn to shut their "
                "input to the noise after the letter and to keep their memory (LSTM: i ≈ 0, f ≈ 1).")
        story = "\n\n" + " ".join((held_by, lost, why))
    return "\n".join(lines) + story


def trained_gradients(view: mr.MemoryView, key: str) -> None:
    cfg = view.config
    cache = st.session_state.setdefault("anatomy_g_trained_cache", {})
    curves, trained = [], {}
    for c in cfg.cells:
        for label, nets, faint in ((_("{cell}, untrained"), view.initial, True),
                                   (_("{cell}, trained"), view.latest, False)):
            net = nets.get(c)
            if net is None:
                continue
            ck = (id(net), cfg)
            if ck not in cache or cache[ck][0] is not net:
                if len(cache) > 24:
                    cache.clear()
                cache[ck] = (net, tm.gradient_curve(net, cfg))
            curves.append(fa.Curve(label.format(cell=fa.CELL_LABELS[c]), cache[ck][1], cell=c, faint=faint,
                                   mark=cfg.max_gap,
                                   mark_label=_("the letter, {n} steps back").format(n=cfg.max_gap)))
            if not faint:
                trained[fa.CELL_LABELS[c]] = cache[ck][1]
    step = view.history[-1].step if view.history else 0
    st.plotly_chart(fa.gradient_figure(curves, height=440), config={"displayModeBar": False}, key=key)
    at_letter = _(", ").join(f"{name} {sci(norms[cfg.max_gap])}" for name, norms in trained.items())
    st.caption(_("Measured on test sequences with N = {n} noise steps. Pale: before training; bold: after "
                 "{step} training steps. The big marker at k = {n} is the "
                 "letter to remember; its gradient after training: {values}. A trained gated network can ignore the "
                 "noise (small values in the middle) yet still feel the letter, because its memory path is not "
                 "squashed at every step; the SimpleRNN's signal from the letter has vanished.").format(
        n=cfg.max_gap, step=step, values=at_letter))


def sci(v: float) -> str:
    """1.2×10⁻²⁸ for a person (plain decimals between 0.01 and 1000)."""
    if not np.isfinite(v) or v == 0:
        return "0" if v == 0 else str(v)
    if 0.01 <= abs(v) < 1000:
        return f"{v:.2g}"
    exponent = int(math.floor(math.log10(abs(v))))
    mantissa = v / 10 ** exponent
    sup = str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa:.1f}×10{sup}"
