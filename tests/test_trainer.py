import math
import threading

import numpy as np
import pytest

from lstm_core.spec import ModelSpec
from lstm_core.training.trainer import Trainer, TrainConfig, TrainError, min_corpus_chars
from lstm_core.data.vocab import CharVocab


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
    result = trainer.run(seconds=600)
    assert result.status == "stopped"  # a run that reached its time would say "finished"


def test_learning_rate_changes_between_steps(tiny_text):
    trainer = make_trainer(tiny_text)
    trainer.run(steps=1)
    trainer.set_learning_rate(0.0001)
    assert float(trainer.model.optimizer.learning_rate.numpy()) == pytest.approx(0.0001)
    with pytest.raises(TrainError):
        trainer.set_learning_rate(-1)


def test_nan_stops_and_restores_finite_weights(tiny_text):
    trainer = make_trainer(tiny_text)
    trainer.good_every_s = 0  # keep the weights before every step
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


def test_nan_goes_back_to_the_last_kept_weights(tiny_text):
    trainer = make_trainer(tiny_text)
    trainer.good_every_s = 3600  # only the weights before the first step are kept
    trainer.run(steps=5)
    trainer.model.set_weights([np.full_like(w, np.nan) for w in trainer.model.get_weights()])
    result = trainer.run(steps=10)
    assert result.status == "diverged"
    assert trainer.steps == 0 and "from step 0" in result.message
    assert all(np.isfinite(w).all() for w in trainer.model.get_weights())
    assert trainer.history == []


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


def test_bfloat16_is_chosen_only_where_the_cpu_has_it(tmp_path, monkeypatch, lab_env):
    from lstm_core.training import precision

    lab_env("LSTM_LAB_CPU_BFLOAT16", None)
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 amx_tile\n")
    assert precision.cpu_has_bfloat16(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n")
    assert not precision.cpu_has_bfloat16(cpuinfo)
    assert not precision.cpu_has_bfloat16(tmp_path / "absent")
    monkeypatch.setattr(precision, "cpu_has_bfloat16", lambda: False)
    assert precision.resolve("auto") == "float32"
    monkeypatch.setattr(precision, "cpu_has_bfloat16", lambda: True)
    assert precision.resolve("auto") == "bfloat16"
    assert precision.resolve("float32") == "float32"
    with pytest.raises(TrainError, match="precision"):
        TrainConfig(precision="float8")


def test_the_switch_overrides_the_cpu_flags_either_way(tmp_path, lab_env):
    from lstm_core.training import precision

    with_bf16, without = tmp_path / "with", tmp_path / "without"
    with_bf16.write_text("flags\t\t: fpu avx512_bf16\n")
    without.write_text("flags\t\t: fpu avx2\n")
    lab_env("LSTM_LAB_CPU_BFLOAT16", "no")
    assert not precision.cpu_has_bfloat16(with_bf16) and precision.resolve("auto") == "float32"
    lab_env("LSTM_LAB_CPU_BFLOAT16", " YES ")
    assert precision.cpu_has_bfloat16(without) and precision.resolve("auto") == "bfloat16"
    assert precision.resolve("float32") == "float32"  # an explicit precision stays as asked
    with pytest.raises(ValueError, match="LSTM_LAB_CPU_BFLOAT16 must be"):
        lab_env("LSTM_LAB_CPU_BFLOAT16", "maybe")


@pytest.mark.parametrize("precision, cell", [("float32", "lstm"), ("bfloat16", "lstm"), ("bfloat16", "gru")])
def test_both_precisions_learn_and_save_a_float32_model(tiny_text, tmp_path, precision, cell):
    from lstm_core.inference.engine import trace
    from lstm_core.storage.persistence import load_keras_model, load_model_folder

    trainer = make_trainer(tiny_text, cell=cell, precision=precision, learning_rate=0.02)
    first = trainer.validate()
    assert trainer.run(steps=30).progress.val_loss < first
    trainer.save(tmp_path / "m", corpus={"name": "tiny"})
    saved = load_keras_model(tmp_path / "m")
    assert {layer.dtype_policy.name for layer in saved.layers[1:]} == {"float32"}
    ids = trainer.vocab.ids(tiny_text[:37])
    probs = saved.predict(ids[None, :], verbose=0)[0]
    loaded = load_model_folder(tmp_path / "m")
    assert loaded.meta.train.precision == precision
    np.testing.assert_allclose(trace(loaded.net, ids).probs, probs, atol=1e-5)
    # ...and holds the weights that trained.
    for a, b in zip(saved.get_weights(), trainer.model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_resuming_from_a_saved_folder_continues_the_same_optimisation(tiny_text, tmp_path):
    from lstm_core.storage.persistence import load_keras_model

    a = make_trainer(tiny_text, precision="bfloat16")
    a.run(steps=5)
    a.save(tmp_path / "m", corpus={"name": "tiny"})
    b = Trainer(a.spec, a.vocab, a.vocab.ids(tiny_text), a.config, model=load_keras_model(tmp_path / "m"))
    assert int(b.model.optimizer.iterations.numpy()) == 5
    a.reseed(5)
    b.reseed(5)
    # Same weights, same Adam moments, same windows: the next steps are the same steps.
    for _ in range(3):
        assert b.train_step() == pytest.approx(a.train_step(), abs=1e-6)
    for x, y in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_allclose(x, y, atol=1e-6)


def test_a_run_with_a_budget_cools_the_learning_rate_down_to_zero(tiny_text):
    trainer = make_trainer(tiny_text, learning_rate=0.01, cool_down=0.4)
    assert trainer.cooled_learning_rate(0.0) == trainer.cooled_learning_rate(0.6) == 0.01
    assert trainer.cooled_learning_rate(0.8) == pytest.approx(0.005)
    assert trainer.cooled_learning_rate(1.0) == 0.0
    used = []
    trainer.run(steps=10, on_progress=lambda p: used.append(p.learning_rate), progress_every_s=0)
    # 0.01 while done <= 6 of 10 steps, then 0.01 * (10 - done) / 4; the final report repeats the last.
    assert used == pytest.approx([0.01] * 7 + [0.0075, 0.005, 0.0025, 0.0025])
    assert float(trainer.model.optimizer.learning_rate.numpy()) == pytest.approx(0.01)  # back to the base
    used.clear()
    trainer.run(steps=5, on_progress=lambda p: used.append(p.learning_rate), progress_every_s=0, cool_down=False)
    assert used == pytest.approx([0.01] * len(used))
    with pytest.raises(TrainError, match="cool-down"):
        TrainConfig(cool_down=1.0)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_adams_moments_exist_before_the_first_step(tiny_text, precision):
    """A first step that creates the optimizer's variables is traced twice by TensorFlow: a run's
    first step would take twice as long."""
    trainer = make_trainer(tiny_text, precision=precision)
    optimizer = trainer.model.optimizer
    assert optimizer.built
    # iterations and the learning rate, then two moments for each weight
    assert len(optimizer.variables) == 2 + 2 * len(trainer.model.trainable_variables)
