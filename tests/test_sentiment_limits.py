"""A sentiment training keeps to the same limits as a character model's: its memory budget before it
starts, the hard limit while it trains, and Stop at any moment (lstm_core.training.job)."""

from __future__ import annotations

import multiprocessing

import pytest

from helpers_sentiment import new_sentiment_job
from helpers_training import TIMEOUT, wait_for
from lstm_core.sentiment.runs import estimate_mb
from lstm_core.sentiment.training import TrainSettings
from lstm_core.training.budget import BudgetError
from lstm_core.training.slots import TrainingSlots
from lstm_core.training.states import FAILED, NEW, STOPPED
from test_sentiment_training import TINY, made_up_reviews

BIG = dict(units=256, embed_dim=256, batch_size=1024, max_words=100_000)


@pytest.fixture
def jobs():
    made = []
    yield made
    for job in made:  # a failed test must not leave a process training into the next one
        job.stop()
        job.join(timeout=TIMEOUT)


def test_a_training_over_its_budget_is_refused_before_it_starts(tmp_path, jobs):
    settings = TrainSettings(**{**TINY, **BIG})
    assert estimate_mb(settings) > 1500
    job = new_sentiment_job(made_up_reviews(), [settings], tmp_path / "out", memory_mb=1500,
                            slots=TrainingSlots(2))
    jobs.append(job)
    with pytest.raises(BudgetError) as refused:
        job.start()
    said = str(refused.value)
    assert "each training on this server may use 1.5 GB" in said
    assert "costs most" in said and "this run fits" in said  # the setting to change, and a value that fits
    assert job.view().status == NEW and not job.is_alive and not multiprocessing.active_children()
    assert not (tmp_path / "out").exists()


def test_the_advice_of_a_refusal_fits(tmp_path):
    """The value the refusal names for the costliest setting really fits the budget."""
    settings = TrainSettings(**{**TINY, **BIG})
    job = new_sentiment_job(made_up_reviews(), [settings], tmp_path, memory_mb=1500)
    with pytest.raises(BudgetError) as refused:
        job.start()
    said = str(refused.value)
    for key, words in (("batch_size", "batch size"), ("units", "units"), ("max_words", "vocabulary size"),
                       ("embed_dim", "embedding size")):
        if f"The {words} (" in said:
            value = int(said.split("with ")[1].split(" instead")[0].replace(",", ""))
            assert estimate_mb(TrainSettings(**{**TINY, **BIG, key: value}), len(made_up_reviews())) <= 1500
            break
    else:
        pytest.fail(f"no setting named: {said}")


def test_a_training_whose_estimate_was_wrong_ends_at_its_hard_limit_with_a_message(tmp_path, jobs):
    job = new_sentiment_job(made_up_reviews(), [TrainSettings(**TINY)], tmp_path, memory_mb=1500,
                            faults={"hog": True}, slots=TrainingSlots(2))
    jobs.append(job)
    job.start()
    assert job.join(timeout=TIMEOUT)
    view = job.view()
    assert view.status == FAILED, view.runs[0].message
    assert "more memory than its budget of 1,500 MB" in view.runs[0].message
    assert view.runs[0].model is None


def test_stop_ends_a_training_held_inside_a_step(tmp_path, jobs):
    held = tmp_path / "held"
    job = new_sentiment_job(made_up_reviews(), [TrainSettings(**TINY)], tmp_path / "out",
                            faults={"held_marker": str(held)}, slots=TrainingSlots(2))
    jobs.append(job)
    job.start()
    wait_for(held.exists, what="the training inside its first step")
    job.stop()
    # Held for ever: only ending its process ends it, after the same grace as a character model's.
    assert job.join(timeout=30), "Stop did not end a sentiment training held inside a step"
    view = job.view()
    assert view.status == STOPPED and not view.running
    assert "Stop was pressed while the run was inside a training step, so its process was ended" in \
        view.runs[0].message
    assert not multiprocessing.active_children()
