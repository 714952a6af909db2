"""Training in the background for one browser session.

A `TrainingJob` owns one `Trainer` and a daemon thread that runs `trainer.run(...)`. The thread
never touches Streamlit: it only updates the job's fields under a lock, and the page (the script
thread) reads a consistent copy of them with `view()`. Besides the progress and the loss history,
the thread keeps what a class wants to watch: a few generated samples (every ~5 s of training, at
two temperatures) and weight snapshots spread over the run, so other pages can look at the model
as it was. That extra work is timed and spaced out so it never costs more than a few per cent of
the training throughput.

The lower half (`session_job`, `finalise`, ...) ties a job to st.session_state and to the session's
model list (ui.models); only the page's script thread calls it.
"""

from __future__ import annotations

import gc
import math
import threading
import time
import traceback
import uuid
import weakref
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import streamlit as st

from lstm_core.params import total_params
from lstm_core.persistence import LoadedModel, load_model_folder
from lstm_core.tf_runtime import retry_ast_race
from lstm_core.trainer import NATS_TO_BITS, Progress, Trainer

from . import models
from .models import ModelEntry, Snapshot

# -- what the page reads ----------------------------------------------------------------------

RUNNING, STOPPED, FINISHED, DIVERGED, ERROR, READY = "running", "stopped", "finished", "diverged", "error", "ready"
ENDED = (STOPPED, FINISHED, DIVERGED, ERROR)
# "Until I stop it" still ends by itself, so a forgotten tab cannot hold the server's CPU forever.
UNTIL_STOPPED_CAP_S = 3600.0
# A session whose browser has been gone this long stops training.
GONE_GRACE_S = 60.0


@dataclass(frozen=True)
class SampleSet:
    """Text generated from the weights at one step, at each temperature."""

    step: int
    texts: tuple[tuple[float, str], ...]  # (temperature, text)


@dataclass(frozen=True)
class LossHistory:
    """The loss curve for the chart: one training loss per step, validation where measured."""

    steps: tuple[int, ...] = ()
    train: tuple[float, ...] = ()
    val_steps: tuple[int, ...] = ()
    val: tuple[float, ...] = ()

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class JobView:
    """A consistent copy of a job's state at one moment (safe to use without the lock)."""

    run_id: str
    status: str
    message: str
    progress: Progress | None
    history: LossHistory
    samples: tuple[SampleSet, ...]
    snapshots: tuple  # of ui.models.Snapshot
    latest_net: object | None
    latest_step: int
    runs_ended: int
    budget_s: float | None  # None: until stopped
    building: bool
    steps: int
    train_seconds: float
    notes: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    @property
    def ended(self) -> bool:
        return self.status in ENDED


