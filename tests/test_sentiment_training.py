"""Training the sentiment classifier: tiny models, a few steps, on made-up reviews."""

from __future__ import annotations

import multiprocessing
import os
import threading

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstm_core.sentiment import batch, scoring, store  # noqa: E402
from lstm_core.sentiment.data import Example, split_of  # noqa: E402
from helpers_sentiment import new_sentiment_job  # noqa: E402
from lstm_core.sentiment.runs import comparison_settings  # noqa: E402
from lstm_core.training.states import FINISHED, QUEUED, STOPPED  # noqa: E402
from lstm_core.sentiment.training import (SentimentTrainer, SentimentTrainError, TrainSettings, evaluate,  # noqa: E402
                                          lexicon_embedding, majority_labels)

POSITIVE = ["good", "great", "wonderful", "fun", "superb"]
NEGATIVE = ["bad", "awful", "boring", "dull", "terrible"]
TINY = dict(units=6, embed_dim=8, batch_size=16, epochs=1, negation_phrases=0, learning_rate=0.01)


def made_up_reviews(n: int = 240, domains=("movies", "tweets")) -> list[Example]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        positive = bool(i % 2)
        word = rng.choice(POSITIVE if positive else NEGATIVE)
        filler = " ".join(rng.choice(["the", "film", "was", "really", "quite", "plot", "it"], rng.integers(0, 5)))
        text = f"review {i} {filler} {word}"
        out.append(Example(text, int(positive), domains[i % len(domains)], split_of(text)))
    return out


@pytest.fixture(scope="module")
def examples():
    return made_up_reviews()


def test_batches_hold_reviews_of_one_length(examples):
    trainer = SentimentTrainer(examples, TrainSettings(**TINY))
    plan = trainer._new_epoch_plan()
    assert sum(len(b) for b in plan) == len(trainer.train_ids)
    for members in plan:
        assert len({len(trainer.train_ids[i]) for i in members}) == 1  # no padding needed
        assert len(members) <= 16
    assert len(plan) == trainer.steps_per_epoch
    x, y = trainer._batch(plan[0])
    assert x.dtype == np.int32 and x.shape[0] == y.shape[0] and y.shape[1] == 1


def test_a_few_steps_then_epochs_keep_the_best(examples):
    trainer = SentimentTrainer(examples, TrainSettings(**{**TINY, "epochs": 3}))
    result = trainer.run(steps=3)
    assert result.status == "finished" and trainer.steps == 3 and not trainer.epoch_history
    points = []
    result = trainer.run(epochs=2, on_epoch=points.append)
    assert result.status == "finished" and len(points) == 2 == len(trainer.epoch_history)
    assert trainer.steps == 2 * trainer.steps_per_epoch
    best = max(points, key=lambda p: p.val_acc)
    assert trainer.best_epoch == best.epoch
    # The weights now are the best epoch's: their validation accuracy is the best one.
    probs = batch.final_probs(trainer.network(), trainer.val_ids)
    assert abs(float(((probs >= 0.5) == (trainer.val_y > 0.5)).mean()) - best.val_acc) < 1e-9
    ev = trainer.evaluate("test")
    assert set(ev.accuracy) == {"movies", "tweets", "all"}
    assert sum(map(sum, ev.confusion)) == ev.n["all"]
    assert 0 <= ev.vader_accuracy["all"] <= 1


def test_stop_from_another_thread(examples):
    trainer = SentimentTrainer(examples, TrainSettings(**TINY))
    timer = threading.Timer(0.0, trainer.request_stop)
    seen = []

    def progress(p):
        seen.append(p)
        if len(seen) == 1:
            timer.start()
            timer.join()

    result = trainer.run(epochs=5, on_progress=progress, progress_every_s=0.0)
    assert result.status == "stopped" and trainer.steps < 5 * trainer.steps_per_epoch


def test_saved_classifier_scores_like_the_trainer(examples, tmp_path):
    trainer = SentimentTrainer(examples, TrainSettings(**TINY))
    trainer.run()
    folder = trainer.save(tmp_path / "m", trainer.evaluate("test"), label="made up")
    loaded = store.load_folder(folder)
    assert loaded.meta.kind == "sentiment" and loaded.meta.test.n["all"] > 0
    assert loaded.meta.train.best_epoch == 1
    live = trainer.network()
    for text in ("review 1 great", "the plot was dull", "unknownword"):
        assert abs(scoring.score(live, trainer.vocab, text).prob - scoring.score(loaded.net, loaded.vocab, text).prob) \
            < 1e-6


