"""A character model trained in runs: what each run's process does, and what the job keeps of it.

`character_job` makes the `TrainingJob` (lstm_core.training.job) of one model. Each Start or Resume
is a run of lstm_core.training.train_worker, which trains, saves the model folder and exits; Resume
starts from the saved folder, optimizer state included. A job made for a folder saved before the
server restarted (`before`) starts with Resume.

`CharacterRuns` keeps what a class wants to watch: the loss history, a few recent samples, and
weight snapshots spread over the whole run (at most `max_snapshots`, fewer for big models), so
other pages can look at the model as it was. After a run that was ended or died, the record goes
back to the model saved last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from lstm_core.i18n import N_, _
from lstm_core.inference.params import total_params
from lstm_core.inference.snapshot import Snapshot
from lstm_core.said import Said
from lstm_core.training import reports as r
from lstm_core.training.job import JobState, Limits, Outcome, Planned, TrainingJob
from lstm_core.training.launcher import Work
from lstm_core.training.slots import SLOTS, TrainingSlots
from lstm_core.training.states import ACTIVE, ENDED, FAILED, PREPARING, QUEUED, STOPPED
from lstm_core.training.train_worker import Resume, RunOrder, TrainRecipe, Watch, run_in, ships
from lstm_core.training.trainer import NATS_TO_BITS, HistoryPoint, Progress


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
class CharacterView:
    """A consistent copy of a character model's job at one moment (safe to use without the lock)."""

    run_id: str
    status: str
    message: str  # often a Said: show it with lstm_core.said.say
    progress: Progress | None
    history: LossHistory
    samples: tuple[SampleSet, ...]
    snapshots: tuple[Snapshot, ...]
    latest_net: object | None
    latest_step: int
    runs_ended: int
    budget_s: float | None  # None: until stopped
    steps: int
    train_seconds: float
    notes: tuple[str, ...] = ()
    queue_position: int = 0  # while queued: 1 = next in line
    slots: int = 1  # how many models the server trains at once; 0: a Ray cluster trains them, as it has room
    saved: bool = False  # the last run's model is in the job's folder
    save_error: str = ""  # a Said, when not empty

    @property
    def running(self) -> bool:
        """Training or waiting to: Start is unavailable, Stop is."""
        return self.status in ACTIVE

    @property
    def queued(self) -> bool:
        return self.status == QUEUED

    @property
    def building(self) -> bool:
        return self.status == PREPARING

    @property
    def ended(self) -> bool:
        return self.status in ENDED


def character_job(recipe: TrainRecipe, folder, *, run_id: str | None = None, corpus: dict | None = None,
                  label: str = "", watch: Watch = Watch(), alive=None, slots: TrainingSlots = SLOTS,
                  limits: Limits = Limits(), memory_mb: int | None = None, before: Resume | None = None,
                  **keep) -> TrainingJob:
    """The job of one character model, saved in `folder` (`keep`: CharacterRuns' other settings);
    `before`: what the runs of an earlier job left there (the model in `folder` is theirs)."""
    runs = CharacterRuns(recipe, folder, corpus=corpus, label=label, watch=watch, memory_mb=memory_mb,
                         before=before, **keep)
    job = TrainingJob(runs, run_id=run_id, alive=alive, slots=slots, limits=limits)
    runs.name = job.run_id
    return job


