"""TrainingJob with real (tiny) models in child processes: stop, resume, the queue, snapshots,
samples, NaN and errors.

Tiny models (8 units) train in milliseconds per step; every run is a spawned process that imports
TensorFlow (a few seconds). The tests poll with timeouts instead of sleeping, so they stay fast on
an idle machine and still pass on a busy one.
"""

import math
import multiprocessing
from dataclasses import replace
import os
import signal

import numpy as np
import plotly.graph_objects as go
import pytest

from helpers_jobs import JOBS, finished, stop_jobs_left_running  # noqa: F401  (an autouse fixture)
from helpers_training import tiny_recipe, wait_for, wait_for_checkpoints
from lstm_core.storage.persistence import load_keras_model, load_model_folder
from lstm_core.training.slots import TrainingSlots
from lstm_core.training.tf_runtime import retry_ast_race
from lstm_core.training import job as tj
from lstm_core.training import states
from lstm_core.training.character_runs import LossHistory, character_job
from lstm_core.training.train_worker import Watch
from ui.figures.smoothing import smooth
from ui.train.figures import MAX_RAW_POINTS, loss_figure
from lstm_core.inference.snapshot import Snapshot



def new_job(text, tmp_path, *, faults=None, watch=None, **kwargs):
    kwargs.setdefault("slots", TrainingSlots(4))
    limits = tj.Limits(**{k: kwargs.pop(k) for k in list(kwargs) if k in tj.Limits.__dataclass_fields__})
    job = character_job(tiny_recipe(text, **(faults or {})), tmp_path / f"model-{len(JOBS)}",
                        watch=watch or Watch(sample_chars=40), corpus={"name": "tiny"}, label="tiny", limits=limits,
                        **kwargs)
    JOBS.append(job)
    return job


def test_start_stop_within_a_step_then_resume_continues_from_the_saved_model(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path, faults={"stop_at": 5})
    job.start(seconds=60)
    assert job.view().status in states.ACTIVE and job.view().running
    assert finished(job)
    view = job.view()
    # The stop came from inside step 5; not one more step was taken.
    assert view.status == states.STOPPED and view.steps == 5 and view.saved
    assert view.progress is not None and view.progress.step == 5 and view.progress.chars_per_s > 0
    assert list(view.history.steps) == [1, 2, 3, 4, 5]
    assert view.history.val_steps[-1] == 5  # the end of a run is always validated
    assert view.runs_ended == 1
    # The run's process saved the model, optimizer state included, and has exited.
    assert int(load_keras_model(job.kind.folder).optimizer.iterations.numpy()) == 5
    assert load_model_folder(job.kind.folder).meta.metrics.steps == 5
    assert not multiprocessing.active_children()

    job.resume(seconds=1.0, learning_rate=0.002)
    assert finished(job)
    view = job.view()
    assert view.status == states.FINISHED and view.steps > 5 and view.runs_ended == 2
    saved = load_model_folder(job.kind.folder)
    assert saved.meta.train.learning_rate == pytest.approx(0.002)
    assert saved.meta.metrics.steps == view.steps
    # Adam went on from its saved state: one more iteration per step, counting from 5.
    assert int(load_keras_model(job.kind.folder).optimizer.iterations.numpy()) == view.steps
    steps = list(view.history.steps)
    assert steps == list(range(1, view.steps + 1))  # one history point per step, continuing the count
    with pytest.raises(RuntimeError, match="resume it"):
        job.start(5)


def test_a_run_saves_checkpoints_so_a_run_killed_midway_leaves_its_model(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path, checkpoint_every_s=0.5)
    job.start(seconds=120)
    wait_for_checkpoints(job.kind.folder, 3)  # each written aside and renamed over the last
    [child] = multiprocessing.active_children()
    os.kill(child.pid, signal.SIGKILL)  # as when it runs out of memory, or the server is killed
    assert finished(job)
    saved = load_model_folder(job.kind.folder)
    steps = saved.meta.metrics.steps
    assert steps > 0 and saved.net is not None
    # model.keras is renamed into place before meta.json: it is at least as new.
    assert int(load_keras_model(job.kind.folder).optimizer.iterations.numpy()) >= steps
    # The page keeps that model, and the job's record goes back to it, so Resume continues from there.
    view = job.view()
    assert view.status == states.FAILED and view.saved
    assert "ended unexpectedly" in view.message and f"saved at step {view.steps:,}" in view.message
    assert view.steps <= steps and max(view.history.steps) <= view.steps
    job.resume(seconds=1.0)
    assert finished(job) and job.view().status == states.FINISHED and job.view().steps > view.steps


def test_stop_from_the_page_thread_while_running(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path)
    with pytest.raises(RuntimeError, match="nothing|no saved model"):
        job.resume(1)  # nothing to resume yet
    job.start(seconds=None)  # until stopped
    wait_for(lambda: job.view().steps >= 3 or len(job.view().history) >= 3, what="three training steps")
    assert job.view().budget_s is None and job.view().running
    job.stop()
    assert finished(job)
    assert job.view().status == states.STOPPED and job.view().saved


