"""Train: pick a text and a network, train it live, and watch the loss fall and the samples turn
from noise into words. Training runs in a child process (ui.training_job); this script only reads
it, so switching pages neither stops nor loses it."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from lstm_core.data.corpora import BUILTIN, CorpusError, download_gutenberg, gutenberg_status, load_corpus, user_text
from lstm_core.teaching.params import layer_counts, total_params
from lstm_core.storage.persistence import export_zip
from lstm_core.spec import CELL_NAMES, CELLS, ModelSpec, SpecError
from lstm_core.training.train_worker import TrainRecipe
from lstm_core.training.trainer import TrainConfig, TrainError, min_corpus_chars
from lstm_core.data.vocab import CharVocab
from ui import shell
from ui import models
from ui import training_job as tj
from ui import training_session as ts
from ui.figures_training import loss_figure
from ui.waiting import waiting_notice

shell.require_app()

# -- choices ------------------------------------------------------------------------------------

SOURCES = {"builtin": "Shakespeare (built in)", "gutenberg": "A Gutenberg book",
           "upload": "Upload a .txt file", "paste": "Paste text"}
UNITS = [8, 16, 32, 64, 128, 192, 256, 384, 512, 768, 1024]
EMBED = [4, 8, 16, 32, 64, 128, 256]
SEQ_LENS = [8, 16, 32, 64, 100, 128, 200, 256, 512, 1000]
BATCHES = [8, 16, 32, 64, 128, 256]
LEARNING_RATES = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
DURATIONS = [15, 30, 60, 120, 300, 600, 0]  # seconds; 0 = until I stop it
DEFAULTS = {"train_source": "builtin", "train_builtin": "shakespeare3", "train_lowercase": False,
            "train_cell": "lstm", "train_layers": 1, "train_units": 256, "train_embed": 32, "train_dropout": 0.0,
            "train_seq_len": TrainConfig.seq_len, "train_batch": TrainConfig.batch_size,
            "train_lr": TrainConfig.learning_rate, "train_seed": 0, "train_duration": 60, "train_unit": "nats"}
PREVIEW_CHARS = 500
BIG_MODEL_PARAMS = 3_000_000


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def _md(text: str) -> str:
    """Text from users (file names, corpus labels) shown literally inside Markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _duration_label(seconds: int) -> str:
    if seconds == 0:
        return "until I stop it"
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min"


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass(frozen=True)
class Prepared:
    """A training text ready to use: the text, its vocabulary and where it came from."""

    name: str
    label: str
    text: str
    vocab: CharVocab
    lowercase: bool

    @property
    def corpus_meta(self) -> dict:
        return {"name": self.name, "label": self.label, "chars": len(self.text), "lowercase": self.lowercase}


@st.cache_resource(show_spinner="Reading the text…", max_entries=8)
def _shared_text(name: str, lowercase: bool) -> Prepared:
    """Built-in and Gutenberg texts are the same for everyone: read once, shared read-only."""
    corpus = load_corpus(name)
    text = corpus.text.lower() if lowercase else corpus.text
    return Prepared(corpus.name, corpus.label + (" (lowercase)" if lowercase else ""), text,
                    CharVocab.from_text(text), lowercase)


