"""Training sentiment classifiers as a `TrainingJob` (lstm_core.training.job): the run's process and
what the job keeps of it.

One job trains one classifier, or several one after the other on the same data, split and
vocabulary (the comparison of SimpleRNN, LSTM and GRU). When a classifier ends, its test accuracy
per domain (next to VADER's) is measured, it is saved as a model folder, and the job loads that
folder back for NumPy scoring.

Why a process and not a thread: after every script run (a fragment refreshing the progress once
a second included) Streamlit calls `keras.backend.clear_session()` and `gc.collect()` in its own
process whenever Keras has been imported there. That clears TensorFlow's kernel cache and holds
the interpreter for a long time, which made a training thread ten to a hundred times slower.
In a child process (spawned, so it starts clean) training runs at full speed, the server never
imports TensorFlow, and memory goes back to the system when training ends. Like every run, it
queues for a slot, is refused before it starts when its estimated memory is over the budget, and
trains under the hard limit behind it (lstm_core.training.budget).
"""

from __future__ import annotations

import math
import os
import time
import traceback
import uuid
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from lstm_core.i18n import N_
from lstm_core.said import Said, said_of, say
from lstm_core.training import budget
from lstm_core.training import reports as r
from lstm_core.training.job import JobState, Limits, Outcome, Planned, TrainingJob
from lstm_core.training.launcher import Work
from lstm_core.training.slots import SLOTS, TrainingSlots, yield_to_pages
from lstm_core.training.states import ACTIVE, DIVERGED, ENDED, FAILED, FINISHED, PREPARING, QUEUED, RUNNING, STOPPED
from . import reports as sr
from .data import Example
from .model import ARCHS
from .training import EpochPoint, Evaluation, SentimentProgress, TrainSettings

MAX_POINTS = 2_000  # per-step history kept for the chart (older points thinned)
REPORT_EVERY_S = 0.25


@dataclass(frozen=True)
class SentimentRecipe:
    """What the process trains (pickled to it): the classifiers' settings, one after the other."""

    examples: tuple[Example, ...]
    settings: tuple[TrainSettings, ...]
    label_prefix: str = ""

    def trainer(self, settings: TrainSettings, vocab):
        from .training import SentimentTrainer

        return SentimentTrainer(self.examples, settings, vocab=vocab)


@dataclass(frozen=True)
class RunView:
    """One classifier of the job."""

    settings: TrainSettings
    status: str
    said: Said | str  # made in the training process or the job: put into words when read
    progress: SentimentProgress | None
    steps: tuple[int, ...]
    loss: tuple[float, ...]
    accuracy: tuple[float, ...]
    epochs: tuple[EpochPoint, ...]
    evaluation: Evaluation | None
    model: object | None  # store.SentimentModel once saved
    seconds: float

    @property
    def arch_name(self) -> str:
        return ARCHS[self.settings.arch]

    @property
    def message(self) -> str:
        """What happened to the run, in the language of whoever reads it (English outside a page)."""
        return say(self.said)


@dataclass(frozen=True)
class SentimentView:
    run_id: str
    comparison: bool  # several classifiers, one after the other
    runs: tuple[RunView, ...]
    current: int  # index of the classifier in progress (or the last one)
    status: str
    message: str
    queue_position: int = 0  # waiting for a free training slot: 1 = next in line
    slots: int = 1  # how many models the server trains at once; 0: a Ray cluster trains them, as it has room

    @property
    def running(self) -> bool:
        return self.status in ACTIVE

    @property
    def ended(self) -> bool:
        return self.status in ENDED


class _Model:
    def __init__(self, settings: TrainSettings):
        self.settings = settings
        self.status, self.said = QUEUED, ""
        self.progress: SentimentProgress | None = None
        self.steps: list[int] = []
        self.loss: list[float] = []
        self.accuracy: list[float] = []
        self.epochs: list[EpochPoint] = []
        self.evaluation: Evaluation | None = None
        self.model = None
        self.seconds = 0.0

    def view(self) -> RunView:
        return RunView(self.settings, self.status, self.said, self.progress, tuple(self.steps), tuple(self.loss),
                       tuple(self.accuracy), tuple(self.epochs), self.evaluation, self.model, self.seconds)


def sentiment_job(recipe: SentimentRecipe, out_dir: str | Path, *, comparison: bool = False, alive=None,
                  slots: TrainingSlots = SLOTS, limits: Limits = Limits(), memory_mb: int | None = None
                  ) -> TrainingJob:
    """The job of `recipe`'s classifiers, saved under `out_dir`; its memory budget is `memory_mb`, or the
    server's share for one training (budget.budget_mb)."""
    if not recipe.settings:
        raise ValueError("nothing to train")
    runs = SentimentRuns(recipe, out_dir, comparison=comparison,
                         memory_mb=budget.budget_mb(slots.limit) if memory_mb is None else memory_mb)
    return TrainingJob(runs, run_id=f"sentiment-{uuid.uuid4().hex[:8]}", alive=alive, slots=slots, limits=limits)


