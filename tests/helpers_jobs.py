"""What the TrainingJob tests share: the jobs a test made, stopped after it whatever happened.

Not in helpers_training: every run's child process (and Ray worker) imports that module to rebuild
its recipe, and has no use for pytest.
"""

from __future__ import annotations

import pytest

from helpers_training import TIMEOUT

JOBS = []  # every job a test made; its module's new_job adds it


@pytest.fixture(autouse=True)
def stop_jobs_left_running():
    """A failed test must not leave a run training into the next test (or holding a Ray cluster's one CPU).
    Autouse in the modules that import it."""
    yield
    while JOBS:
        job = JOBS.pop()
        job.stop()
        job.join(timeout=TIMEOUT)


def finished(job):
    return job.join(timeout=TIMEOUT) and job.view().ended
