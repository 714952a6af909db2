"""The models one browser session can look at: the pretrained default, the ones it trained,
the ones it uploaded. Each session keeps its own list in st.session_state, so one student's
training never changes another's model; only the read-only pretrained model is shared."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from lstm_core.params import total_params
from lstm_core.persistence import DEFAULT_MODEL, LoadedModel, ModelFileError, import_zip, load_model_folder

PRETRAINED_KEY = "pretrained"


@dataclass
class Snapshot:
    """The weights at one training step, so pages can look at the model as it was then."""

    step: int
    net: object


@dataclass
class ModelEntry:
    key: str
    source: str  # "Pretrained", "Trained here" or "Uploaded"
    model: LoadedModel
    snapshots: list[Snapshot] = field(default_factory=list)

    @property
    def origin(self) -> str:
        """Where the model came from. Unlike `source` it never changes, so neither does the model's
        name in the sidebar's list (a selectbox whose labels change under it loses its choice)."""
        return self.source.lower()

    @property
    def label(self) -> str:
        return f"{self.model.label} ({self.origin})"


@st.cache_resource(show_spinner=False)
def pretrained() -> LoadedModel | None:
    try:
        return load_model_folder(DEFAULT_MODEL)
    except ModelFileError:
        return None


def session_dir() -> Path:
    """A private folder for this session's saved and uploaded models."""
    if "model_dir" not in st.session_state:
        st.session_state.model_dir = tempfile.mkdtemp(prefix="lstm-lab-session-")
    return Path(st.session_state.model_dir)


def models() -> dict[str, ModelEntry]:
    if "models" not in st.session_state:
        st.session_state.models = {}
        default = pretrained()
        if default is not None:
            st.session_state.models[PRETRAINED_KEY] = ModelEntry(PRETRAINED_KEY, "Pretrained", default)
    return st.session_state.models


def add(entry: ModelEntry, activate: bool = True) -> None:
    models()[entry.key] = entry
    if activate:
        st.session_state.active_model = entry.key


def active() -> ModelEntry | None:
    registry = models()
    key = st.session_state.get("active_model")
    if key not in registry:
        key = next(iter(registry), None)
        st.session_state.active_model = key
    return registry.get(key) if key else None


def upload(data: bytes) -> ModelEntry:
    """Add an uploaded model zip; raises ModelFileError with a message for the person."""
    loaded = import_zip(data, session_dir() / "uploads")
    entry = ModelEntry(f"upload:{loaded.folder.name}", "Uploaded", loaded)
    add(entry)
    return entry


def describe(model: LoadedModel) -> dict[str, str]:
    """The facts of the sidebar card, as label -> value."""
    spec, meta = model.spec, model.meta
    metrics = meta.get("metrics", {})
    val = metrics.get("val_loss_nats")
    return {
        "Corpus": meta.get("corpus", {}).get("label", "unknown"),
        "Architecture": f"{spec.cell_name}, {spec.layers} × {spec.units} units, embedding {spec.embed_dim}",
        "Parameters": f"{total_params(spec):,}",
        "Validation loss": "not measured" if val is None else f"{val:.3f} nats/char ({val / 0.6931471805599453:.2f} bits)",
        "Training steps": f"{metrics.get('steps', 0):,}",
    }