class SentimentRuns:
    """The classifiers of one job (a RunKind): trained in one run, never resumed."""

    def __init__(self, recipe: SentimentRecipe, out_dir: str | Path, *, comparison: bool, memory_mb: int):
        self.recipe, self.out_dir, self.comparison, self.memory_mb = recipe, Path(out_dir), comparison, memory_mb
        self.models = [_Model(s) for s in recipe.settings]
        self.current = 0
        self.name = "sentiment"

    def plan(self, seconds: float, until_stopped: bool, learning_rate: float | None, resume: bool) -> Planned:
        if resume:
            raise RuntimeError("a sentiment training is never resumed")
        check(self.recipe, self.memory_mb)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        name = self.out_dir.name
        work = Work(partial(_train, self.recipe, name, self.memory_mb), str(self.out_dir), f"lstm-lab-{name}",
                    memory_mb=self.memory_mb, ships=_ships)
        return Planned(work, seconds)

    def apply(self, report: r.Report) -> None:
        model = getattr(report, "model", None)
        if model is not None and not isinstance(report, sr.ModelResult):
            self.current = model
        match report:
            case sr.ModelState(state=state):
                self.models[model].status, self.models[model].said = state, ""
            case sr.Steps(points=points):
                run = self.models[model]
                for step, loss, acc in points:
                    run.steps.append(step)
                    run.loss.append(loss)
                    run.accuracy.append(acc)
                if len(run.steps) > MAX_POINTS:  # keep every other old point: the chart stays light
                    half = len(run.steps) // 2
                    for series in (run.steps, run.loss, run.accuracy):
                        series[:half] = series[:half:2]
            case sr.Advanced(progress=progress):
                self.models[model].progress = progress
            case sr.Epoch(point=point):
                self.models[model].epochs.append(point)
            case sr.ModelResult():
                self._result(report)
            case r.Failed(said=said):
                self.models[model].status, self.models[model].said = FAILED, said

    def _result(self, result: sr.ModelResult) -> None:
        run = self.models[result.model]
        status, said, model = result.state, result.said, None
        if result.folder is not None:
            from .store import SentimentModelError, load_folder

            try:
                model = load_folder(self.out_dir / result.folder)
            except SentimentModelError as exc:
                status, said = FAILED, Said(N_("The trained model could not be read back: {problem}"), problem=exc)
        run.evaluation, run.model, run.seconds, run.status, run.said = \
            result.evaluation, model, result.seconds, status, said

    def conclude(self, outcome: Outcome) -> tuple[str, str]:
        left = [m for m in self.models if m.status not in ENDED]
        if outcome.how == "left queue":
            said = Said(N_("Stopped while waiting for a free training slot: nothing was trained."))
            for m in left:
                m.status, m.said = STOPPED, said
            return STOPPED, said
        if outcome.how in ("ended here", "died", "lost"):
            status = STOPPED if outcome.how == "ended here" else FAILED
            for m in left:
                m.status, m.said = status, outcome.said
            return status, outcome.said
        for m in left:  # stopped before their turn
            m.status, m.said = STOPPED, Said(N_("Stopped before the first epoch ended: nothing to keep."))
        statuses = [m.status for m in self.models]
        for status in (FAILED, STOPPED, DIVERGED):
            if status in statuses:
                return status, ""
        return FINISHED, ""

    def view(self, state: JobState) -> SentimentView:
        return SentimentView(state.run_id, self.comparison, tuple(m.view() for m in self.models), self.current,
                             state.status, state.message, state.queue_position, state.slots)


# -- the memory a training needs ----------------------------------------------------------------------

# The settings a person can lower, with their names on the page and their usual values.
_KNOBS = (("batch_size", N_("batch size"), 32), ("units", N_("units"), 64),
          ("max_words", N_("vocabulary size"), 20_000), ("embed_dim", N_("embedding size"), 32))


