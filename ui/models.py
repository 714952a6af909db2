"""The models one browser session can look at: the pretrained default, the ones it trained,
the ones it uploaded. Each session keeps its own list in st.session_state, so one student's
training never changes another's model; only the read-only pretrained model is shared."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from lstm_core.data.corpora import BUILTIN
from lstm_core.i18n import N_, _
from lstm_core.spec import CELL_NAMES
from lstm_core.storage.char_meta import Corpus
from lstm_core.inference.params import total_params
from lstm_core.inference.snapshot import Snapshot
from lstm_core.storage.history import History, load_history
from lstm_core.storage import published
from lstm_core.storage.keras_import import open_uploaded
from lstm_core.storage.persistence import PRETRAINED, LoadedModel, ModelFileError, load_model_folder

from ui import workspace

PRETRAINED_KEY = "pretrained"
PUBLISHED_PREFIX = "published:"
# How a model reads a character (netweights.INPUT_FORMS), as the sidebar says it.
INPUT_FORMS = {"embedding": N_("embedding"), "one-hot": N_("one-hot"), "scaled-id": N_("scaled-id")}
# A model's name in lists: where it came from first (the sidebar's box shows only the start of a long
# name), then the model's own name. A pretrained model's own name says so already.
NAMES = {"trained here": N_("Trained here at {time}: {name}"),
         "uploaded": N_("Uploaded: {name}"), "published": N_("From the teacher: {name}")}
_RUN_STARTED = re.compile(r"run-\d{8}-(\d\d)(\d\d)\d\d-")  # lstm_core.training.job.new_run_id: when a run started


@dataclass
class ModelEntry:
    key: str
    source: str  # "Pretrained", "Published", "Trained here" or "Uploaded"
    model: LoadedModel
    snapshots: list[Snapshot] = field(default_factory=list)

    @property
    def origin(self) -> str:
        """Where the model came from ("pretrained", "trained here", "uploaded", "published"): unlike
        `source` ("Training now" while it trains), it never changes."""
        return self.source.lower()

    @property
    def label(self) -> str:
        """The name lists show: where the model came from, and for one trained here when its first run
        started, so that two runs on the same text are told apart (its steps are on its card). A name never
        changes while the model is in the list: a selectbox whose labels change under it loses its choice."""
        name = self.model.label
        if self.origin not in NAMES:
            return name
        started = _RUN_STARTED.match(self.key)
        if self.origin == "trained here" and started is None:  # a folder renamed by hand
            return _("Trained here: {name}").format(name=name)
        return _(NAMES[self.origin]).format(name=name, time=":".join(started.groups()) if started else "")


@st.cache_resource(show_spinner=False)
def pretrained(name: str = "default") -> LoadedModel | None:
    """A shipped model (lstm_core.storage.persistence.PRETRAINED), shared read-only by every session;
    None when its folder is missing (`make assets` rebuilds it)."""
    try:
        return load_model_folder(PRETRAINED[name])
    except ModelFileError:
        return None


@st.cache_resource(show_spinner=False)
def pretrained_history(name: str = "default") -> History | None:
    """A shipped model's learning history (shared read-only, like the model)."""
    model = pretrained(name)
    return None if model is None else load_history(model.folder, model.net)


class PretrainedEntry(ModelEntry):
    """A shipped model. Its snapshots, the steps Gates and Sample can go back to, are read when a page
    first asks for them, not when a new server's first page lists the models."""

    def __init__(self, name: str, model: LoadedModel):  # no super().__init__: snapshots is a property
        self.key, self.source, self.model = pretrained_key(name), "Pretrained", model
        self._name = name

    @property
    def snapshots(self) -> list[Snapshot]:
        """The learning history's weights by step; the last one is the model itself (the history's
        snapshots are stored in float16)."""
        history = pretrained_history(self._name)
        snapshots = [Snapshot(step, net) for step, net in history.snapshots] if history else []
        if snapshots and snapshots[-1].step == self.model.meta.metrics.steps:
            snapshots[-1] = Snapshot(snapshots[-1].step, self.model.net)
        return snapshots


def pretrained_key(name: str) -> str:
    """A shipped model's key in the session's list of models."""
    return PRETRAINED_KEY if name == "default" else f"{PRETRAINED_KEY}:{name}"


def session_dir() -> Path:
    """A private folder for this tab's saved and uploaded models (its workspace)."""
    return workspace.folder()