class TrainingJob:
    """One model being trained in a background thread; start, stop, resume, and watch it.

    `build` makes the Trainer; it runs in the thread (building imports TensorFlow, which takes
    seconds), so the page stays responsive. `alive`, if given, says whether the browser session
    still exists; a session gone for GONE_GRACE_S stops its training.
    """

    def __init__(self, build: Callable[[], Trainer], *, run_id: str | None = None, vocab=None,
                 sample_every_s: float = 5.0, sample_chars: int = 200, temperatures: tuple[float, ...] = (0.5, 1.0),
                 prime: str = "", sample_seed: int = 0, keep_samples: int = 10,
                 snapshot_every_s: float = 5.0, max_snapshots: int = 24, snapshot_bytes: int = 128 << 20,
                 max_overhead: float = 0.04, alive: Callable[[], bool] | None = None, alive_every_s: float = 5.0,
                 gone_grace_s: float = GONE_GRACE_S):
        self.run_id = run_id or new_run_id()
        self._build = build
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._trainer: Trainer | None = None
        self._stop_requested = False
        self._alive, self.alive_every_s, self.gone_grace_s = alive, alive_every_s, gone_grace_s
        # What the page reads (under the lock).
        self._status, self._message = READY, ""
        self._progress: Progress | None = None
        self._steps: list[int] = []
        self._train: list[float] = []
        self._val_steps: list[int] = []
        self._val: list[float] = []
        self._samples: list[SampleSet] = []
        self._snapshots: list = []
        self._latest_net = None
        self._latest_step = -1
        self._runs_ended = 0
        self._budget_s: float | None = None
        self._building = False
        self._notes: list[str] = []
        # The thread's own bookkeeping.
        self.sample_every_s, self.sample_chars, self.temperatures = sample_every_s, sample_chars, temperatures
        self.prime, self.sample_seed, self.keep_samples = prime, sample_seed, keep_samples
        self.snapshot_every_s, self.max_snapshots, self.snapshot_bytes = snapshot_every_s, max_snapshots, snapshot_bytes
        self.max_overhead = max_overhead
        self._snapshot_interval = snapshot_every_s
        self._last_snapshot_clock = -math.inf
        self._next_observe = 0.0
        self._next_history = 0.0
        self._next_alive_check = 0.0
        self._gone_since: float | None = None
        self._hist_len = 0
        self._overhead_s = 0.0
        self._freezes = 0
        self._vocab = vocab
        # At interpreter exit (a server shutdown) a thread killed inside TensorFlow aborts the
        # process noisily; this stops it cleanly first. It also stops a job that is dropped.
        self._exit_guard: dict = {}
        weakref.finalize(self, _stop_guarded, self._exit_guard)

    # -- control (script thread) -------------------------------------------------------------
    def start(self, seconds: float | None = None) -> None:
        """Train for `seconds` of wall time (None: until stopped, at most UNTIL_STOPPED_CAP_S)."""
        self._launch(seconds, None)

    def resume(self, seconds: float | None = None, learning_rate: float | None = None) -> None:
        """Continue the same Trainer (same weights and optimizer state), optionally at a new learning rate."""
        if self._trainer is None:
            raise RuntimeError("There is no model to resume yet; start one first.")
        self._launch(seconds, learning_rate)

    def _launch(self, seconds: float | None, learning_rate: float | None) -> None:
        if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"A training time must be a positive number of seconds, not {seconds!r}.")
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError("This model is already training.")
            self._stop_requested = False
            self._status = RUNNING
            self._message = ""
            self._budget_s = seconds
            self._progress = None  # the last run's progress (elapsed time, ETA) means nothing for this one
            self._building = self._trainer is None
            self._gone_since = None
            self._thread = threading.Thread(target=self._work, args=(seconds, learning_rate), daemon=True,
                                             name=f"lstm-lab-train-{self.run_id}")
            self._exit_guard["thread"] = self._thread
            self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop; it is honoured within one training step."""
        with self._lock:
            self._stop_requested = True
            trainer = self._trainer
        if trainer is not None:
            trainer.request_stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it has."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    @property
    def trainer(self) -> Trainer | None:
        return self._trainer

    @property
    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def latest(self) -> tuple[object | None, int, list, Progress | None, str]:
        """Cheap: the latest weights (a NumPy network), their step, the snapshots, progress and status."""
        with self._lock:
            return self._latest_net, self._latest_step, list(self._snapshots), self._progress, self._status

    def view(self) -> JobView:
        with self._lock:
            trainer = self._trainer
            return JobView(
                run_id=self.run_id, status=self._status, message=self._message, progress=self._progress,
                history=LossHistory(tuple(self._steps), tuple(self._train), tuple(self._val_steps), tuple(self._val)),
                samples=tuple(self._samples), snapshots=tuple(self._snapshots), latest_net=self._latest_net,
                latest_step=self._latest_step, runs_ended=self._runs_ended, budget_s=self._budget_s,
                building=self._building, steps=trainer.steps if trainer is not None else 0,
                train_seconds=trainer.train_seconds if trainer is not None else 0.0, notes=tuple(self._notes))

    # -- the thread ---------------------------------------------------------------------------
    def _work(self, seconds: float | None, learning_rate: float | None) -> None:
        status, message = ERROR, ""
        try:
            if self._trainer is None:
                with self._lock:
                    self._building = True
                    self._message = "Starting TensorFlow and building the model…"
                try:
                    trainer = retry_ast_race(self._build, on_retry=self._note_hiccup)
                finally:
                    with self._lock:
                        self._building = False
                        self._message = ""
                with self._lock:
                    self._trainer = trainer
                self._exit_guard["trainer"] = trainer
                _freeze_heap()
                if self._vocab is None:
                    self._vocab = trainer.vocab
                # The untrained model: its snapshot at step 0 and its (random) samples.
                self._observe(clock=0.0, force_snapshot=True)
            trainer = self._trainer
            if learning_rate is not None:
                trainer.set_learning_rate(learning_rate)
            if self._stop_requested:
                status, message = STOPPED, ""
            else:
                now = time.perf_counter()
                self._next_observe = now + self.sample_every_s
                self._next_history = now
                self._next_alive_check = now + self.alive_every_s
                budget = UNTIL_STOPPED_CAP_S if seconds is None else seconds
                started = time.perf_counter()

                def run():
                    left = max(0.0, budget - (time.perf_counter() - started))
                    return trainer.run(seconds=left, on_progress=self._on_progress, progress_every_s=0.0)

                def forget_traced_functions(exc: SystemError):
                    # A trace that failed half-way leaves its tf.function unusable ("creating
                    # variables on a non-first call"); a fresh one traces again from the start.
                    self._note_hiccup(exc)
                    trainer.model.train_function = None
                    trainer.model.test_function = None

                result = retry_ast_race(run, on_retry=forget_traced_functions)
                status, message = result.status, result.message
                with self._lock:
                    if result.progress is not None:
                        self._progress = result.progress
                    gone = self._gone_since is not None
                if status == STOPPED and gone:
                    message = "The browser tab was closed, so training stopped."
                elif status == FINISHED and seconds is None:
                    message = f"Training stopped by itself after {UNTIL_STOPPED_CAP_S / 60:.0f} minutes."
                self._sync_history(full=True)
                self._observe(clock=trainer.train_seconds, force_snapshot=True)
        except Exception as exc:  # never lost silently: the page shows it
            status, message = ERROR, _readable(exc)
            with self._lock:
                self._notes.append("".join(traceback.format_exception(exc))[-4000:])
        finally:
            with self._lock:
                self._status, self._message = status, message
                self._runs_ended += 1

    def _on_progress(self, p: Progress) -> None:
        """Called by the trainer after every step, in the training thread; keep it cheap."""
        trainer = self._trainer
        if self._stop_requested:
            trainer.request_stop()
        if self._freezes < 2 and (p.step == 1 or (self._freezes == 1 and p.val_loss is not None)):
            _freeze_heap()  # after TensorFlow traced the training step, then the validation step
            self._freezes += 1
        now = time.perf_counter()
        with self._lock:
            self._progress = p
        if now >= self._next_history:
            self._sync_history()
            self._next_history = now + 0.5
        if now >= self._next_observe:
            self._observe(clock=trainer.train_seconds + p.elapsed_s)
        if self._alive is not None and now >= self._next_alive_check:
            self._check_alive(now)

    def _check_alive(self, now: float) -> None:
        self._next_alive_check = now + self.alive_every_s
        try:
            alive = bool(self._alive())
        except Exception:
            alive = True
        with self._lock:
            if alive:
                self._gone_since = None
            elif self._gone_since is None:
                self._gone_since = now
            gone_for = 0.0 if self._gone_since is None else now - self._gone_since
        if gone_for >= self.gone_grace_s:
            self._trainer.request_stop()

    def _sync_history(self, full: bool = False) -> None:
        """Copy the trainer's new history points (all of them at the end of a run: the last one
        gets its validation loss then, and a diverged run drops the points after its good step)."""
        history = self._trainer.history
        start = 0 if full else self._hist_len
        new = history[start:]
        steps = [h.step for h in new]
        train = [h.train_loss for h in new]
        vals = [(h.step, h.val_loss) for h in new if h.val_loss is not None]
        with self._lock:
            if full:
                self._steps, self._train, self._val_steps, self._val = [], [], [], []
            self._steps.extend(steps)
            self._train.extend(train)
            self._val_steps.extend(s for s, _ in vals)
            self._val.extend(v for _, v in vals)
        self._hist_len = len(history)

    def _observe(self, clock: float, force_snapshot: bool = False) -> None:
        """Convert the weights to NumPy once, then sample from them and maybe keep them as a snapshot."""
        from lstm_core.sampling import generate

        t0 = time.perf_counter()
        trainer = self._trainer
        try:
            net = trainer.network()
        except Exception as exc:  # e.g. NaN weights just before the trainer notices: skip this look
            self._note(f"Could not read the weights at step {trainer.steps}: {_readable(exc)}")
            self._schedule_observe(t0)
            return
        step = trainer.steps
        texts = []
        for temperature in self.temperatures:
            try:
                gen = generate(net, self._vocab, self.prime, self.sample_chars, temperature=temperature,
                               seed=self.sample_seed)
                texts.append((temperature, gen.text))
            except Exception as exc:
                self._note(f"Could not sample at step {step}: {_readable(exc)}")
                break
        with self._lock:
            self._latest_net, self._latest_step = net, step
            if texts and (not self._samples or self._samples[-1].step != step):
                self._samples.append(SampleSet(step, tuple(texts)))
                del self._samples[:-self.keep_samples]
            take = force_snapshot or clock - self._last_snapshot_clock >= self._snapshot_interval - 1e-9
            if self._snapshots and self._snapshots[-1].step == step:
                self._snapshots[-1] = Snapshot(step, net)  # the same weights: one snapshot, the latest net
            elif take:
                # A diverged run goes back to an earlier step: later snapshots no longer happened.
                while self._snapshots and self._snapshots[-1].step > step:
                    self._snapshots.pop()
                self._snapshots.append(Snapshot(step, net))
                self._last_snapshot_clock = clock
                self._thin_snapshots(trainer)
        self._schedule_observe(t0)

    def _thin_snapshots(self, trainer: Trainer) -> None:
        """Keep at most max_snapshots (fewer for big models): drop every other older one and
        double the interval, so the ones kept stay evenly spread over the whole run."""
        per_net = max(1, total_params(trainer.spec) * 4 * 2)  # the weights, and the engine's prepared copy
        limit = max(4, min(self.max_snapshots, self.snapshot_bytes // per_net))
        while len(self._snapshots) > limit:
            latest = self._snapshots[-1]
            kept = self._snapshots[:-1][::2]
            self._snapshots = kept + [latest]
            self._snapshot_interval *= 2

    def _schedule_observe(self, t0: float) -> None:
        now = time.perf_counter()
        cost = now - t0
        self._overhead_s += cost
        # Never spend more than max_overhead of the time on looking: big models sample less often.
        self._next_observe = now + max(self.sample_every_s, cost / self.max_overhead)

    def _note_hiccup(self, exc: SystemError) -> None:
        self._note(f"Retried after a harmless Python threading hiccup ({exc}).")

    def _note(self, text: str) -> None:
        with self._lock:
            self._notes.append(text)
            del self._notes[:-20]

    @property
    def overhead_s(self) -> float:
        """Seconds the thread spent on samples and snapshots (for the benchmark)."""
        return self._overhead_s


def _freeze_heap() -> None:
    """Move every object alive now out of the cyclic garbage collector's sight (gc.freeze).

    Streamlit runs a full gc.collect() after every script run, fragment reruns included, so once
    a second while training. With TensorFlow loaded that walks ~400,000 objects and holds the GIL
    for 0.3-1 s, which stalls the training thread. TensorFlow's modules and traced functions live
    as long as the process anyway; frozen, a full collection takes milliseconds. Collect first, so
    no garbage is frozen in.
    """
    gc.collect()
    gc.freeze()


def _stop_guarded(guard: dict) -> None:
    trainer, thread = guard.get("trainer"), guard.get("thread")
    if trainer is not None:
        trainer.request_stop()
    if thread is not None and thread.is_alive() and thread is not threading.current_thread():
        thread.join(timeout=10)


def _readable(exc: BaseException) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    if not text:
        return name
    # Our own errors are written for people; others get their type so a teacher can report them.
    if name in ("TrainError", "CorpusError", "SpecError", "ModelFileError", "WeightsError"):
        return text
    return f"{name}: {text[:500]}"


def new_run_id() -> str:
    return f"run-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def bits(nats: float | None) -> float | None:
    return None if nats is None else nats * NATS_TO_BITS


# -- this session's job, and its place in the model list (script thread only) ---------------

JOB_KEY = "train_job"
INFO_KEY = "train_job_info"


@dataclass
class JobInfo:
    """What the page knows about its job beyond the job itself: settings and what was saved."""

    corpus: dict
    spec: object  # ModelSpec
    config: object  # TrainConfig
    label: str
    folder: Path
    summary: str = ""  # the settings in one line, for the page
    saved_runs: int = 0
    saved_folder: Path | None = None
    save_error: str = ""
    extra: dict = field(default_factory=dict)


def session_alive_check() -> Callable[[], bool] | None:
    """A function telling whether this browser session still exists (None outside a server)."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return None
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or not Runtime.exists():
        return None
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)


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
        return "Training now" if self._job.latest()[4] in (RUNNING, READY) else "Trained here"

    @property
    def origin(self) -> str:
        return "trained here"

    @property
    def model(self) -> LoadedModel | None:
        net, step, _, progress, _ = self._job.latest()
        if net is None:
            return None
        if self._cached is not None and self._cached[0] == id(net):
            return self._cached[1]
        info = self._info
        val = progress.val_loss if progress is not None else None
        meta = {"label": info.label, "corpus": info.corpus, "train": asdict(info.config), "live": True,
                "metrics": {"steps": step, "epochs": round(progress.epoch, 3) if progress else 0.0,
                            "val_loss_nats": val, "val_bits": bits(val),
                            "val_perplexity": None if val is None else math.exp(val)}}
        trainer = self._job.trainer
        loaded = LoadedModel(info.folder, net, trainer.vocab, info.spec, meta)
        self._cached = (id(net), loaded)
        return loaded

    @property
    def snapshots(self) -> list:
        """The kept snapshots, then the latest weights: the last one is the model as it is now."""
        net, step, snapshots, _, _ = self._job.latest()
        if net is not None and (not snapshots or snapshots[-1].step < step):
            snapshots.append(Snapshot(step, net))
        return snapshots


