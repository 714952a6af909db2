"""One text, different cells: the pretrained Shakespeare LSTM and its GRU and SimpleRNN siblings
(those shipped: `make assets` builds any that are missing).

They read the same plays with the same recipe and have about the same number of weights
(assets/models/*/regenerate.sh), so the cell is the only difference. Home compares their losses on
the plays none of them read; Gates and Sample switch between them with one click, keeping the text
and the settings; Sample lets each continue the same prime.
"""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import _
from lstm_core.inference.sampling import generate
from lstm_core.storage.persistence import LoadedModel
from lstm_core.inference.params import total_params

from ui import models

NAMES = ("default", "gru", "rnn")  # lstm_core.storage.persistence.PRETRAINED: gates help, fewer gates, none


def present() -> list[tuple[str, LoadedModel]]:
    """The siblings that are shipped (`make assets` builds any that are missing), LSTM first."""
    return [(name, model) for name in NAMES if (model := models.pretrained(name)) is not None]


def named() -> str:
    """The shipped cells' names as a list in words: "LSTM and GRU", "LSTM, GRU and SimpleRNN"."""
    names = [model.spec.cell_name for _name, model in present()]
    if len(names) < 2:
        return "".join(names)
    return _("{first} and {last}").format(first=_(", ").join(names[:-1]), last=names[-1])


def offered(key: str | None) -> bool:
    """Whether to offer the cells: the model looked at is one of them, and another is shipped."""
    return key in {models.pretrained_key(name) for name in NAMES} and len(present()) > 1


def held_out_table() -> None:
    """Home: each cell's loss on the three held-out plays, and what the numbers say."""
    rows = [(name, model) for name, model in present() if model.meta.held_out is not None]
    if len(rows) < 2:
        return
    plays = list(rows[0][1].meta.held_out.plays.values())
    st.subheader(_("One text, different cells"))
    head = [_("Cell"), _("Layers × units"), _("Parameters")] + [f"*{_(p.label)}*" for p in plays] + [_("Mean")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _name, model in rows:
        spec, held = model.spec, model.meta.held_out
        losses = [f"{p.loss_nats:.2f}" for p in held.plays.values()]
        lines.append("| " + " | ".join([f"**{spec.cell_name}**", f"{spec.layers} × {spec.units}",
                                        f"{total_params(spec):,}", *losses,
                                        f"**{held.mean_loss_nats:.2f}**"]) + " |")
    st.markdown("\n".join(lines))
    st.caption(_comparison_sentence(rows))


def _comparison_sentence(rows: list[tuple[str, LoadedModel]]) -> str:
    """What the table shows, from its own numbers: which cell predicts the unseen plays best, and,
    when the cell without gates is last, why."""
    mean = {name: model.meta.held_out.mean_loss_nats for name, model in rows}
    cell = {name: model.spec.cell_name for name, model in rows}
    best, worst = min(mean, key=mean.get), max(mean, key=mean.get)
    said = _("Loss in nats per character on the three plays none of them read (lower is better). Same plays, same "
             "training, about the same number of weights: only the cell differs. The {best} does best, the {worst} "
             "worst.").format(best=cell[best], worst=cell[worst])
    if worst == "rnn":
        said = _("{sentence} {more}").format(sentence=said, more=_("The SimpleRNN has no gates: it rewrites its whole memory at every character, so what it "
                        "read a few words ago fades (Anatomy shows its gradients vanish). Gates let a unit keep a "
                        "value for as long as it is useful."))
    return said


def switch(where: str) -> None:
    """Gates and Sample: a row of buttons for the shipped cells, shown while one of them is the active
    model; a click makes another the active model and keeps the page's text and settings."""
    active = models.active()
    if active is None or not offered(active.key):
        return
    keys = {models.pretrained_key(name): model.spec.cell_name for name, model in present()}
    state = f"{where}_cell"
    st.session_state[state] = active.key  # follows the sidebar too

    def chosen():
        models.choose(st.session_state[state])

    st.segmented_control(_("Same text, another cell"), list(keys), format_func=keys.get, key=state,
                         on_change=chosen, required=True,
                         help=_("The pretrained {cells} read the same plays and have about the same number of "
                                "weights: switch to see what the cell changes.").format(cells=named()))


def same_start(prime: str, length: int, temperature: float, top_k: int | None, top_p: float | None,
               seed: int) -> dict[str, str]:
    """Sample: each shipped cell's continuation of one prime with the same settings and seed."""
    return {model.spec.cell_name: _continuation(name, prime, length, temperature, top_k, top_p, seed)
            for name, model in present()}


@st.cache_data(show_spinner=False, max_entries=64)
def _continuation(name: str, prime: str, length: int, temperature: float, top_k: int | None,
                  top_p: float | None, seed: int) -> str:
    model = models.pretrained(name)
    return generate(model.net, model.vocab, prime, length, temperature, top_k=top_k, top_p=top_p, seed=seed).text
