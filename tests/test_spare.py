"""The spare training process (lstm_core.training.spare): a run begins in it with TensorFlow imported, it
takes one run only and is replaced, Stop reaches it and ending it ends its process, and a run that finds
no spare ready, or a spare that died, starts a process of its own. Behaviour only: how much sooner a run
starts is the bench's (bench/bench_first_step.py)."""

import multiprocessing
import queue

import pytest

import helpers_spare
from helpers_jobs import JOBS, finished, stop_jobs_left_running  # noqa: F401  (an autouse fixture)
from helpers_training import TIMEOUT, tiny_recipe, wait_for
from lstm_core.training import launcher, states
from lstm_core.training.character_runs import character_job
from lstm_core.training.launcher import LocalRun, Work
from lstm_core.training.slots import TrainingSlots
from lstm_core.training.spare import Spares

EVENTS = multiprocessing.get_context("spawn")


@pytest.fixture
def spares(lab_env, monkeypatch):
    lab_env("LSTM_LAB_SPARE_PROCESS", None)  # as a server is started: tests/conftest.py turns it off for the app
    monkeypatch.setattr(launcher, "REPLACE_AFTER_S", 0.0)  # replaced at the run's first look, not seconds later
    kept = Spares()
    kept.keep()
    assert kept.ready(TIMEOUT)
    yield kept
    for child in multiprocessing.active_children():  # the spare waiting for a run that will not come
        child.kill()
        child.join()


def started(target, spares, stop=None) -> LocalRun:
    run = LocalRun(Work(target, ".", "test run"), stop or EVENTS.Event(), TrainingSlots(1), spares)
    assert run.wait_start(TIMEOUT)
    return run


def spare_pids() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.name == "lstm-lab-spare"}


def test_a_run_begins_in_the_spare_which_takes_no_other_and_is_replaced(spares):
    [waiting] = spare_pids()
    first = started(helpers_spare.describe, spares)
    pid, tensorflow_before = first.get(TIMEOUT)
    assert pid == waiting and tensorflow_before  # imported while the spare waited, not by the run
    wait_for(lambda: not first.alive(), 60, "the spare's exit after its one run")
    first.close()
    assert spares.ready(TIMEOUT)  # another spare, started once the first had its run
    [replacement] = spare_pids()
    second = started(helpers_spare.describe, spares)
    assert second.get(TIMEOUT) == (replacement, True) and replacement != pid
    second.close()
    assert {pid, replacement}.isdisjoint(child.pid for child in multiprocessing.active_children())  # reaped


def test_stop_reaches_a_run_in_the_spare(spares):
    stop = EVENTS.Event()
    run = started(helpers_spare.until_stopped, spares, stop)
    assert run.get(TIMEOUT) == "waiting"
    stop.set()  # the job's Stop; the spare has its own event, which the run sets
    assert run.get(TIMEOUT) == "stopped"
    run.close()
    assert not run.alive()


def test_a_run_in_the_spare_that_does_not_stop_has_its_process_ended(spares):
    stop = EVENTS.Event()
    run = started(helpers_spare.deaf, spares, stop)
    pid = run.get(TIMEOUT)
    stop.set()
    with pytest.raises(queue.Empty):
        run.get(0.5)
    run.end()  # what the job does once its grace is over
    run.close()
    assert not run.alive() and pid not in {child.pid for child in multiprocessing.active_children()}
    assert "-15" in run.death()  # ended from here, and said so, as a fresh process is


def test_a_run_finding_no_spare_ready_starts_a_process_of_its_own(spares):
    stop = EVENTS.Event()
    first = started(helpers_spare.until_stopped, spares, stop)  # took the spare; the next is not started yet
    second = started(helpers_spare.describe, spares)
    pid, tensorflow_before = second.get(TIMEOUT)
    assert not tensorflow_before and pid not in spare_pids()
    second.close()
    stop.set()
    first.close()


def test_a_spare_that_died_leaves_its_run_to_a_fresh_process_and_none_is_started_again(spares, caplog):
    [dead] = [child for child in multiprocessing.active_children() if child.name == "lstm-lab-spare"]
    dead.kill()  # the kernel's out-of-memory killer, say, while it waited
    dead.join()
    run = started(helpers_spare.describe, spares)
    pid, tensorflow_before = run.get(TIMEOUT)
    run.close()
    assert pid != dead.pid and not tensorflow_before  # a process of its own, as without a spare
    assert "ended before a run took it" in caplog.text
    assert not spare_pids()


def test_a_training_in_the_spare_trains_stops_and_saves(spares, tiny_text, tmp_path, monkeypatch):
    monkeypatch.setattr(launcher, "SPARES", spares)
    [waiting] = spare_pids()
    job = character_job(tiny_recipe(tiny_text), tmp_path / "model", corpus={"name": "tiny"}, label="tiny",
                        slots=TrainingSlots(1))
    JOBS.append(job)
    job.start(60)
    wait_for(lambda: job.view().steps >= 3, what="three steps")
    assert waiting not in spare_pids()  # it is the run's process now
    job.stop()
    assert finished(job)
    view = job.view()
    assert view.status == states.STOPPED and view.saved and view.steps >= 3
    assert waiting not in {child.pid for child in multiprocessing.active_children()}  # it ended with its run