def session_job() -> tuple[TrainingJob | None, JobInfo | None]:
    """This session's job and what the page knows about it (None, None before the first Start)."""
    return st.session_state.get(JOB_KEY), st.session_state.get(INFO_KEY)


def start_job(build: Callable[[], Trainer], info: JobInfo, seconds: float | None, run_id: str) -> TrainingJob:
    """A new model: replaces this session's job (the models it trained before stay in the list)."""
    old = st.session_state.get(JOB_KEY)
    if old is not None and old.is_alive:
        raise RuntimeError("A model is already training; stop it first.")
    job = TrainingJob(build, run_id=run_id, alive=session_alive_check())
    st.session_state[JOB_KEY], st.session_state[INFO_KEY] = job, info
    job.start(seconds)
    return job


def offer_live_model(job: TrainingJob, info: JobInfo) -> bool:
    """Put the model being trained in the session's model list once it has weights; True if added now."""
    registry = models.models()
    current = registry.get(job.run_id)
    if isinstance(current, TrainingEntry) or job.latest()[0] is None:
        return False
    if current is not None and info.saved_runs >= job.view().runs_ended and not job.is_alive:
        return False  # already saved and registered as a trained model
    models.add(TrainingEntry(job, info), activate=False)
    return True


def needs_saving(job: TrainingJob, info: JobInfo) -> bool:
    return not job.is_alive and job.view().runs_ended > info.saved_runs


def finalise(job: TrainingJob, info: JobInfo) -> ModelEntry | None:
    """After a run ends: save the model, load it back, register it and make it active.

    Returns the new entry, or None when there was nothing to save (the model could not even be
    built) or saving failed (then info.save_error says why, for the page to show).
    """
    if not needs_saving(job, info):
        return None
    job.join(timeout=10)
    view = job.view()
    info.saved_runs = view.runs_ended
    trainer = job.trainer
    if trainer is None or (view.status == ERROR and trainer.steps == 0):
        # Nothing was learnt: do not offer (or make active) an untrained model.
        if isinstance(models.models().get(job.run_id), TrainingEntry):
            models.models().pop(job.run_id, None)
        return None
    try:
        trainer.save(info.folder, corpus=info.corpus, label=info.label)
        loaded = load_model_folder(info.folder)
    except Exception as exc:  # a full disk, a NaN that slipped through: say so, keep the session going
        info.save_error = f"The trained model could not be saved: {_readable(exc)}"
        return None
    info.save_error = ""
    info.saved_folder = info.folder
    entry = ModelEntry(job.run_id, "Trained here", loaded, list(view.snapshots))
    models.add(entry, activate=True)
    return entry
