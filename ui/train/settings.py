"""The Train page's settings of the network and of its training, with the parameter count and the
memory the run will need (refused here, before it starts, when over the server's budget)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from lstm_core.i18n import N_, _
from lstm_core.spec import CELL_NAMES, CELLS, ModelSpec, SpecError
from lstm_core.inference.params import layer_counts, total_params
from lstm_core.training import budget
from lstm_core.training.precision import resolve
from lstm_core.said import sentences
from lstm_core.training.slots import SLOTS
from lstm_core.training.trainer import TrainConfig, TrainError, min_corpus_chars

if TYPE_CHECKING:
    from ui.train.text import Prepared

UNITS = [8, 16, 32, 64, 128, 192, 256, 384, 512, 768, 1024]
EMBED = [4, 8, 16, 32, 64, 128, 256]
SEQ_LENS = [8, 16, 32, 64, 100, 128, 200, 256, 512, 1000]
BATCHES = [8, 16, 32, 64, 128, 256]
LEARNING_RATES = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
DEFAULTS = {"train_source": "builtin", "train_builtin": "shakespeare3", "train_lowercase": False,
            "train_cell": "lstm", "train_layers": 1, "train_units": 256, "train_embed": 32, "train_dropout": 0.0,
            "train_seq_len": TrainConfig.seq_len, "train_batch": TrainConfig.batch_size,
            "train_lr": TrainConfig.learning_rate, "train_seed": 0, "train_duration": 60, "train_unit": "nats"}
BIG_MODEL_PARAMS = 3_000_000
CELL_NOTES = {"lstm": N_("An LSTM has 4 gate-like blocks (input, forget, candidate, output), each with its own "
                         "weights for the input, the previous output and a bias."),
              "gru": N_("A GRU has 3 blocks (update, reset, candidate); Keras keeps two biases per block."),
              "rnn": N_("A SimpleRNN has a single block: no gates.")}


def model_section(prepared: Prepared | None, disabled: bool) -> ModelSpec | None:
    st.subheader(_("2 · The network"))
    cell = st.segmented_control(_("Cell"), CELLS, format_func=CELL_NAMES.get, key="train_cell", required=True,
                                disabled=disabled, persist_state="session",
                                help=_("LSTM: a memory cell with forget, input and output gates. GRU: two gates, "
                                       "no separate memory. SimpleRNN: no gates at all; it forgets quickly."))
    c1, c2 = st.columns(2)
    layers = c1.segmented_control(_("Layers"), [1, 2, 3], key="train_layers", required=True, disabled=disabled,
                                  persist_state="session", help=_("Recurrent layers stacked on top of each other."))
    dropout = c2.slider(_("Dropout"), 0.0, 0.5, step=0.05, key="train_dropout", disabled=disabled,
                        persist_state="session",
                        help=_("During training, randomly silence this share of each layer's outputs so the network "
                               "cannot rely on any single unit. Helps long runs on small texts; 0 is best for short "
                               "runs."))
    c1, c2 = st.columns(2)
    units = c1.select_slider(_("Units per layer"), UNITS, key="train_units", disabled=disabled,
                             persist_state="session",
                             help=_("The size of the memory: how many numbers each layer keeps from one character "
                                    "to the next."))
    embed = c2.select_slider(_("Embedding size"), EMBED, key="train_embed", disabled=disabled,
                             persist_state="session", help=_("Each character is first turned into this many learnt "
                                                             "numbers."))
    vocab_size = prepared.vocab.size if prepared is not None else 2
    try:
        spec = ModelSpec(vocab_size=vocab_size, cell=cell, layers=layers, units=units, embed_dim=embed,
                         dropout=float(dropout))
    except SpecError as exc:
        st.error(_("These settings do not describe a network: {reason}.").format(reason=exc))
        return None
    _param_table(spec, prepared is not None)
    return spec if prepared is not None else None


def _param_table(spec: ModelSpec, known_vocab: bool) -> None:
    import pandas as pd  # here, not above: the sidebar of every page imports this module, Home included (ui.preload)

    rows = layer_counts(spec)
    layer = _("Layer")
    frame = pd.DataFrame({layer: [r.name for r in rows] + [_("Total")],
                          _("Formula"): [r.formula for r in rows] + [""],
                          _("Parameters"): [f"{r.count:,}" for r in rows] + [f"{total_params(spec):,}"]})
    st.markdown(_("**{n:,} parameters** (numbers the training adjusts)").format(n=total_params(spec)))
    st.table(frame.set_index(layer))
    if known_vocab:
        legend = _("V = {n} characters (with one slot for unknown ones); E = embedding size; m = a layer's input "
                   "size; n = its units.").format(n=spec.vocab_size)
    else:
        legend = _("V = the number of different characters (choose a text first); E = embedding size; m = a "
                   "layer's input size; n = its units.")
    st.caption(sentences(legend, _(CELL_NOTES[spec.cell])))
    if total_params(spec) > BIG_MODEL_PARAMS:
        st.warning(_("{n:,} parameters is a big network for this computer: each training step will be slow, and a "
                     "minute of training will not get far. Fewer units train faster.").format(n=total_params(spec)),
                   icon=":material/hourglass:")


def training_section(prepared: Prepared | None, disabled: bool) -> TrainConfig | None:
    st.subheader(_("3 · Training"))
    c1, c2, c3, c4 = st.columns(4)
    seq_len = c1.select_slider(_("Sequence length"), SEQ_LENS, key="train_seq_len", disabled=disabled,
                               persist_state="session")
    c1.caption(_("Characters read in one go. Its memory starts empty at each window, so it can only learn "
                 "patterns that fit in this many characters."))
    batch = c2.select_slider(_("Batch size"), BATCHES, key="train_batch", disabled=disabled, persist_state="session")
    c2.caption(_("Windows per training step. The loss is averaged over all of them, then the weights move once."))
    lr = c3.select_slider(_("Learning rate"), LEARNING_RATES, key="train_lr", disabled=disabled,
                          persist_state="session", format_func=lambda v: f"{v:g}")
    c3.caption(_("How big each step is (choices ×10 apart every third notch). Too high and the loss jumps "
                 "or becomes NaN; too low and it barely moves. Can be changed before resuming. In a timed run "
                 "it falls to zero over the last {share:.0%} of the time: big steps find the way, small steps "
                 "settle in.").format(share=TrainConfig.cool_down))
    seed = c4.number_input(_("Seed"), 0, 2**31 - 1, step=1, key="train_seed", disabled=disabled,
                           persist_state="session")
    c4.caption(_("Starting weights and the order of the windows. The same seed and settings give the same run."))
    if lr > 0.05:
        st.warning(_("A learning rate of {rate:g} is very high for Adam: the loss will probably jump about or become "
                     "NaN (not a number). Try it and see, or go back to 0.01.").format(rate=lr),
                   icon=":material/warning:")
    try:
        config = TrainConfig(seq_len=int(seq_len), batch_size=int(batch), learning_rate=float(lr), seed=int(seed))
    except TrainError as exc:
        st.error(str(exc))
        return None
    if prepared is not None:
        needed = min_corpus_chars(config.seq_len)
        if len(prepared.text) < needed:
            st.error(_("The text has {chars:,} characters; a sequence length of {seq_len} needs at least {needed:,} "
                       "(one training window plus the 10% held out for validation). Choose a shorter sequence "
                       "length or a longer text.").format(chars=len(prepared.text), seq_len=config.seq_len,
                                                          needed=needed), icon=":material/error:")
            return None
    return config


def memory_check(prepared: Prepared, spec: ModelSpec, config: TrainConfig) -> int | None:
    """The run's memory budget in MB if it fits (said in a caption), else None (said in an error)."""
    allowed = budget.budget_mb(SLOTS.limit)
    try:
        estimate = budget.check(spec, config.seq_len, config.batch_size, allowed,
                                mixed_precision=resolve(config.precision) != "float32",
                                corpus_chars=len(prepared.text))
    except budget.BudgetError as exc:
        st.error(sentences(str(exc), _("Lower it before starting.")), icon=":material/memory:")
        return None
    st.caption(_("This run needs about {needed:,.0f} MB of memory; each training on this server may use "
                 "{allowed:,} MB.").format(needed=estimate.total_mb, allowed=allowed),
               help=_("Counted before it starts: the weights and Adam's state, what the network keeps of every "
                      "position of the batch to learn from it, and the softmax over every character. A run that "
                      "needs more is ended, never the server."))
    return allowed