def _user_text(key: str, data: bytes | str, label: str, lowercase: bool, min_chars: int) -> Prepared:
    """Check a user's text once per content (a 20 MB upload is not re-read on every rerun)."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    digest = hashlib.sha1(raw).hexdigest()
    cache_key = (key, digest, label, lowercase, min_chars)
    cached = st.session_state.get("train_user_cache")
    if cached and cached[0] == cache_key:
        if isinstance(cached[1], Exception):
            raise cached[1]
        return cached[1]
    try:
        text = user_text(data, lowercase=lowercase, min_chars=min_chars)
        result = Prepared(f"user:{label}", label + (" (lowercase)" if lowercase else ""), text,
                          CharVocab.from_text(text), lowercase)
    except CorpusError as exc:
        # Keep the message, not the exception: its traceback would hold this run's frames alive.
        st.session_state["train_user_cache"] = (cache_key, CorpusError(str(exc)))
        raise
    st.session_state["train_user_cache"] = (cache_key, result)
    return result


# -- 1 · the text -------------------------------------------------------------------------------

def text_section(disabled: bool) -> Prepared | None:
    st.subheader("1 · The text to learn from")
    status = gutenberg_status()
    sources = [s for s in SOURCES if s != "gutenberg" or status.available]
    if st.session_state.get("train_source") not in sources:
        st.session_state["train_source"] = "builtin"
    source = st.radio("Text", sources, format_func=SOURCES.get, key="train_source", horizontal=True,
                      disabled=disabled, persist_state="session", label_visibility="collapsed")
    lowercase = st.checkbox("Lowercase everything", key="train_lowercase", disabled=disabled, persist_state="session",
                            help="Fewer different characters to learn (no capitals), so it learns a little faster.")
    seq_len = st.session_state.get("train_seq_len", DEFAULTS["train_seq_len"])
    min_chars = min_corpus_chars(seq_len)
    prepared: Prepared | None = None
    try:
        if source == "builtin":
            name = st.selectbox("Built-in text", list(BUILTIN), format_func=BUILTIN.get, key="train_builtin",
                                disabled=disabled, persist_state="session")
            prepared = _shared_text(name, lowercase)
        elif source == "gutenberg":
            book = st.selectbox("Book", status.fileids, key="train_gutenberg", disabled=disabled,
                                persist_state="session")
            prepared = _shared_text(f"gutenberg:{book}", lowercase)
        elif source == "upload":
            prepared = _upload(lowercase, min_chars, disabled)
        else:
            pasted = st.text_area("Your text", key="train_paste", height=140, disabled=disabled,
                                  persist_state="session",
                                  placeholder=f"Paste at least {min_chars:,} characters of text here "
                                              "(then press Ctrl+Enter or click outside the box).")
            if pasted.strip():
                prepared = _user_text("paste", pasted, "Pasted text", lowercase, min_chars)
            else:
                st.caption(f"Paste some text: at least {min_chars:,} characters for a sequence length of {seq_len}, "
                           "and a few thousand for the network to learn anything.")
    except CorpusError as exc:
        st.error(str(exc), icon=":material/error:")
        prepared = None
    if not status.available:
        _gutenberg_offer(status.message, disabled)
    if prepared is not None:
        _describe_text(prepared)
    return prepared


def _upload(lowercase: bool, min_chars: int, disabled: bool) -> Prepared | None:
    upload = st.file_uploader("A plain-text file (UTF-8, up to 20 MB)", type=["txt"], key="train_upload",
                              disabled=disabled)
    kept = st.session_state.get("train_last_upload")
    if upload is not None:
        try:
            prepared = _user_text("upload", upload.getvalue(), upload.name, lowercase, min_chars)
        except CorpusError as exc:
            if kept is None:
                raise
            raise CorpusError(f"{exc} Remove it to go back to **{_md(kept[0])}**, uploaded earlier.") from None
        st.session_state["train_last_upload"] = (upload.name, upload.getvalue())
        return prepared
    if kept is not None:
        # The uploader forgets its file when the page is left; the text it gave is kept.
        st.caption(f"Using **{_md(kept[0])}**, uploaded earlier. Upload another file to replace it.")
        return _user_text("upload", kept[1], kept[0], lowercase, min_chars)
    return None


def _gutenberg_offer(message: str, disabled: bool) -> None:
    cols = st.columns([3, 2], vertical_alignment="center")
    cols[0].caption("NLTK's Gutenberg books (Austen, Carroll, Milton…) are not on this computer yet.",
                    help=message)
    if cols[1].button("Try to download", key="train_gutenberg_download", disabled=disabled, width="stretch",
                      help="Fetches NLTK's Gutenberg selection (about 4 MB). Gives up after 5 s if offline."):
        with st.spinner("Trying to download NLTK's Gutenberg books…"):
            result = download_gutenberg(timeout_s=5)
        st.session_state["train_flash"] = ("success" if result.available else "warning", result.message)
        st.rerun()


def _describe_text(prepared: Prepared) -> None:
    distinct = len(prepared.vocab.chars)
    st.markdown(f"**{_md(prepared.label)}** · {len(prepared.text):,} characters · "
                f"{distinct} different characters")
    with st.expander(f"Preview: the first {PREVIEW_CHARS} characters"):
        st.code(prepared.text[:PREVIEW_CHARS], language=None, wrap_lines=True, height=220)


# -- 2 · the network ----------------------------------------------------------------------------

def model_section(prepared: Prepared | None, disabled: bool) -> ModelSpec | None:
    st.subheader("2 · The network")
    cell = st.segmented_control("Cell", CELLS, format_func=CELL_NAMES.get, key="train_cell", required=True,
                                disabled=disabled, persist_state="session",
                                help="LSTM: a memory cell with forget, input and output gates. GRU: two gates, "
                                     "no separate memory. SimpleRNN: no gates at all; it forgets quickly.")
    c1, c2 = st.columns(2)
    layers = c1.segmented_control("Layers", [1, 2, 3], key="train_layers", required=True, disabled=disabled,
                                  persist_state="session", help="Recurrent layers stacked on top of each other.")
    dropout = c2.slider("Dropout", 0.0, 0.5, step=0.05, key="train_dropout", disabled=disabled,
                        persist_state="session",
                        help="During training, randomly silence this share of each layer's outputs so the network "
                             "cannot rely on any single unit. Helps long runs on small texts; 0 is best for short runs.")
    c1, c2 = st.columns(2)
    units = c1.select_slider("Units per layer", UNITS, key="train_units", disabled=disabled, persist_state="session",
                             help="The size of the memory: how many numbers each layer keeps from one character "
                                  "to the next.")
    embed = c2.select_slider("Embedding size", EMBED, key="train_embed", disabled=disabled, persist_state="session",
                             help="Each character is first turned into this many learnt numbers.")
    vocab_size = prepared.vocab.size if prepared is not None else 2
    try:
        spec = ModelSpec(vocab_size=vocab_size, cell=cell, layers=layers, units=units, embed_dim=embed,
                         dropout=float(dropout))
    except SpecError as exc:
        st.error(f"These settings do not describe a network: {exc}.")
        return None
    _param_table(spec, prepared is not None)
    return spec if prepared is not None else None


def _param_table(spec: ModelSpec, known_vocab: bool) -> None:
    rows = layer_counts(spec)
    frame = pd.DataFrame({"Layer": [r.name for r in rows] + ["Total"],
                          "Formula": [r.formula for r in rows] + [""],
                          "Parameters": [f"{r.count:,}" for r in rows] + [f"{total_params(spec):,}"]})
    st.markdown(f"**{total_params(spec):,} parameters** (numbers the training adjusts)")
    st.table(frame.set_index("Layer"))
    v = f"V = {spec.vocab_size} characters (with one slot for unknown ones)" if known_vocab else \
        "V = the number of different characters (choose a text first)"
    st.caption(f"{v}; E = embedding size; m = a layer's input size; n = its units. "
               + {"lstm": "An LSTM has 4 gate-like blocks (input, forget, candidate, output), each with its own "
                          "weights for the input, the previous output and a bias.",
                  "gru": "A GRU has 3 blocks (update, reset, candidate); Keras keeps two biases per block.",
                  "rnn": "A SimpleRNN has a single block: no gates."}[spec.cell])
    if total_params(spec) > BIG_MODEL_PARAMS:
        st.warning(f"{total_params(spec):,} parameters is a big network for this computer: each training step "
                   "will be slow, and a minute of training will not get far. Fewer units train faster.",
                   icon=":material/hourglass:")


# -- 3 · training -------------------------------------------------------------------------------

def training_section(prepared: Prepared | None, disabled: bool) -> TrainConfig | None:
    st.subheader("3 · Training")
    c1, c2, c3, c4 = st.columns(4)
    seq_len = c1.select_slider("Sequence length", SEQ_LENS, key="train_seq_len", disabled=disabled,
                               persist_state="session")
    c1.caption("Characters read in one go. Its memory starts empty at each window, so it can only learn "
               "patterns that fit in this many characters.")
    batch = c2.select_slider("Batch size", BATCHES, key="train_batch", disabled=disabled, persist_state="session")
    c2.caption("Windows per training step. The loss is averaged over all of them, then the weights move once.")
    lr = c3.select_slider("Learning rate", LEARNING_RATES, key="train_lr", disabled=disabled,
                          persist_state="session", format_func=lambda v: f"{v:g}")
    c3.caption("How big each step is (choices ×10 apart every third notch). Too high and the loss jumps "
               "or becomes NaN; too low and it barely moves. Can be changed before resuming. In a timed run "
               f"it falls to zero over the last {TrainConfig.cool_down:.0%} of the time: big steps find the "
               "way, small steps settle in.")
    seed = c4.number_input("Seed", 0, 2**31 - 1, step=1, key="train_seed", disabled=disabled,
                           persist_state="session")
    c4.caption("Starting weights and the order of the windows. The same seed and settings give the same run.")
    if lr > 0.05:
        st.warning(f"A learning rate of {lr:g} is very high for Adam: the loss will probably jump about or become "
                   "NaN (not a number). Try it and see, or go back to 0.01.", icon=":material/warning:")
    try:
        config = TrainConfig(seq_len=int(seq_len), batch_size=int(batch), learning_rate=float(lr), seed=int(seed))
    except TrainError as exc:
        st.error(str(exc))
        return None
    if prepared is not None:
        needed = min_corpus_chars(config.seq_len)
        if len(prepared.text) < needed:
            st.error(f"The text has {len(prepared.text):,} characters; a sequence length of {config.seq_len} needs "
                     f"at least {needed:,} (one training window plus the 10% held out for validation). "
                     "Choose a shorter sequence length or a longer text.", icon=":material/error:")
            return None
    return config


# -- start / stop / resume ----------------------------------------------------------------------

def _seconds() -> float | None:
    value = st.session_state.get("train_duration", DEFAULTS["train_duration"])
    return None if not value else float(value)


def _start(prepared: Prepared, spec: ModelSpec, config: TrainConfig) -> None:
    run_id = tj.new_run_id()
    label = f"{spec.cell_name} {spec.layers}×{spec.units} · {prepared.label}"
    summary = (f"{label}, sequence length {config.seq_len}, batch {config.batch_size}, "
               f"learning rate {config.learning_rate:g}")
    info = ts.JobInfo(corpus=prepared.corpus_meta, spec=spec, config=config, label=label,
                      folder=models.session_dir() / run_id, summary=summary)
    vocab = prepared.vocab
    recipe = TrainRecipe.from_text(spec, vocab, prepared.text, config, corpus_name=prepared.label)
    ts.start_job(recipe, info, _seconds(), run_id)


def controls(prepared: Prepared | None, spec: ModelSpec | None, config: TrainConfig | None) -> None:
    job, info = ts.session_job()
    view = job.view() if job is not None else None
    running = view is not None and view.running
    can_resume = view is not None and not running and view.saved
    ready = prepared is not None and spec is not None and config is not None
    c1, c2, c3, c4 = st.columns([2.2, 1, 1, 1], vertical_alignment="bottom")
    c1.select_slider("Training time", DURATIONS, key="train_duration", format_func=_duration_label,
                     disabled=running, persist_state="session",
                     help="Wall-clock time. “Until I stop it” stops by itself after an hour.")
    start = c2.button("Start", type="primary", icon=":material/play_arrow:", disabled=running or not ready,
                      width="stretch", help="Train a new network from random weights with the settings above.")
    stop = c3.button("Stop", icon=":material/stop:", disabled=not running, width="stretch",
                     help="Stops after the current step; the model trained so far is kept.")
    resume = c4.button("Resume", icon=":material/resume:", disabled=not can_resume, width="stretch",
                       help="Continue training the same network (same weights and optimizer state), with the "
                            "learning rate and training time chosen now.")
    if start and ready and not running:
        try:
            _start(prepared, spec, config)
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
                   f"(“{_md(info.label)}”), whatever the settings now say, except the learning rate "
                   "and training time.")


# -- the live area (a fragment that reruns every second while training) -------------------------

def live_area() -> None:
    job, info = ts.session_job()
    if job is None:
        st.info("Choose a text and a network, then press **Start**. The loss curve and samples of the text the "
                "network writes appear here as it learns.", icon=":material/model_training:")
        return
    view = job.view()
    if ts.needs_saving(job, info):
        st.rerun()  # the run has ended: a full rerun saves the model and updates the sidebar
    if view.running and ts.offer_live_model(job, info):
        st.rerun()  # the model being trained now has weights: list it in the sidebar
    _status(view, info)
    if view.queued or (view.building and view.progress is None):
        return  # nothing to chart yet
    _numbers(view)
    unit = st.segmented_control("Loss in", ["nats", "bits"], key="train_unit", required=True,
                                persist_state="session",
                                help="The same loss in two units: nats use the natural log, bits use log base 2 "
                                     "(1 nat = 1.44 bits).")
    vocab_size = job.vocab.size
    st.plotly_chart(loss_figure(view.history, unit=unit or "nats", vocab_size=vocab_size), key="train_chart",
                    config={"displayModeBar": False})
    st.caption("**Loss** is the network's surprise at the true next character, −log p, averaged over characters. "
               "**Validation loss** is measured on text it never trains on (the last 10% of the text): if it "
               "stops falling while the training loss still falls, the network is memorising rather than "
               "learning. In **nats** (natural log) or **bits** (log base 2): 1 bit = the surprise of a fair coin "
               "toss. The dotted line is guessing at random among all the characters.")
    _samples(view)


def _status(view: tj.JobView, info: ts.JobInfo) -> None:
    p = view.progress
    if view.queued:
        waiting_notice(view.queue_position, view.slots)
        return
    if view.building:
        st.info("Starting TensorFlow and building the network… The first start takes about ten seconds.",
                icon=":material/hourglass_top:")
        return
    if view.running:
        if p is None:
            st.progress(0.0, text="Preparing the first training step…")
            return
        speed = f"{p.chars_per_s:,.0f} characters/s · learning rate {p.learning_rate:.2g}"
        if view.budget_s:
            left = p.eta_s if p.eta_s is not None else max(0.0, view.budget_s - p.elapsed_s)
            fraction = min(1.0, p.elapsed_s / view.budget_s)
            text = f"{_clock(p.elapsed_s)} of {_clock(view.budget_s)} · about {_clock(left)} left · {speed}"
        else:
            fraction = p.epoch - math.floor(p.epoch)
            text = f"{_clock(p.elapsed_s)} · until you stop it · {speed} · {fraction:.0%} through epoch " \
                   f"{math.floor(p.epoch) + 1}"
        st.progress(fraction, text=text)
        bf16 = (" This computer's processor multiplies **bfloat16** numbers (16 bits instead of 32) natively, "
                "so training computes in them, about 1.7× as fast; the weights stay 32-bit."
                if p.precision == "bfloat16" else "")
        st.caption("Training goes on if you switch pages. To look inside the model as it learns, pick "
                   f"“{_md(info.label)} (trained here)” as the active model in the sidebar, then open "
                   f"**Gates** or **Sample**.{bf16}")
        return
    steps = f"{view.steps:,} steps, {_clock(view.train_seconds)} of training"
    if view.history.val:
        val = view.history.val[-1]
        steps += f"; validation loss {val:.3f} nats per character ({tj.bits(val):.2f} bits)"
    if view.status == tj.FINISHED:
        st.success(f"Finished: {steps}. {view.message}", icon=":material/check_circle:")
    elif view.status == tj.STOPPED:
        st.info(f"Stopped: {steps}. {view.message}", icon=":material/stop_circle:")
    elif view.status == tj.DIVERGED:
        st.warning(f"The loss became NaN (not a number). {view.message}", icon=":material/warning:")
    elif view.status == tj.ERROR:
        st.error(f"Training failed: {view.message}", icon=":material/error:")
        details = [n for n in view.notes if "Traceback" in n]
        if details:
            with st.expander("Technical details (for a bug report)"):
                st.code(details[-1], language=None)
    if info.save_error:
        st.error(info.save_error)
    elif info.saved_folder is not None and info.saved_runs == view.runs_ended:
        c1, c2 = st.columns([3, 1], vertical_alignment="center")
        c1.markdown(f"“{_md(info.label)}” is now the **active model** (see the sidebar): the "
                    "**Gates** and **Sample** pages look at it.")
        folder = info.saved_folder
        c2.download_button("Download model (.zip)", data=lambda: export_zip(folder), file_name=f"{folder.name}.zip",
                           mime="application/zip", icon=":material/download:", on_click="ignore",
                           key="train_download", width="stretch")


def _numbers(view: tj.JobView) -> None:
    p = view.progress
    unit = st.session_state.get("train_unit") or "nats"
    scale = 1 / math.log(2) if unit == "bits" else 1.0
    c = st.columns(4)
    c[0].metric("Step", f"{view.steps:,}")
    c[1].metric("Epoch", f"{p.epoch:.2f}" if p else "–",
                help="How many times, on average, the network has seen each character of the training text.")
    c[2].metric(f"Training loss ({unit})", f"{p.train_loss * scale:.3f}" if p else "–",
                help="Average over the last 20 steps.")
    val = view.history.val
    delta = None
    if len(val) >= 2:
        delta = f"{(val[-1] - val[-2]) * scale:+.3f}"
    c[3].metric(f"Validation loss ({unit})", f"{val[-1] * scale:.3f}" if val else "not yet", delta=delta,
                delta_color="inverse", help="Measured on the held-out text every 10 s of training (less often when "
                                            "measuring is slow: it never takes over 5% of the time), and at the end. "
                                            "Lower is better.")
    if p is not None and view.running and p.val_loss is None:
        st.caption("The first validation loss comes after 10 seconds of training.")


def _samples(view: tj.JobView) -> None:
    if not view.samples:
        return
    latest = view.samples[-1]
    when = "new text every few seconds" if view.running else "the end of the run"
    st.markdown(f"**What the network writes now** (step {latest.step:,}; {when})")
    cols = st.columns(len(latest.texts))
    for col, (temperature, text) in zip(cols, latest.texts):
        col.markdown(f"Temperature **{temperature:g}** · step {latest.step:,}")
        col.code(text, language=None, wrap_lines=True, height=240)
    st.caption("**Temperature** rescales the network's probabilities before each character is drawn: "
               "below 1 the likeliest characters become even likelier (safer, more repetitive text); at 1 it "
               "draws from the network's own probabilities; above 1 it takes more risks.")
    if len(view.samples) > 1:
        with st.expander(f"Earlier samples ({len(view.samples) - 1}), newest first"):
            for s in reversed(view.samples[:-1]):
                for temperature, text in s.texts:
                    st.markdown(f"Step {s.step:,} · temperature {temperature:g}")
                    st.code(text, language=None, wrap_lines=True)


# -- the page -----------------------------------------------------------------------------------

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


main()
