import math
import threading

import numpy as np
import pytest

from lstm_core.spec import ModelSpec
from lstm_core.trainer import Trainer, TrainConfig, TrainError, min_corpus_chars
from lstm_core.vocab import CharVocab


def make_trainer(text, cell="lstm", layers=1, **config):
    vocab = CharVocab.from_text(text)
    spec = ModelSpec(vocab_size=vocab.size, cell=cell, layers=layers, units=8, embed_dim=4)
    cfg = TrainConfig(**{"seq_len": 16, "batch_size": 8, "seed": 3, **config})
    return Trainer(spec, vocab, vocab.ids(text), cfg)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_loss_falls_and_progress_is_reported(tiny_text, cell):
    trainer = make_trainer(tiny_text, cell=cell, learning_rate=0.02)
    first = trainer.validate()
    reports = []
    result = trainer.run(steps=40, on_progress=reports.append, progress_every_s=0)
    assert result.status == "finished"
    assert trainer.steps == 40
    assert result.progress.val_loss < first
    assert reports and reports[-1].step == 40
    p = reports[-1]
    assert p.chars_per_s > 0 and p.eta_s == 0
    assert p.val_bits == pytest.approx(p.val_loss / math.log(2))
    assert p.val_perplexity == pytest.approx(math.exp(p.val_loss))
    assert p.epoch == pytest.approx(40 * 8 * 16 / trainer.train_ids.size)


def test_same_seed_same_losses(tiny_text):
    a, b = make_trainer(tiny_text), make_trainer(tiny_text)
    la = [a.train_step() for _ in range(4)]
    lb = [b.train_step() for _ in range(4)]
    assert la == lb
    c = make_trainer(tiny_text, seed=4)
    assert [c.train_step() for _ in range(4)] != la


def test_stop_is_honoured_within_a_step_and_resume_continues(tiny_text):
    trainer = make_trainer(tiny_text)
    seen = []

    def on_progress(p):
        seen.append(p.step)
        if p.step >= 3:
            trainer.request_stop()

    result = trainer.run(steps=1000, on_progress=on_progress, progress_every_s=0)
    assert result.status == "stopped"
    assert trainer.steps == 3
    weights = [w.copy() for w in trainer.model.get_weights()]
    iterations = int(trainer.model.optimizer.iterations.numpy())
    result = trainer.run(steps=2)
    assert result.status == "finished" and trainer.steps == 5
    # Resuming keeps the optimizer's state: its step counter goes on from where it stopped.
    assert int(trainer.model.optimizer.iterations.numpy()) == iterations + 2
    assert any(not np.array_equal(w, v) for w, v in zip(weights, trainer.model.get_weights()))


def test_stop_from_another_thread(tiny_text):
    trainer = make_trainer(tiny_text)
    timer = threading.Timer(0.5, trainer.request_stop)
    timer.start()
    result = trainer.run(seconds=60)
    assert result.status == "stopped"
    assert result.progress.elapsed_s < 30


def test_learning_rate_changes_between_steps(tiny_text):
    trainer = make_trainer(tiny_text)
    trainer.run(steps=1)
    trainer.set_learning_rate(0.0001)
    assert float(trainer.model.optimizer.learning_rate.numpy()) == pytest.approx(0.0001)
    with pytest.raises(TrainError):
        trainer.set_learning_rate(-1)


def test_nan_stops_and_restores_finite_weights(tiny_text):
    trainer = make_trainer(tiny_text)
    trainer.run(steps=5)
    good = [w.copy() for w in trainer.model.get_weights()]
    # Poison the weights as a runaway update would; the next step's loss is NaN.
    trainer.model.set_weights([np.full_like(w, np.nan) for w in good])
    result = trainer.run(steps=10)
    assert result.status == "diverged"
    assert "Lower the learning rate" in result.message
    assert trainer.steps == 4  # the weights before step 5, the last ones whose loss was finite
    assert all(np.isfinite(w).all() for w in trainer.model.get_weights())
    assert math.isfinite(trainer.validate())
    assert all(h.step <= trainer.steps for h in trainer.history)
    assert trainer.run(steps=2).status == "finished"


@pytest.mark.parametrize("config, words", [
    ({"learning_rate": 0}, "learning rate"),
    ({"learning_rate": float("nan")}, "learning rate"),
    ({"learning_rate": 1e9}, "learning rate"),
    ({"seq_len": 0}, "sequence length"),
    ({"batch_size": 100000}, "batch size"),
])
def test_absurd_settings_are_refused_clearly(config, words):
    with pytest.raises(TrainError, match=words):
        TrainConfig(**config)


def test_text_too_short_for_one_window():
    with pytest.raises(TrainError, match="at least"):
        make_trainer("short text", seq_len=64)
    assert min_corpus_chars(64) > 66


def test_validation_set_is_bounded(tiny_text):
    trainer = make_trainer(tiny_text * 50, val_chars=500)
    assert trainer.val_ids.size == 501
    assert trainer.train_ids.dtype == np.uint8
