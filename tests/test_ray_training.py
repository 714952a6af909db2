"""Trainings on a Ray cluster (LSTM_LAB_RAY_ADDRESS): the jobs the pages use, through a real cluster.

One cluster for the module, started as a deployment would (`ray start --head`), on loopback, with
one CPU: every run asks for one, so a second run waits for the first. The app server's side (this
test process) joins it by its address, as a server with the setting does. The runs are tiny
models; most of their time is the worker importing TensorFlow.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import ray  # pinned in requirements.txt: missing, the module fails rather than skips

from helpers_jobs import JOBS, finished, stop_jobs_left_running  # noqa: F401  (an autouse fixture)
from helpers_training import TIMEOUT, tiny_recipe, wait_for, wait_for_checkpoints
from helpers_sentiment import new_sentiment_job
from lstm_core.training import states
from lstm_core.sentiment.training import TrainSettings
from lstm_core.storage.persistence import load_keras_model, load_model_folder
from lstm_core.training.slots import TrainingSlots
from lstm_core.training.train_worker import Watch
from test_sentiment_training import TINY, made_up_reviews
from lstm_core.training.character_runs import character_job

ROOT = Path(__file__).resolve().parents[1]


RAY_ADDRESS = "LSTM_LAB_RAY_ADDRESS"  # the settings are read afresh for each test (conftest)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """`ray start --head --block` with one CPU on 127.0.0.1; the module's jobs train on it."""
    port = free_port()
    temp = Path(tempfile.mkdtemp(prefix="lstmray-", dir="/tmp"))  # short: Ray's socket paths must fit
    # The workers import the test's recipe module (tests/) and keep TensorFlow quiet.
    # Stopping it needs no graceful drain (RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S: else up to 30 s).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]), RAY_USAGE_STATS_ENABLED="0",
               RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S="0")
    log = open(temp / "ray-start.log", "w")
    head = subprocess.Popen([str(Path(sys.executable).parent / "ray"), "start", "--head", "--block",
                             "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=1",
                             "--include-dashboard=false", "--disable-usage-stats",
                             "--object-store-memory=100000000", f"--temp-dir={temp}"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    old = os.environ.get(RAY_ADDRESS)
    os.environ[RAY_ADDRESS] = f"127.0.0.1:{port}"
    try:
        wait_for(lambda: "Ray runtime started" in (temp / "ray-start.log").read_text() or head.poll() is not None,
                 timeout=120, what="the Ray head to start")
        assert head.poll() is None, (temp / "ray-start.log").read_text()[-3000:]
        yield f"127.0.0.1:{port}"
    finally:
        if old is None:
            os.environ.pop(RAY_ADDRESS, None)
        else:
            os.environ[RAY_ADDRESS] = old
        ray.shutdown()
        os.killpg(head.pid, signal.SIGTERM)  # --block takes the cluster's processes down with it
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait(timeout=10)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def new_job(text, tmp_path, name="model", **kwargs):
    job = character_job(tiny_recipe(text), tmp_path / name, watch=Watch(sample_chars=40, sample_every_s=0.5),
                        corpus={"name": "tiny"}, label="tiny", slots=TrainingSlots(1), **kwargs)
    JOBS.append(job)
    return job


def worker_pid(job) -> int:
    """The worker process the last run says it trains in (its first note)."""
    note = wait_for(lambda: next((n for n in reversed(job.view().notes) if "worker process" in n), None),
                    what="the worker")
    return int(re.search(r"worker process (\d+)", note).group(1))


def test_a_training_streams_back_stops_and_resumes_on_the_cluster(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path, memory_mb=4096)  # the run's budget is its memory request
    job.start(seconds=None)  # until stopped
    wait_for(lambda: len(job.view().history) >= 3 and job.view().samples, what="steps and samples streamed back")
    view = job.view()
    assert view.status == states.RUNNING and view.slots == 0 and view.latest_net is not None and view.progress
    pid = worker_pid(job)
    assert pid != os.getpid() and not multiprocessing.active_children()  # not a process of this server
    job.stop()
    assert finished(job)
    view = job.view()
    assert view.status == states.STOPPED and view.saved and view.steps >= 3
    # The worker saved in a folder of its own; the model came back into the session's folder.
    saved = load_model_folder(job.kind.folder)
    assert saved.meta.metrics.steps == view.steps
    stopped_at = view.steps

    job.resume(seconds=1.0)  # the saved folder goes to the worker, optimizer state included
    assert finished(job)
    view = job.view()
    assert view.status == states.FINISHED and view.steps > stopped_at and view.runs_ended == 2
    assert list(view.history.steps) == list(range(1, view.steps + 1))
    assert int(load_keras_model(job.kind.folder).optimizer.iterations.numpy()) == view.steps
    assert worker_pid(job) != pid  # a fresh worker process per run


def test_runs_wait_their_turn_on_a_one_cpu_cluster_and_a_lost_worker_keeps_its_checkpoint(tiny_text, tmp_path):
    """Character models and sentiment classifiers share the cluster's line; a lost worker frees its CPU."""
    first = new_job(tiny_text, tmp_path, "first", checkpoint_every_s=0.5)
    first.start(seconds=120)
    wait_for(lambda: first.view().status == states.RUNNING, what="the first run to start")
    second = new_sentiment_job(made_up_reviews(), [TrainSettings(**TINY)], tmp_path / "sentiment")
    JOBS.append(second)
    second.start()
    third = new_job(tiny_text, tmp_path, "third")
    third.start(seconds=1.0)
    # Ray holds them back (one CPU); the page shows where each stands.
    wait_for(lambda: third.view().queue_position == 2, what="the third run's place in line")
    assert third.view().queued and third.view().slots == 0
    view = second.view()
    assert view.running and view.runs[0].status == states.QUEUED
    assert view.queue_position == 1 and view.slots == 0
    third.stop()  # leaves the line; it never runs
    assert finished(third)
    assert third.view().status == states.STOPPED and not third.view().saved
    assert "nothing was trained" in third.view().message

    # The first run's worker is lost, as when a machine of the cluster goes down: the run ends with
    # its last checkpoint that reached the server, and the next in line starts.
    wait_for_checkpoints(first.kind.folder, 2)  # back on the server, the second over the first
    assert second.view().queue_position == 1
    os.kill(worker_pid(first), signal.SIGKILL)
    assert finished(first)
    view = first.view()
    assert view.status == states.FAILED and view.saved
    assert "lost the worker" in view.message and f"saved at step {view.steps:,}" in view.message
    saved = load_model_folder(first.kind.folder)
    assert 0 < view.steps <= saved.meta.metrics.steps and saved.net is not None

    # The classifier trains, and its model folder comes back from the worker under the job's folder.
    assert second.join(timeout=TIMEOUT)
    view = second.view()
    assert view.status == states.FINISHED, view.runs[0].message
    run = view.runs[0]
    assert run.model is not None and run.evaluation.n["all"] > 0 and run.steps
    assert run.model.folder.parent == tmp_path / "sentiment"


def test_a_run_no_machine_could_take_says_so_instead_of_waiting_forever(tiny_text, tmp_path):
    job = new_job(tiny_text, tmp_path, memory_mb=100 << 20)  # 100 TB
    job.start(seconds=1.0)
    assert finished(job)
    view = job.view()
    assert view.status == states.FAILED and not view.saved
    assert "No machine of the Ray cluster is big enough" in view.message and "104,857,600 MB" in view.message
