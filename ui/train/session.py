"""This session's training job and its place in the session's model list (script thread only).

The page keeps one `TrainingJob` (lstm_core.training.job) in st.session_state. While it trains, the
model is offered in the sidebar as a `TrainingEntry` that reads the latest weights from the job;
when a run ends, `finalise` loads the folder the run saved and puts that model in its place.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import streamlit as st

from lstm_core.data.corpora import BUILTIN
from lstm_core.i18n import N_, _
from lstm_core.storage.char_meta import CharMeta, Corpus
from lstm_core.storage.history import load_history
from lstm_core.storage.json_record import from_json
from lstm_core.storage.persistence import LoadedModel, load_model_folder, named
from lstm_core.said import Said
from lstm_core.training import budget
from lstm_core.training.slots import SLOTS
from lstm_core.training.train_worker import Resume, TrainRecipe, readable
from lstm_core.training.trainer import HistoryPoint, TrainConfig

from ui import models, workspace, workspace_jobs
from lstm_core.inference.snapshot import Snapshot
from ui.models import ModelEntry
from lstm_core.training.character_runs import bits, character_job, latest
from lstm_core.training.job import TrainingJob
from lstm_core.training.states import ACTIVE, DIVERGED
from ui.train.text import Prepared, shared_text

JOB_KEY = "train_job"
INFO_KEY = "train_job_info"
# The Sentiment page's job and the id of the last one it registered (ui.sentiment.training).
SENTIMENT_KEYS = ("sent_job", "sent_job_registered")


@dataclass
class JobInfo:
    """What the page knows about its job beyond the job itself: settings and what was saved."""

    corpus: dict
    spec: object  # ModelSpec
    config: object  # TrainConfig
    label: str  # saved with the model, in the language of whoever started it
    folder: Path
    validation_repeated: bool = False  # Prepared.validation_repeated: its validation loss says little
    saved_runs: int = 0
    saved_folder: Path | None = None
    save_error: str = ""  # a Said, when not empty
    activated: bool = False  # the last saved run became the session's active model
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The model's name in the reader's language (the workspace's other tabs may read another)."""
        return named(self.label, self.spec, from_json(Corpus, self.corpus))

    def summary(self) -> str:
        """The run's settings in one line, in the reader's language."""
        return _("{label}, sequence length {seq_len}, batch {batch}, learning rate {rate:g}").format(
            label=self.name, seq_len=self.config.seq_len, batch=self.config.batch_size,
            rate=self.config.learning_rate)


def _session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return None
    ctx = get_script_run_ctx(suppress_warning=True)
    return None if ctx is None else ctx.session_id


def workspace_alive_check() -> Callable[[], bool] | None:
    """A function telling whether any tab of this workspace is still open (None outside a server)."""
    return workspace_jobs.alive_check(st.session_state.workspace_id)


def attach() -> None:
    """On every run (the shell calls it): count this session as one of its workspace's, and take up
    the workspace's trainings if this session does not know them yet (after a reload, or in a
    second tab), so they show live and can be stopped here."""
    ws, session_id = st.session_state.workspace_id, _session_id()
    if session_id is not None:
        from streamlit.runtime import Runtime

        if Runtime.exists():
            workspace_jobs.enter(ws, session_id, Runtime.instance().is_active_session)
    for kind, keys in (("char", (JOB_KEY, INFO_KEY)), ("sentiment", SENTIMENT_KEYS)):
        record = workspace_jobs.find(ws, kind)
        if record is not None and st.session_state.get(keys[0]) is not record[0]:
            for key, value in zip(keys, record):
                st.session_state[key] = value
            if kind == "char" and record[0].is_alive:
                offer_live_model(*record)


