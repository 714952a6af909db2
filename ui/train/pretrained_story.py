"""What the pretrained model is and how it learnt, in words and pictures: its held-out plays on the
Home page, its learning history on the Train page."""

from __future__ import annotations

import math

import streamlit as st

from lstm_core.i18n import _, ngettext
from lstm_core.inference.sampling import generate
from lstm_core.storage.persistence import LoadedModel
from lstm_core.training.outcome import chance_loss

from ui import models
from ui.train.figures import loss_figure
from lstm_core.training.character_runs import LossHistory

HISTORY_PRIME = "HAMLET.\n"
HISTORY_CHARS = 160


def pretrained_sentence(model: LoadedModel | None) -> str:
    """One paragraph: what the pretrained model read, and what its loss on plays it never read means."""
    if model is None:
        return _("The pretrained model is missing (`make assets` rebuilds it).")
    spec, held = model.spec, model.meta.held_out
    if held is None or not held.plays:
        corpus = model.meta.corpus.label or ""
        # Translated when it is a built-in text's (they are marked for the catalog where they are written).
        return ngettext("The pretrained model in the sidebar is an {cell} with {layers} layer of {units} units, "
                        "trained on {corpus}.",
                        "The pretrained model in the sidebar is an {cell} with {layers} layers of {units} units, "
                        "trained on {corpus}.", spec.layers).format(
            cell=spec.cell_name, layers=spec.layers, units=spec.units, corpus=_(corpus) if corpus else corpus)
    plays = held.plays
    mean = held.mean_loss_nats
    # The plays' titles are translated where they are marked for the catalog (lstm_core.data.corpora).
    each = ", ".join(f"*{_(p.label)}* {p.loss_nats:.2f}" for p in plays.values())
    return ngettext("The pretrained model in the sidebar is an {cell} with {layers} layer of {units} units. It read "
                    "Shakespeare's plays except three, kept out whole so we can test it on plays it never saw. On "
                    "those its loss is {mean:.2f} nats per character ({each}): its average surprise at the true next "
                    "character. That is as unsure as choosing among {choices:.1f} equally likely characters each time "
                    "(its *perplexity*); guessing at random among all {chars} would be {chance:.2f} nats.",
                    "The pretrained model in the sidebar is an {cell} with {layers} layers of {units} units. It read "
                    "Shakespeare's plays except three, kept out whole so we can test it on plays it never saw. On "
                    "those its loss is {mean:.2f} nats per character ({each}): its average surprise at the true next "
                    "character. That is as unsure as choosing among {choices:.1f} equally likely characters each time "
                    "(its *perplexity*); guessing at random among all {chars} would be {chance:.2f} nats.",
                    spec.layers).format(cell=spec.cell_name, layers=spec.layers, units=spec.units, mean=mean,
                                        each=each, choices=math.exp(mean), chars=spec.vocab_size - 1,
                                        chance=chance_loss(spec.vocab_size))


@st.cache_resource(show_spinner=False)
def _history_samples() -> list[tuple[int, float | None, str]]:
    """(step, validation loss, text) at each snapshot: the same prime and seed for every one."""
    model, history = models.pretrained(), models.pretrained_history()
    return [(step, history.snapshot_val.get(step),
             generate(net, model.vocab, HISTORY_PRIME, HISTORY_CHARS, temperature=0.8, seed=1).text)
            for step, net in history.snapshots]


def learning_history() -> None:
    """The Train page's look at how the pretrained model learnt: its loss curve, and what it wrote
    at each snapshot, so a class sees noise turn into words before training anything."""
    model, history = models.pretrained(), models.pretrained_history()
    if model is None or history is None:
        return
    with st.expander(_("How the pretrained model learnt"), icon=":material/history:"):
        points = history.curve
        vals = [(p.step, p.val_loss) for p in points if p.val_loss is not None]
        curve = LossHistory(tuple(p.step for p in points), tuple(p.train_loss for p in points),
                            tuple(s for s, _ in vals), tuple(v for _, v in vals))
        st.plotly_chart(loss_figure(curve, vocab_size=model.spec.vocab_size), key="train_pretrained_curve",
                        config={"displayModeBar": False})
        st.caption(_("Its training loss every 100 steps and its validation loss every 500, over {steps:,} steps of "
                     "64 windows of 128 characters. Below: what it wrote at each snapshot, from the same start "
                     "(“{prime}”), seed and temperature 0.8. Gates and Sample can go back to any of these steps "
                     "too.").format(steps=points[-1].step, prime=HISTORY_PRIME.strip()))
        with st.spinner(_("Letting each snapshot of the pretrained model write…")):  # the first time: a while
            samples = _history_samples()
        for step, val, text in samples:
            if val is None:
                st.markdown(_("**Step {step:,}**").format(step=step))
            else:
                st.markdown(_("**Step {step:,}** · validation loss {loss:.2f}").format(step=step, loss=val))
            st.code(HISTORY_PRIME + text, language=None, wrap_lines=True)