class CharacterRuns:
    """The runs of one character model (a RunKind): Start, then any number of Resumes."""

    def __init__(self, recipe: TrainRecipe, folder, *, corpus: dict | None = None, label: str = "",
                 watch: Watch = Watch(), memory_mb: int | None = None, keep_samples: int = 10,
                 snapshot_every_s: float = 5.0, max_snapshots: int = 24, snapshot_bytes: int = 128 << 20,
                 checkpoint_every_s: float = 60.0, before: Resume | None = None):
        self.recipe, self.folder, self.corpus, self.label, self.watch = recipe, str(folder), corpus or {}, label, watch
        self.vocab = recipe.vocab
        self.memory_mb, self.checkpoint_every_s = memory_mb, checkpoint_every_s
        self.keep_samples = keep_samples
        self.snapshot_every_s, self.max_snapshots, self.snapshot_bytes = snapshot_every_s, max_snapshots, snapshot_bytes
        self.name = "model"
        self.progress: Progress | None = None
        self.history: list[HistoryPoint] = []
        self.samples: list[SampleSet] = []
        self.snapshots: list[Snapshot] = []
        self.latest_net, self.latest_step = None, -1
        self.notes: list[str] = []
        self.steps, self.train_seconds, self.last_val = 0, 0.0, None
        self.saved, self.save_error = False, ""
        self.ended: r.Ended | None = None
        self.failed: r.Failed | None = None
        self.checkpoint: r.Checkpoint | None = None  # this run's last
        self.run_start: tuple = (0, 0.0, None)  # (steps, train_seconds, last_val) as the run found them
        self.snapshot_interval = snapshot_every_s
        self.last_snapshot_clock = -math.inf
        if before is not None:  # the model saved in `folder` goes on from its record
            self.steps, self.train_seconds, self.last_val = before.steps, before.train_seconds, before.last_val_loss
            self.history, self.saved = list(before.history), True
            self.run_start = (self.steps, self.train_seconds, self.last_val)

    def plan(self, seconds: float, until_stopped: bool, learning_rate: float | None, resume: bool) -> Planned:
        if resume and not self.saved:
            raise RuntimeError(_("There is no saved model to resume yet; start one first."))
        previous = (Resume(self.steps, self.train_seconds, self.last_val, tuple(self.history))
                    if resume else None)
        # "Until I stop it" runs at a constant learning rate: there is no end to cool down towards.
        order = RunOrder(seconds, self.folder, self.corpus, self.label, learning_rate, previous,
                         cool_down=not until_stopped, checkpoint_every_s=self.checkpoint_every_s,
                         memory_mb=self.memory_mb)
        self.progress = None  # the last run's progress (elapsed time, ETA) means nothing for this one
        self.ended = self.failed = self.checkpoint = None
        self.run_start = (self.steps, self.train_seconds, self.last_val)
        work = Work(partial(run_in, self.recipe, order, self.watch), self.folder, f"lstm-lab-{self.name}",
                    memory_mb=self.memory_mb, seeded=resume, ships=ships)
        return Planned(work, seconds)

    def apply(self, report: r.Report) -> None:
        match report:
            case r.Stepped(progress=progress):
                self.progress, self.steps = progress, progress.step
            case r.Losses(full=full, points=points):
                if full:
                    self.history = []
                self.history.extend(HistoryPoint(*p) for p in points)
            case r.Look():
                self._look(report)
            case r.Note(text=text):
                self._note(text)
            case r.Ended():
                self.ended = report
                if report.progress is not None:
                    self.progress = report.progress
                self.steps, self.train_seconds, self.last_val = report.steps, report.train_seconds, report.last_val
                self.saved = self.saved or report.saved
                self.save_error = report.save_error
            case r.Checkpoint():
                self.checkpoint, self.saved = report, True
            case r.Failed():
                self.failed = report
                self._note(report.traceback or report.said)

    def conclude(self, outcome: Outcome) -> tuple[str, str]:
        if outcome.how == "left queue":
            return STOPPED, (Said(N_("Stopped while waiting for a free training slot: nothing was trained."))
                             if not self.run_start[0] and not self.saved
                             else Said(N_("Stopped while waiting for a free training slot.")))
        if outcome.how == "ended here":
            return STOPPED, outcome.said.then(self._back_to_checkpoint())
        if outcome.how == "died":
            return FAILED, outcome.said.then(self._back_to_checkpoint())
        if outcome.how == "lost" or self.failed is not None:
            return FAILED, outcome.said or self.failed.said
        if self.ended is None:
            return FAILED, Said(N_("The training process ended without saying how.")).then(self._back_to_checkpoint())
        return self.ended.state, self.ended.said

    def view(self, state: JobState) -> CharacterView:
        vals = [(h.step, h.val_loss) for h in self.history if h.val_loss is not None]
        history = LossHistory(tuple(h.step for h in self.history), tuple(h.train_loss for h in self.history),
                              tuple(s for s, _ in vals), tuple(v for _, v in vals))
        return CharacterView(
            run_id=state.run_id, status=state.status, message=state.message, progress=self.progress,
            history=history, samples=tuple(self.samples), snapshots=tuple(self.snapshots),
            latest_net=self.latest_net, latest_step=self.latest_step, runs_ended=state.runs_ended,
            budget_s=state.budget_s, steps=self.steps, train_seconds=self.train_seconds, notes=tuple(self.notes),
            queue_position=state.queue_position, slots=state.slots, saved=self.saved, save_error=self.save_error)

    def _back_to_checkpoint(self) -> Said:
        """After a run died or was ended: the record goes back to the model saved last, by this
        run's last checkpoint or else by the run before it."""
        if self.checkpoint is not None:
            c = self.checkpoint
            self.steps, self.train_seconds, self.last_val = c.steps, c.train_seconds, c.last_val
            said = Said(N_("The model saved at step {step:,} (its last checkpoint) is kept."), step=self.steps)
        else:
            self.steps, self.train_seconds, self.last_val = self.run_start
            said = (Said(N_("The model as the previous run left it (step {step:,}) is kept."), step=self.steps)
                    if self.saved else Said(N_("Nothing was trained.")))
        self.history = [h for h in self.history if h.step <= self.steps]
        return said

    def _look(self, look: r.Look) -> None:
        """A new look at the weights: the latest net, a sample set, maybe a snapshot."""
        step, net = look.step, look.net
        self.latest_net, self.latest_step = net, step
        if look.texts and (not self.samples or self.samples[-1].step != step):
            self.samples.append(SampleSet(step, look.texts))
            del self.samples[:-self.keep_samples]
        if self.snapshots and self.snapshots[-1].step == step:
            self.snapshots[-1] = Snapshot(step, net)  # the same weights: one snapshot, the latest net
            return
        # A diverged run goes back to an earlier step: later snapshots no longer happened.
        while self.snapshots and self.snapshots[-1].step > step:
            self.snapshots.pop()
        # The untrained model and the end of every run are kept; in between, one per snapshot interval.
        if look.force or look.clock - self.last_snapshot_clock >= self.snapshot_interval - 1e-9:
            self.snapshots.append(Snapshot(step, net))
            self.last_snapshot_clock = look.clock
            self.thin_snapshots()

    def thin_snapshots(self) -> None:
        """Keep at most max_snapshots (fewer for big models): drop every other older one and
        double the interval, so the ones kept stay evenly spread over the whole run."""
        per_net = max(1, total_params(self.recipe.spec) * 4)  # the weights (the engine prepares a copy only to run one)
        limit = max(4, min(self.max_snapshots, self.snapshot_bytes // per_net))
        while len(self.snapshots) > limit:
            latest = self.snapshots[-1]
            self.snapshots = self.snapshots[:-1][::2] + [latest]
            self.snapshot_interval *= 2

    def _note(self, text: str) -> None:
        self.notes.append(text)
        del self.notes[:-20]


def latest(job: TrainingJob) -> tuple[object | None, int, list[Snapshot], Progress | None, str]:
    """Cheap: the latest weights (a NumPy network), their step, the snapshots, progress and status."""
    return job.peek(lambda runs, status: (runs.latest_net, runs.latest_step, list(runs.snapshots), runs.progress,
                                          status))


def bits(nats: float | None) -> float | None:
    return None if nats is None else nats * NATS_TO_BITS