class TrainingEntry(ModelEntry):
    """The model being trained, as the session's model list offers it while it trains.

    Pages read `entry.model` (a LoadedModel of the latest weights, refreshed every few seconds of
    training) and `entry.snapshots` like any other entry; both are read from the job on access.
    `model.folder` is where the model will be saved when the run ends (it may not exist yet).
    When the run ends, the page replaces this entry by a plain one loaded from that folder.
    """

    def __init__(self, job: TrainingJob, info: JobInfo):  # no super().__init__: model is a property
        self.key = job.run_id
        self._job, self._info = job, info
        self._cached: tuple[int, LoadedModel] | None = None

    @property
    def source(self) -> str:
        # Keys the sidebar compares, as for a plain ModelEntry: marked for the catalog, translated where shown.
        return N_("Training now") if latest(self._job)[4] in ACTIVE else N_("Trained here")

    @property
    def origin(self) -> str:
        return N_("trained here")

    @property
    def model(self) -> LoadedModel | None:
        net, step, _, progress, _ = latest(self._job)
        if net is None:
            return None
        if self._cached is not None and self._cached[0] == id(net):
            return self._cached[1]
        info = self._info
        val = progress.val_loss if progress is not None else None
        # What its meta.json will say once saved, read as a saved one is.
        meta = from_json(CharMeta, {
            "label": info.label, "corpus": info.corpus, "train": asdict(info.config), "spec": info.spec.to_dict(),
            "metrics": {"steps": step, "epochs": round(progress.epoch, 3) if progress else 0.0,
                        "val_loss_nats": val, "val_bits": bits(val),
                        "val_perplexity": None if val is None else math.exp(val)}})
        loaded = LoadedModel(info.folder, net, self._job.kind.vocab, info.spec, meta)
        self._cached = (id(net), loaded)
        return loaded

    @property
    def snapshots(self) -> list:
        """The kept snapshots, then the latest weights: the last one is the model as it is now."""
        net, step, snapshots, _, _ = latest(self._job)
        if net is not None and (not snapshots or snapshots[-1].step < step):
            snapshots.append(Snapshot(step, net))
        return snapshots


def session_job() -> tuple[TrainingJob | None, JobInfo | None]:
    """This session's job and what the page knows about it (None, None before the first Start)."""
    return st.session_state.get(JOB_KEY), st.session_state.get(INFO_KEY)


def start_job(recipe: TrainRecipe, info: JobInfo, seconds: float | None, run_id: str,
              memory_mb: int | None = None) -> TrainingJob:
    """A new model: replaces this session's job (the models it trained before stay in the list)."""
    old = st.session_state.get(JOB_KEY)
    if old is not None and old.is_alive:
        raise RuntimeError(_("A model is already training; stop it first."))
    job = character_job(recipe, info.folder, run_id=run_id, corpus=info.corpus, label=info.label,
                      alive=workspace_alive_check(), memory_mb=memory_mb)
    job.start(seconds)
    st.session_state[JOB_KEY], st.session_state[INFO_KEY] = job, info
    workspace_jobs.keep(st.session_state.workspace_id, "char", (job, info))
    workspace.remember("training", run_id)  # if the server restarts now, the new session says so
    return job


def restorable(entry: ModelEntry | None) -> bool:
    """A model this workspace trained and saved, shown without its job: the job was lost with the server
    that ran it (a restart), but its folder is the last checkpoint."""
    return (entry is not None and entry.origin == "trained here" and not isinstance(entry, TrainingEntry)
            and entry.model.folder.parent == models.session_dir())


def _text_of(corpus: Corpus, prepared: Prepared | None) -> Prepared | None:
    """The text a saved model learnt from: the page's, if it is that one; a built-in text, read again."""
    lowercase = bool(corpus.lowercase)
    if (prepared is not None and prepared.name == corpus.name and prepared.lowercase == lowercase
            and corpus.chars in (None, len(prepared.text))):
        return prepared
    return shared_text(corpus.name, lowercase) if corpus.name in BUILTIN else None


def why_not_restore(entry: ModelEntry, prepared: Prepared | None) -> Said | None:
    """Why a restorable model cannot be resumed here (None: it can)."""
    meta = entry.model.meta
    if meta.train is None or meta.metrics.steps is None:
        return Said(N_("Resume needs the training settings saved with the model, and this one has none."))
    if _text_of(meta.corpus, prepared) is None:
        return Said(N_("To resume, choose the text this model learnt from (“{text}”) under “1 · The text to learn "
                       "from”."), text=meta.corpus.label or meta.corpus.name or "?")
    return None


