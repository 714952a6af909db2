"""TrainingJob with real (tiny) models: the thread, stop, resume, snapshots, samples, NaN and errors.

Tiny models (8 units) train in milliseconds per step; the tests poll with timeouts instead of
sleeping, so they stay fast on an idle machine and still pass on a busy one.
"""

import math
import time
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from lstm_core.tf_runtime import retry_ast_race
from lstm_core.spec import ModelSpec
from lstm_core.trainer import TrainConfig, Trainer
from lstm_core.vocab import CharVocab
from ui import training_job as tj
from ui.figures_training import MAX_RAW_POINTS, loss_figure, smooth
from ui.models import Snapshot

TIMEOUT = 120.0  # generous: the first build imports TensorFlow, and the machine may be busy


def wait_for(condition, timeout=TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def make_build(text, stop_at=None, fail_at=None, job_ref=None, **config):
    """A build function for a tiny LSTM; optionally stop the job or raise at a given step."""
    vocab = CharVocab.from_text(text)

    def build():
        spec = ModelSpec(vocab_size=vocab.size, units=8, embed_dim=4)
        trainer = Trainer(spec, vocab, vocab.ids(text), TrainConfig(**{"seq_len": 16, "batch_size": 8, "seed": 3,
                                                                       **config}))
        original = trainer.train_step

        def train_step():
            if fail_at is not None and trainer.steps + 1 == fail_at:
                raise RuntimeError("simulated failure in the training step")
            loss = original()
            if stop_at is not None and trainer.steps == stop_at:
                job_ref[0].stop()
            return loss

        trainer.train_step = train_step
        return trainer

    return build


JOBS = []


@pytest.fixture(autouse=True)
def stop_jobs_left_running():
    """A failed test must not leave a thread training into the next test (or into interpreter exit)."""
    yield
    while JOBS:
        job = JOBS.pop()
        job.stop()
        job.join(timeout=TIMEOUT)


def new_job(text, *, stop_at=None, fail_at=None, **kwargs):
    ref = [None]
    kwargs.setdefault("sample_chars", 40)
    job = tj.TrainingJob(make_build(text, stop_at=stop_at, fail_at=fail_at, job_ref=ref), **kwargs)
    ref[0] = job
    JOBS.append(job)
    return job


def finished(job):
    return job.join(timeout=TIMEOUT) and job.view().ended


def test_start_progress_stop_within_a_step_then_resume_continues(tiny_text):
    job = new_job(tiny_text, stop_at=5)
    assert job.view().status == tj.READY
    job.start(seconds=60)
    assert job.view().status == tj.RUNNING
    assert finished(job)
    view = job.view()
    # The stop came from inside step 5; not one more step was taken.
    assert view.status == tj.STOPPED and view.steps == 5
    assert view.progress is not None and view.progress.step == 5 and view.progress.chars_per_s > 0
    assert list(view.history.steps) == [1, 2, 3, 4, 5]
    assert view.history.val_steps[-1] == 5  # the end of a run is always validated
    assert view.runs_ended == 1
    iterations = int(job.trainer.model.optimizer.iterations.numpy())

    job.resume(seconds=0.5, learning_rate=0.002)
    assert finished(job)
    view = job.view()
    assert view.status == tj.FINISHED and view.steps > 5 and view.runs_ended == 2
    assert job.trainer.config.learning_rate == pytest.approx(0.002)
    assert int(job.trainer.model.optimizer.iterations.numpy()) == iterations + view.steps - 5
    steps = list(view.history.steps)
    assert steps == list(range(1, view.steps + 1))  # one history point per step, continuing the count
    assert [h.step for h in job.trainer.history] == steps


def test_stop_from_the_page_thread_while_running(tiny_text):
    job = new_job(tiny_text)
    job.start(seconds=None)  # until stopped
    wait_for(lambda: job.view().steps >= 3, what="three training steps")
    assert job.view().budget_s is None and job.view().running
    job.stop()
    assert finished(job)
    assert job.view().status == tj.STOPPED
    with pytest.raises(RuntimeError):
        tj.TrainingJob(make_build(tiny_text)).resume(1)  # nothing to resume yet


def test_cannot_start_twice_or_with_a_bad_budget(tiny_text):
    job = new_job(tiny_text)
    with pytest.raises(ValueError):
        job.start(seconds=-1)
    job.start(seconds=30)
    with pytest.raises(RuntimeError, match="already training"):
        job.start(1)
    job.stop()
    assert finished(job)


def test_stop_before_the_model_is_built(tiny_text):
    job = new_job(tiny_text)
    job.start(seconds=30)
    job.stop()  # almost certainly while TensorFlow builds the model
    assert finished(job)
    view = job.view()
    assert view.status == tj.STOPPED
    assert view.steps <= 1


def test_samples_and_snapshots_are_produced_bounded_and_spread(tiny_text):
    job = new_job(tiny_text, stop_at=80, sample_every_s=0.05, snapshot_every_s=0.05, max_snapshots=6,
                  keep_samples=4, max_overhead=0.5)
    job.start(seconds=None)
    assert finished(job)
    view = job.view()
    assert view.status == tj.STOPPED and view.steps == 80
    # Samples: the untrained model at step 0 first, then every ~0.05 s; only the last 4 kept.
    assert 1 <= len(view.samples) <= 4
    for sample in view.samples:
        assert [t for t, _ in sample.texts] == [0.5, 1.0]
        assert all(len(text) == 40 for _, text in sample.texts)
    assert view.samples[-1].step == view.steps  # the end of a run is always sampled
    # Snapshots: bounded, in step order, from step 0 to the last step, spread over the run.
    steps = [s.step for s in view.snapshots]
    assert 2 <= len(steps) <= 6
    assert steps == sorted(set(steps))
    assert steps[0] == 0 and steps[-1] == view.steps
    assert max(np.diff(steps)) <= 0.75 * view.steps, f"snapshots bunched together: {steps}"
    assert job._snapshot_interval > 0.05  # thinned at least once, so the interval grew
    assert view.latest_step == view.steps and view.latest_net is view.snapshots[-1].net
    assert all(isinstance(s, Snapshot) for s in view.snapshots)


def test_thinning_keeps_every_other_older_snapshot(tiny_text):
    job = tj.TrainingJob(lambda: None, max_snapshots=8)
    fake_trainer = SimpleNamespace(spec=ModelSpec(vocab_size=10, units=8, embed_dim=4))
    job._snapshots = [Snapshot(step, None) for step in range(0, 90, 10)]  # 9 > 8
    job._thin_snapshots(fake_trainer)
    assert [s.step for s in job._snapshots] == [0, 20, 40, 60, 80]
    assert job._snapshot_interval == 2 * job.snapshot_every_s
    # A big model keeps fewer snapshots: the memory budget bounds them too (but never below 4).
    job = tj.TrainingJob(lambda: None, max_snapshots=24, snapshot_bytes=1)
    job._snapshots = [Snapshot(step, None) for step in range(10)]
    job._thin_snapshots(fake_trainer)
    assert len(job._snapshots) <= 4 and job._snapshots[0].step == 0 and job._snapshots[-1].step == 9


def test_diverged_run_keeps_the_last_good_weights(tiny_text):
    job = new_job(tiny_text, stop_at=4)
    job.start(seconds=30)
    assert finished(job)
    trainer = job.trainer
    good = [w.copy() for w in trainer.model.get_weights()]
    trainer.model.set_weights([np.full_like(w, np.nan) for w in good])  # as a runaway update would
    job.resume(seconds=30)
    assert finished(job)
    view = job.view()
    assert view.status == tj.DIVERGED
    assert "Lower the learning rate" in view.message
    # Back to the weights before step 4, the last step whose loss was finite (see the Trainer).
    assert view.steps == 3
    assert all(np.isfinite(w).all() for w in trainer.model.get_weights())
    # The snapshot taken at step 4 no longer describes the model; the last one is the restored model.
    assert view.latest_net is not None and [s.step for s in view.snapshots][-1] == 3
    assert np.isfinite(view.latest_net.embedding).all()
    assert max(view.history.steps) == 3


def test_an_exception_in_the_thread_becomes_a_readable_error(tiny_text):
    job = new_job(tiny_text, fail_at=3)
    job.start(seconds=30)
    assert finished(job)
    view = job.view()
    assert view.status == tj.ERROR
    assert "RuntimeError" in view.message and "simulated failure" in view.message
    assert view.steps == 2 and job.trainer is not None  # what was trained is still there
    assert any("Traceback" in note for note in view.notes)


def test_a_build_that_fails_is_reported(tiny_text):
    def build():
        raise MemoryError("no room for this network")

    job = tj.TrainingJob(build)
    JOBS.append(job)
    job.start(seconds=5)
    assert finished(job)
    view = job.view()
    assert view.status == tj.ERROR and "no room for this network" in view.message
    assert job.trainer is None and not view.building


def test_training_stops_when_the_browser_session_is_gone(tiny_text):
    job = new_job(tiny_text, alive=lambda: False, alive_every_s=0.0, gone_grace_s=0.0)
    job.start(seconds=None)
    assert finished(job)
    view = job.view()
    assert view.status == tj.STOPPED and "tab was closed" in view.message


def test_the_extra_work_is_small(tiny_text):
    job = new_job(tiny_text, max_overhead=0.05)
    job.start(seconds=3)
    assert finished(job)
    view = job.view()
    # At least one look at the model happened, and looking costs at most ~5% of the time after the first.
    assert view.samples and job.overhead_s <= 0.05 * view.train_seconds + 2.0


def test_a_step_whose_tracing_hit_the_ast_race_is_traced_again(tiny_text):
    """CPython 3.11's threading bug strikes while TensorFlow traces the first step; the job recovers."""
    inner = make_build(tiny_text)

    def build():
        trainer = inner()
        original, calls = trainer.model.compute_loss, []

        def compute_loss(*args, **kwargs):  # called while the training step is traced
            calls.append(1)
            if len(calls) == 1:
                raise SystemError("AST constructor recursion depth mismatch (before=819, after=36)")
            return original(*args, **kwargs)

        trainer.model.compute_loss = compute_loss
        return trainer

    job = tj.TrainingJob(build, sample_chars=20)
    JOBS.append(job)
    job.start(seconds=None)
    wait_for(lambda: job.view().steps >= 3 or job.view().ended, what="steps after the retry")
    job.stop()
    assert finished(job)
    view = job.view()
    assert view.status == tj.STOPPED, view.message
    assert view.steps >= 3 and math.isfinite(view.history.train[0])
    assert any("Retried" in note for note in view.notes)


def test_the_python_311_ast_race_is_retried_and_other_errors_are_not():
    calls, notes = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise SystemError("AST constructor recursion depth mismatch (before=819, after=36)")
        return "trained"

    assert retry_ast_race(flaky, on_retry=notes.append) == "trained"
    assert len(calls) == 3 and len(notes) == 2

    def broken():
        raise SystemError("something else")

    with pytest.raises(SystemError, match="something else"):
        retry_ast_race(broken, on_retry=notes.append)


# -- the chart -----------------------------------------------------------------------------------

def history(n=50, every=10):
    steps = tuple(range(1, n + 1))
    train = tuple(4.0 - 2.0 * i / n + 0.1 * math.sin(i) for i in range(n))
    val_steps = tuple(s for s in steps if s % every == 0)
    val = tuple(4.0 - 2.0 * s / n for s in val_steps)
    return tj.LossHistory(steps, train, val_steps, val)


def test_figure_has_raw_smoothed_and_validation_curves():
    h = history()
    fig = loss_figure(h, vocab_size=66)
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    assert names == ["training loss (each step)", "training loss (smoothed)", "validation loss (held-out text)"]
    assert list(fig.data[0].x) == list(h.steps)
    assert list(fig.data[2].y) == pytest.approx(h.val)
    assert "nats" in fig.layout.yaxis.title.text
    assert any(shape.y0 == pytest.approx(math.log(65)) for shape in fig.layout.shapes)  # random guessing


def test_figure_in_bits_scales_every_curve():
    h = history()
    nats, bits = loss_figure(h, "nats"), loss_figure(h, "bits")
    for a, b in zip(nats.data, bits.data):
        assert np.asarray(b.y) == pytest.approx(np.asarray(a.y) / math.log(2))
    assert "bits" in bits.layout.yaxis.title.text
    with pytest.raises(ValueError):
        loss_figure(h, "decibels")


def test_figure_of_a_long_run_is_decimated_and_an_empty_one_is_explained():
    h = history(n=20_000, every=500)
    fig = loss_figure(h)
    assert len(fig.data[0].x) <= MAX_RAW_POINTS and fig.data[0].x[-1] == 20_000
    empty = loss_figure(tj.LossHistory())
    assert len(empty.data) == 0 and "first training steps" in empty.layout.annotations[0].text


def test_smoothing_starts_at_the_first_value_and_follows_the_trend():
    y = smooth([3.0, 3.0, 3.0])
    assert y == pytest.approx([3.0, 3.0, 3.0])  # no bias towards 0
    falling = smooth(np.linspace(4, 2, 200))
    assert falling[0] == pytest.approx(4) and falling[-1] < 2.3
    assert smooth([]).size == 0
    assert np.isfinite(smooth([1.0, float("nan"), 1.0])).all()