def estimate_mb(settings: TrainSettings, examples: int = 0) -> float:
    """Peak memory of training one classifier, counted as budget.estimate counts a character model's:
    the runtime, four numbers per parameter (weights, gradients, Adam's two moments), and per
    position of a batch (reviews are cut to MAX_TRAIN_WORDS words) the units' numbers and the embedding."""
    from .training import MAX_TRAIN_WORDS

    gates = {"lstm": 4, "gru": 3, "rnn": 1}[settings.arch]
    params = (settings.max_words * settings.embed_dim
              + gates * (settings.embed_dim + settings.units + 2) * settings.units + settings.units + 1)
    positions = settings.batch_size * MAX_TRAIN_WORDS
    per_position = settings.units * budget.NUMBERS_PER_UNIT[settings.arch] + 2 * settings.embed_dim
    return (budget.RUNTIME_MB + examples * 2048 / (1 << 20) + params * 16 / (1 << 20)
            + positions * per_position * 4 / (1 << 20))


def check(recipe: SentimentRecipe, budget_mb: int) -> None:
    """budget.BudgetError, naming the costliest setting and a value that fits, when a classifier of the
    recipe would not fit `budget_mb`."""
    for settings in recipe.settings:
        values = {key: getattr(settings, key) for key, _name, _usual in _KNOBS}
        budget.refuse_over(lambda **changed: estimate_mb(replace(settings, **changed), len(recipe.examples)),
                           values, _KNOBS, budget_mb)


# -- the process ------------------------------------------------------------------------------------------


def _train(recipe: SentimentRecipe, name: str, memory_mb: int | None, out_dir, reports, stop, parent_pid) -> None:
    """Train every classifier in turn, saving under `out_dir` (a result names its model's folder within it)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    yield_to_pages()

    def stopping() -> bool:
        return stop.is_set() or os.getppid() != parent_pid  # the parent is gone: stop too

    vocab = None
    try:
        reports.put(r.Preparing())
        for index, settings in enumerate(recipe.settings):
            if stopping():
                break
            try:
                reports.put(sr.ModelState(index, PREPARING))
                trainer = recipe.trainer(settings, vocab)
                vocab = trainer.vocab  # the comparison's models read the same words
                reports.put(r.Prepared())
                reports.put(sr.ModelState(index, RUNNING))
                _train_one(trainer, index, recipe, name, out_dir, reports, stopping)
            except Exception as exc:  # never lost silently: the page shows it
                said = _readable(exc)
                if memory_mb is not None and _out_of_memory(exc):
                    said = budget.over_budget(memory_mb)
                reports.put(r.Failed(said, "".join(traceback.format_exception(exc))[-4000:], index))
    finally:
        reports.put(r.Done())
        reports.close()
        reports.join_thread()


def _train_one(trainer, index: int, recipe: SentimentRecipe, name: str, out_dir, reports, stopping) -> None:
    sent = 0

    def flush() -> None:
        nonlocal sent
        new = trainer.history[sent:]
        sent = len(trainer.history)
        if new:
            reports.put(sr.Steps(index, tuple(new)))

    def on_progress(p: SentimentProgress) -> None:
        if stopping():
            trainer.request_stop()
        flush()
        reports.put(sr.Advanced(index, p))

    def on_epoch(point: EpochPoint) -> None:
        flush()
        reports.put(sr.Epoch(index, point))

    started = time.perf_counter()
    result = trainer.run(on_progress=on_progress, on_epoch=on_epoch, progress_every_s=REPORT_EVERY_S)
    seconds = time.perf_counter() - started
    if not trainer.epoch_history:
        reports.put(sr.ModelResult(index, None, None, seconds, STOPPED if result.status == "stopped" else result.status,
                                   result.message or Said(N_("Stopped before the first epoch ended: nothing to "
                                                             "keep."))))
        return
    evaluation = trainer.evaluate("test")
    folder = f"{name}-{index + 1}-{recipe.settings[index].arch}"
    trainer.save(Path(out_dir) / folder, evaluation, label=f"{recipe.label_prefix}{trainer.spec.arch_name}")
    reports.put(sr.ModelResult(index, evaluation, folder, seconds, result.status, result.message))


def _ships(report: r.Report) -> str | None:
    """A result names a model folder that is complete (launcher.Work.ships)."""
    return report.folder if isinstance(report, sr.ModelResult) else None


def _out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError"


def _readable(exc: BaseException) -> Said | str:
    """What a failure says to a person: our own errors, raised with a Said, as that Said (put into words
    on the page); any other keeps its type, for a bug report."""
    said = said_of(exc)
    if isinstance(said, Said):
        return said
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text[:500]}" if text else type(exc).__name__


def comparison_settings(base: TrainSettings) -> list[TrainSettings]:
    """SimpleRNN, LSTM and GRU with everything else equal."""
    return [replace(base, arch=arch) for arch in ("rnn", "lstm", "gru")]


def elapsed_label(seconds: float) -> str:
    seconds = max(0, int(math.ceil(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"