def test_cannot_start_twice_or_with_a_bad_budget(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path)
    for bad in (-1, 0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            job.start(seconds=bad)
    job.start(seconds=30)
    with pytest.raises(RuntimeError, match="already training"):
        job.start(1)
    job.stop()
    assert finished(job)


def test_stop_before_the_model_is_built_keeps_nothing(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path)
    job.start(seconds=30)
    job.stop()  # while the process starts and TensorFlow builds the model
    assert finished(job)
    view = job.view()
    assert view.status == states.STOPPED and view.steps <= 1


def test_a_full_server_queues_trainings_in_order_and_says_where(tiny_text, tmp_path):
    slots = TrainingSlots(1)
    first = new_job(tiny_text, tmp_path, slots=slots)
    second = new_job(tiny_text, tmp_path, slots=slots)
    third = new_job(tiny_text, tmp_path, slots=slots)
    first.start(seconds=None)
    second.start(seconds=0.5)
    third.start(seconds=0.5)
    assert second.view().status == states.QUEUED and second.view().queue_position == 1
    assert third.view().queue_position == 2 and third.view().running and third.view().slots == 1
    wait_for(lambda: len(first.view().history) >= 2, what="the first job training")
    assert second.view().queued and slots.busy() == (1, 2)
    third.stop()  # leaving the queue: nothing was trained, nothing is lost
    assert finished(third)
    assert third.view().status == states.STOPPED and "waiting for a free training slot" in third.view().message
    assert not third.view().saved and second.view().queue_position == 1
    first.stop()
    assert finished(first) and finished(second)
    assert second.view().status == states.FINISHED and second.view().steps > 0
    assert slots.busy() == (0, 0)


def test_samples_and_snapshots_are_produced_bounded_and_spread(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path, faults={"stop_at": 80},
                  watch=Watch(sample_every_s=0.05, sample_chars=40, max_overhead=0.5),
                  snapshot_every_s=0.05, max_snapshots=6, keep_samples=4)
    job.start(seconds=None)
    assert finished(job)
    view = job.view()
    assert view.status == states.STOPPED and view.steps == 80
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
    assert view.latest_step == view.steps and view.latest_net is view.snapshots[-1].net
    assert all(isinstance(s, Snapshot) for s in view.snapshots)


def test_thinning_keeps_every_other_older_snapshot(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path, max_snapshots=8)
    runs = job.kind
    runs.snapshots = [Snapshot(step, None) for step in range(0, 90, 10)]  # 9 > 8
    runs.thin_snapshots()
    assert [s.step for s in runs.snapshots] == [0, 20, 40, 60, 80]
    assert runs.snapshot_interval == 2 * runs.snapshot_every_s
    # A big model keeps fewer snapshots: the memory budget bounds them too (but never below 4).
    job = new_job(tiny_text, tmp_path, max_snapshots=24, snapshot_bytes=1)
    runs = job.kind
    runs.snapshots = [Snapshot(step, None) for step in range(10)]
    runs.thin_snapshots()
    assert len(runs.snapshots) <= 4 and runs.snapshots[0].step == 0 and runs.snapshots[-1].step == 9


def test_a_run_that_turns_nan_keeps_and_saves_the_last_good_weights(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path, faults={"nan_at": 4})
    job.start(seconds=30)
    assert finished(job)
    view = job.view()
    assert view.status == states.DIVERGED and "Lower the learning rate" in view.message
    # Step 4's loss is the first check of the weights step 3 made; it failed, so the trainer goes
    # back to the weights after step 2, the last ones a finite loss vouched for (see the Trainer).
    assert view.steps == 2 and max(view.history.steps) == 2
    assert view.latest_net is not None and [s.step for s in view.snapshots][-1] == 2
    assert np.isfinite(view.latest_net.embedding).all()
    saved = load_model_folder(job.kind.folder)
    assert view.saved and saved.meta.metrics.steps == 2 and np.isfinite(saved.net.embedding).all()


def test_an_exception_in_a_step_is_readable_and_keeps_what_was_trained(tiny_text, tmp_path, caplog):
    job = new_job(tiny_text, tmp_path, faults={"fail_at": 3})
    with caplog.at_level("ERROR", logger=tj.__name__):
        job.start(seconds=30)
        assert finished(job)
    # The server's log has it too, with the child's traceback, for whoever runs the server.
    [logged] = [r.getMessage() for r in caplog.records if r.name == tj.__name__]
    assert f"Training run {job.run_id} failed" in logged and "Traceback" in logged and "simulated failure" in logged
    view = job.view()
    assert view.status == states.FAILED
    assert "RuntimeError" in view.message and "simulated failure" in view.message
    assert view.steps == 2 and view.saved  # what was trained is still there, and resumable
    assert load_model_folder(job.kind.folder).meta.metrics.steps == 2
    assert any("Traceback" in note for note in view.notes)


def test_stop_ends_a_run_held_inside_its_first_step(tiny_text, tmp_path):
    held = tmp_path / "held"
    job = new_job(tiny_text, tmp_path, faults={"hold_at": 1, "held_marker": str(held)}, stop_grace_s=1.0)
    job.start(seconds=600)
    wait_for(held.exists, what="the run inside its first step")
    job.stop()
    assert job.join(timeout=30), "Stop did not end a run held inside a step"  # held for ever: only the kill ends it
    view = job.view()
    assert view.status == states.STOPPED and not view.running
    assert "Stop was pressed while the run was inside a training step" in view.message
    assert "process was ended" in view.message and "Nothing was trained" in view.message
    assert not multiprocessing.active_children()


def test_the_time_limit_ends_a_run_held_inside_its_first_step(tiny_text, tmp_path):
    held = tmp_path / "held"
    job = new_job(tiny_text, tmp_path, faults={"hold_at": 1, "held_marker": str(held)}, overtime_s=1.0)
    job.start(seconds=2)
    wait_for(held.exists, what="the run inside its first step")
    assert job.join(timeout=60), "the time limit did not end a run held inside a step"
    view = job.view()
    assert view.status == states.STOPPED and "Its time was up while the run was inside a training step" in view.message


def test_a_run_over_its_memory_limit_ends_with_a_message_and_keeps_its_checkpoint(tiny_text, tmp_path):
    """The hard limit holds when the estimate lied: a step suddenly needs 4 GB more than the 1.5 GB budget."""
    job = new_job(tiny_text, tmp_path, faults={"hog_after_s": 2.0}, memory_mb=1500, checkpoint_every_s=0.5)
    job.start(seconds=60)
    assert finished(job)
    view = job.view()
    assert view.status == states.FAILED and "more memory than its budget of 1,500 MB" in view.message
    assert view.saved and view.steps > 0
    assert load_model_folder(job.kind.folder).meta.metrics.steps >= view.steps


def test_a_learning_rate_far_too_high_ends_as_diverged_not_finished(tiny_text, tmp_path):
    # A fixed number of steps at the full rate (the stop comes long before the time limit's cool-down,
    # which would let Adam bring the loss back): the outcome does not depend on the machine's speed.
    recipe = tiny_recipe(tiny_text, stop_at=60)
    spec = replace(recipe.spec, units=64)
    job = character_job(replace(recipe, spec=spec, config=replace(recipe.config, learning_rate=10.0)),
                        tmp_path / "runaway", watch=Watch(sample_chars=40), slots=TrainingSlots(4))
    JOBS.append(job)
    job.start(seconds=600)
    assert finished(job)
    view = job.view()
    assert view.status == states.DIVERGED, view.message
    assert "worse than random guessing" in view.message or "then rose" in view.message
    assert "learning rate (10) was too high" in view.message
    assert view.saved  # kept, for a look at what went wrong


def test_a_build_that_fails_is_reported(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path, faults={"fail_build": True})
    job.start(seconds=5)
    assert finished(job)
    view = job.view()
    assert view.status == states.FAILED and "no room for this network" in view.message
    assert not view.saved and not view.building and view.steps == 0


def test_training_stops_when_the_browser_session_is_gone(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path, alive=lambda: False, alive_every_s=0.0, gone_grace_s=0.0)
    job.start(seconds=None)
    assert finished(job)
    view = job.view()
    assert view.status == states.STOPPED and "tab was closed" in view.message


def test_a_step_whose_tracing_hit_the_ast_race_is_traced_again(tiny_text, tmp_path):
    """CPython 3.11's threading bug strikes while TensorFlow traces the first step; the run recovers."""
    job = new_job(tiny_text, tmp_path, faults={"ast_race": True, "stop_at": 3})
    job.start(seconds=None)
    assert finished(job)
    view = job.view()
    assert view.status == states.STOPPED, view.message
    assert view.steps == 3 and math.isfinite(view.history.train[0])
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
    return LossHistory(steps, train, val_steps, val)


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
    empty = loss_figure(LossHistory())
    assert len(empty.data) == 0 and "first training steps" in empty.layout.annotations[0].text


def test_smoothing_starts_at_the_first_value_and_follows_the_trend():
    y = smooth([3.0, 3.0, 3.0])
    assert y == pytest.approx([3.0, 3.0, 3.0])  # no bias towards 0
    falling = smooth(np.linspace(4, 2, 200))
    assert falling[0] == pytest.approx(4) and falling[-1] < 2.3
    assert smooth([]).size == 0
    assert np.isfinite(smooth([1.0, float("nan"), 1.0])).all()