def test_lexicon_prior_and_negation_phrases(examples):
    lexicon = {"good": 1.9, "awful": -2.5}
    trainer = SentimentTrainer(examples, TrainSettings(**{**TINY, "negation_phrases": 50}))
    assert trainer.phrases == 50 and trainer.domains == ("movies", "tweets")
    assert "good" in trainer.vocab
    table = lexicon_embedding(trainer.vocab, 8, lexicon)
    assert np.allclose(table[trainer.vocab.id_of("good"), :4], 1.9 / 4)
    assert np.allclose(table[trainer.vocab.id_of("bad"), :4], 0.0)  # not in this lexicon
    emb = trainer.model.get_layer("embedding").get_weights()[0]
    assert emb[trainer.vocab.id_of("terrible"), 0] < -0.5  # VADER rates "terrible" -2.1 (start of training)


def test_vader_majority_for_ties():
    ex = [Example("a", 1, "x", "train"), Example("b", 1, "x", "train"), Example("c", 0, "y", "train")]
    assert majority_labels(ex) == {"x": 1, "y": 0}


@pytest.mark.parametrize("bad", [dict(arch="cnn"), dict(epochs=0), dict(learning_rate=0), dict(units=0),
                                 dict(dropout=1.0), dict(lr_decay=0), dict(negation_phrases=-1)])
def test_bad_settings_are_refused(bad):
    with pytest.raises(SentimentTrainError):
        TrainSettings(**bad)


def test_too_little_data_is_refused():
    with pytest.raises(SentimentTrainError, match="at least 10"):
        SentimentTrainer(made_up_reviews(8), TrainSettings(**TINY))


def test_comparison_job_trains_three_architectures_on_the_same_words(examples, tmp_path):
    job = new_sentiment_job(examples, comparison_settings(TrainSettings(**TINY)), tmp_path, comparison=True)
    job.start()
    assert job.join(timeout=600)
    view = job.view()
    assert view.status == FINISHED and view.comparison
    assert [r.settings.arch for r in view.runs] == ["rnn", "lstm", "gru"]
    for run in view.runs:
        assert run.status == FINISHED and run.evaluation is not None and run.model is not None
        assert run.steps and len(run.loss) == len(run.steps) and run.epochs
    vocabs = {r.model.vocab.entries for r in view.runs}
    assert len(vocabs) == 1  # one vocabulary, one split: a fair comparison
    assert {r.model.net.layers[0].cell for r in view.runs} == {"rnn", "lstm", "gru"}
    ev = [r.evaluation for r in view.runs]
    assert len({e.n["all"] for e in ev}) == 1 and len({e.vader_accuracy["all"] for e in ev}) == 1


def test_a_stopped_job_says_so(examples, tmp_path):
    job = new_sentiment_job(examples, [TrainSettings(**{**TINY, "epochs": 50})], tmp_path)
    job.start()
    job.stop()
    assert job.join(timeout=300)
    view = job.view()
    assert view.status == STOPPED and view.runs[0].model is None


def test_a_job_waits_for_a_free_slot_in_line_and_can_leave_the_queue(examples, tmp_path):
    from lstm_core.training.slots import TrainingSlots

    slots = TrainingSlots(1)
    busy = slots.request()  # another session's training holds the only slot
    job = new_sentiment_job(examples, [TrainSettings(**TINY)], tmp_path, slots=slots)
    job.start()
    view = job.view()
    assert view.running and view.queue_position == 1 and view.slots == 1
    assert view.runs[0].status == QUEUED and not multiprocessing.active_children()  # no process until its turn
    job.stop()
    assert job.join(timeout=30)
    view = job.view()
    assert view.status == STOPPED and view.queue_position == 0
    assert "waiting for a free training slot" in view.runs[0].message and view.runs[0].model is None
    slots.release(busy)
    assert slots.busy() == (0, 0)


def test_evaluate_splits_and_ties(examples):
    trainer = SentimentTrainer(examples, TrainSettings(**TINY))
    net = trainer.network()
    ev = evaluate(net, trainer.vocab, examples, "val", vader_scores=[0.0] * sum(e.split == "val" for e in examples),
                  tie_label={"movies": 1, "tweets": 0})
    val = [e for e in examples if e.split == "val"]
    expected = np.mean([e.label == (1 if e.domain == "movies" else 0) for e in val])
    assert abs(ev.vader_accuracy["all"] - expected) < 1e-9
    with pytest.raises(SentimentTrainError):
        evaluate(net, trainer.vocab, [e for e in examples if e.split == "train"], "test")
