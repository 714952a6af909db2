"""A small class on one server: bench/bench_class_load.py with 3 browsing sessions and 3 trainers.

The bench starts its own server (two training slots, a fresh data folder) and browsers, so the
third training queues as it would in class. Correctness only, no timing: every interaction
settles, no session shows an error or another session's word, and the queued training is told
it waits in line; and no trainer lists another's model. The bench's figures are printed (seen with
`pytest -s`).
"""

import sys

import pytest

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))

import bench_class_load  # noqa: E402

pytestmark = pytest.mark.e2e

SESSIONS = 3  # with 3 trainers on two cores; 8 left sessions waiting over a minute for a page, a timing the bench reports
PER_THREAD = 1  # a browser per session: much of an interaction is waiting, which the threads overlap
MINUTES = 4  # a bound against a hung server, not a timing goal: the class is expected to finish


def test_a_class_of_three_while_three_train():
    results = bench_class_load.run(sessions=SESSIONS, rounds=1, minutes=MINUTES, driver="browser",
                                     per_thread=PER_THREAD)
    bench_class_load.report(results)
    assert not results.errors, results.errors
    assert not results.leaks, results.leaks
    assert not results.unsettled, results.unsettled
    assert not results.skipped, f"the class did not finish within {MINUTES} min: {results.skipped}"
    assert all(results.timings.values()), "a page saw no interaction"
    assert "in line" in results.queue_notice, "the third training was not told it waits in line"
    # The class may end before the trainings do; whatever each trainer lists, no other trainer's model.
    assert max(results.trained_listed) <= 1, results.trained_listed