def restore_job(entry: ModelEntry, prepared: Prepared | None) -> tuple[TrainingJob, JobInfo]:
    """The session's job for a restorable model (why_not_restore is None), ready to resume from its folder."""
    model, meta = entry.model, entry.model.meta
    text = _text_of(meta.corpus, prepared)
    saved = asdict(meta.train)
    # The precision ran is saved (float32 or bfloat16); TrainConfig takes it as it is.
    config = TrainConfig(**{f.name: saved[f.name] for f in fields(TrainConfig) if saved.get(f.name) is not None})
    corpus = {k: v for k, v in asdict(meta.corpus).items() if v is not None}
    history = load_history(model.folder, model.net)  # a run's folder has none: the chart starts at its step
    before = Resume(meta.metrics.steps, meta.metrics.train_seconds or 0.0, meta.metrics.val_loss_nats,
                    tuple(HistoryPoint(p.step, p.train_loss, p.val_loss) for p in history.curve) if history else ())
    recipe = TrainRecipe.from_text(model.spec, model.vocab, text.text, config, corpus_name=text.label)
    info = JobInfo(corpus=corpus, spec=model.spec, config=config, label=model.label, folder=model.folder,
                   validation_repeated=text.validation_repeated)
    job = character_job(recipe, model.folder, run_id=entry.key, corpus=corpus, label=model.label,
                        alive=workspace_alive_check(), memory_mb=budget.budget_mb(SLOTS.limit), before=before)
    st.session_state[JOB_KEY], st.session_state[INFO_KEY] = job, info
    workspace_jobs.keep(st.session_state.workspace_id, "char", (job, info))
    return job, info


def resume_job(job: TrainingJob, info: JobInfo, seconds: float | None, learning_rate: float) -> None:
    """Go on training the session's model (after taking in its last run, if the page has not yet)."""
    if needs_saving(job, info):
        finalise(job, info)
    job.resume(seconds, learning_rate=learning_rate)
    workspace.remember("training", job.run_id)


def offer_live_model(job: TrainingJob, info: JobInfo) -> bool:
    """Put the model being trained in the session's model list once it has weights; True if added now."""
    registry = models.models()
    current = registry.get(job.run_id)
    if isinstance(current, TrainingEntry) or latest(job)[0] is None:
        return False
    if current is not None and info.saved_runs >= job.view().runs_ended and not job.is_alive:
        return False  # already saved and registered as a trained model
    models.add(TrainingEntry(job, info), activate=False)
    return True


def needs_saving(job: TrainingJob, info: JobInfo) -> bool:
    """A run has ended whose model the session has not taken in yet."""
    return not job.is_alive and job.view().runs_ended > info.saved_runs


def finalise(job: TrainingJob, info: JobInfo) -> ModelEntry | None:
    """After a run ends: load the model it saved, register it and make it active (unless it diverged).

    Returns the new entry, or None when there was nothing to keep (the model could not even be
    built, or was stopped before its first step) or it could not be saved or read back (then
    info.save_error says why, for the page to show).
    """
    if not needs_saving(job, info):
        return None
    job.join(timeout=10)
    view = job.view()
    info.saved_runs = view.runs_ended
    workspace.remember("training", None)
    info.save_error = view.save_error
    if not view.saved:
        # Nothing was learnt: do not offer (or make active) an untrained model.
        if isinstance(models.models().get(job.run_id), TrainingEntry):
            models.models().pop(job.run_id, None)
        return None
    try:
        loaded = load_model_folder(info.folder)
    except Exception as exc:  # a damaged folder: say so, keep the session going
        info.save_error = Said(N_("The trained model could not be read back: {reason}"), reason=readable(exc))
        return None
    info.saved_folder = info.folder
    entry = ModelEntry(job.run_id, "Trained here", loaded, list(view.snapshots))
    # A diverged model is kept to look at, but the pages do not switch to it unless chosen.
    info.activated = view.status != DIVERGED
    models.add(entry, activate=info.activated)
    return entry