def models() -> dict[str, ModelEntry]:
    if "models" not in st.session_state:
        registry = {}
        for name in PRETRAINED:
            model = pretrained(name)
            if model is not None:
                entry = PretrainedEntry(name, model)
                registry[entry.key] = entry
        registry.update(_saved())
        st.session_state.models = registry
        if workspace.restored():
            st.session_state.active_model = workspace.recall("active_model")
    _sync_published(st.session_state.models)
    return st.session_state.models


def published_root() -> Path:
    """Where the teacher's published models live: next to the workspaces, shared by every session."""
    return workspace.root().parent / "published"


@st.cache_resource(show_spinner=False, max_entries=64)
def _published_model(folder: str) -> LoadedModel | None:
    """A published model, shared read-only like the pretrained ones (a published folder never changes)."""
    try:
        return load_model_folder(folder)
    except ModelFileError:
        return None


def _sync_published(registry: dict) -> None:
    """Every run: list what the teacher published since, and drop what was withdrawn."""
    shown = {key for key in registry if key.startswith(PUBLISHED_PREFIX)}
    present = set()
    for pid, folder, _info in published.listing(published_root()):
        key = PUBLISHED_PREFIX + pid
        present.add(key)
        if key not in registry and (model := _published_model(str(folder))) is not None:
            registry[key] = ModelEntry(key, "Published", model)
    for key in shown - present:
        del registry[key]


def _saved() -> dict[str, ModelEntry]:
    """The models this tab saved before the server restarted (none in a new tab)."""
    return {key: ModelEntry(key, "Trained here" if trained else "Uploaded", loaded)
            for key, trained, loaded in workspace.load_saved("run-*", "uploads/*", load_model_folder,
                                                             ModelFileError)}


def add(entry: ModelEntry, activate: bool = True) -> None:
    models()[entry.key] = entry
    if activate:
        choose(entry.key)


def choose(key: str) -> None:
    """Make `key` the active model, and remember it across a server restart."""
    st.session_state.active_model = key
    workspace.remember("active_model", key)


def active() -> ModelEntry | None:
    registry = models()
    key = st.session_state.get("active_model")
    if key not in registry:
        key = next(iter(registry), None)
        st.session_state.active_model = key
    return registry.get(key) if key else None


def upload(files: list[tuple[str, bytes]]) -> ModelEntry:
    """Add an uploaded model (an LSTM Lab zip, or a .keras file and its vocabulary, as (name, bytes)
    pairs); raises ModelFileError with a message for the person."""
    loaded = open_uploaded(files, session_dir() / "uploads")
    entry = ModelEntry(f"upload:{loaded.folder.name}", "Uploaded", loaded)
    add(entry)
    return entry


def describe(model: LoadedModel) -> dict[str, str]:
    """The facts of the sidebar card, as label -> value: the labels in English (the sidebar shows
    them translated), the values in the reader's language."""
    spec, meta = model.spec, model.meta
    imported = meta.imported
    if imported is not None:  # trained elsewhere: its layers as they are, and where it came from
        layers = " → ".join(f"{CELL_NAMES[layer.cell]}({layer.units})" for layer in model.net.layers)
        facts = {
            N_("Architecture"): _("{layers}, {input} input").format(layers=layers,
                                                                    input=_(INPUT_FORMS[model.net.input_form])),
            N_("Parameters"): f"{imported.parameters or 0:,}",
            N_("Opened from"): f"{imported.file or ''} + {imported.vocabulary_file or ''}",
        }
        if model.net.head.from_logits:
            facts[N_("Output")] = _("logits, turned into probabilities by LSTM Lab with softmax")
        return facts
    val = meta.metrics.val_loss_nats
    return {
        N_("Corpus"): _corpus_label(meta.corpus),
        N_("Architecture"): _("{cell}, {layers} × {units} units, embedding {embed}").format(
            cell=spec.cell_name, layers=spec.layers, units=spec.units, embed=spec.embed_dim),
        N_("Parameters"): f"{total_params(spec):,}",
        N_("Validation loss"): _("not measured") if val is None else _("{nats:.3f} nats/char ({bits:.2f} bits)").format(
            nats=val, bits=val / 0.6931471805599453),
        N_("Training steps"): f"{meta.metrics.steps or 0:,}",
    }


def _corpus_label(corpus: Corpus) -> str:
    """A built-in text's name in the reader's language; any other label as its maker wrote it."""
    if corpus.label is None:
        return _("unknown")
    return _(corpus.label) if corpus.name is not None and BUILTIN.get(corpus.name) == corpus.label else corpus.label
