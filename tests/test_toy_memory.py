"""The memory test (lstm_core.teaching.toy_memory): its data, its NumPy networks against Keras, and short
training runs (tiny settings, so the tests stay light on two CPU cores)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstm_core.teaching import memory_runs as mr  # noqa: E402
from lstm_core.teaching import toy_memory as tm  # noqa: E402
from lstm_core.training.slots import TrainingSlots  # noqa: E402
from lstm_core.training.states import FINISHED  # noqa: E402

TINY = tm.ToyConfig(symbols=4, noise=1.0, max_gap=6, units=6, batch=16, steps=24, eval_gaps=(1, 3, 6),
                    eval_sequences=32, eval_every=8, time_budget_s=120.0)


@pytest.fixture(autouse=True)
def _no_shared_runs_left():
    yield
    mr.forget_shared()


# ---------------------------------------------------------------- data


def test_batches_start_with_the_letter_then_noise():
    rng = np.random.default_rng(0)
    x, y = tm.make_batch(rng, 500, 30, 8, 2.0)
    assert x.shape == (500, 31, 8) and x.dtype == np.float32 and y.shape == (500,)
    np.testing.assert_array_equal(x[:, 0], np.eye(8)[y])
    assert set(np.unique(y)) == set(range(8))
    assert x[:, 1:].std() == pytest.approx(2.0, rel=0.05) and abs(x[:, 1:].mean()) < 0.05


def test_gaps_are_log_uniform():
    rng = np.random.default_rng(1)
    gaps = np.array([tm.sample_gap(rng, 100) for _ in range(4000)])
    assert gaps.min() == 1 and gaps.max() <= 100
    # As many gaps from 1 to 10 as from 10 to 100: about ln(11)/ln(101) = 52% are at most 10.
    assert np.mean(gaps <= 10) == pytest.approx(np.log(11) / np.log(101), abs=0.04)
    assert tm.sample_gap(rng, 1) == 1


def test_test_set_is_fixed_and_not_the_training_stream():
    a, b = tm.test_set(TINY), tm.test_set(TINY)
    assert list(a) == [1, 3, 6]
    for gap in a:
        assert a[gap][0].shape == (32, gap + 1, 4)
        np.testing.assert_array_equal(a[gap][0], b[gap][0])
    train_x, _ = tm.make_batch(np.random.default_rng([TINY.seed, 1]), 32, 1, 4, 1.0)
    assert not np.array_equal(train_x, a[1][0])
    x, letter = tm.example(TINY, 5)
    assert x.shape == (6, 4) and letter == tm.LETTERS[int(np.argmax(x[0]))]


def test_bad_configurations_are_refused():
    for bad in (dict(symbols=1), dict(symbols=40), dict(steps=0), dict(cells=("transformer",))):
        with pytest.raises(ValueError):
            tm.ToyConfig(**bad)
    assert tm.ToyConfig().chance == pytest.approx(1 / 8)


# ---------------------------------------------------------------- the networks


@pytest.mark.parametrize("cell", tm.CELLS)
def test_numpy_network_predicts_like_keras(cell):
    model = tm.build_keras(cell, TINY, seed=3)
    rng = np.random.default_rng(2)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    net = tm._from_keras(cell, model)
    x, _ = tm.make_batch(rng, 5, 7, TINY.symbols, TINY.noise)
    keras_probs = np.asarray(model(x, training=False))  # the Keras layers themselves
    logits = net.predict(x)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, keras_probs, atol=1e-5)
    curve = tm.gradient_curve(net, TINY)
    assert curve.shape == (TINY.max_gap + 1,) and np.all(curve > 0)


# ---------------------------------------------------------------- training


def _same_history(a, b) -> None:
    assert [p.step for p in a] == [p.step for p in b]
    for p, q in zip(a, b):
        assert p.accuracy == q.accuracy


def test_training_runs_checkpoints_and_is_deterministic():
    import gc

    seen = []
    phases = []
    first = tm.train(TINY, on_checkpoint=lambda p, nets: seen.append((p.step, sorted(nets))), on_phase=phases.append)
    assert first.steps == 24 and not first.cut_short and not first.stopped
    assert [p.step for p in first.history] == [0, 8, 16, 24] and [s for s, _ in seen] == [0, 8, 16, 24]
    assert all(names == sorted(tm.CELLS) for _, names in seen)
    assert phases[0].startswith("Starting TensorFlow") and phases[-1] == "Training…"
    assert set(first.timings) == {"tensorflow", "build", "compile", "training"}
    # TensorFlow's objects are frozen out of the garbage collector (Streamlit collects after every run).
    assert gc.get_freeze_count() > 100_000
    for point in first.history:
        assert set(point.accuracy) == set(tm.CELLS)
        assert all(0.0 <= a <= 1.0 for scores in point.accuracy.values() for a in scores.values())
    for cell in tm.CELLS:
        assert not np.allclose(first.initial[cell].weights.kernel, first.trained[cell].weights.kernel)
        assert np.isfinite(first.history[-1].loss[cell])

    # The same run again, in a process of its own as the page runs it: the same numbers.
    job = mr.memory_job(TINY, slots=TrainingSlots(2))
    job.start(TINY.time_budget_s)
    assert job.join(timeout=300)
    view = job.view()
    assert view.status == FINISHED and view.done and view.result is not None and view.step == 24
    _same_history(first.history, view.result.history)
    for cell in tm.CELLS:
        np.testing.assert_allclose(view.initial[cell].weights.kernel, first.initial[cell].weights.kernel)
        np.testing.assert_allclose(view.latest[cell].weights.recurrent_kernel,
                                   first.trained[cell].weights.recurrent_kernel, atol=1e-5)


def test_time_budget_and_stop_requests_end_training_early():
    cut = tm.train(tm.ToyConfig(**{**TINY.__dict__, "time_budget_s": 0.0}))
    assert cut.cut_short and cut.steps == 0 and [p.step for p in cut.history] == [0]
    assert set(cut.trained) == set(tm.CELLS)
    calls = []

    def stop_after_three() -> bool:
        calls.append(1)
        return len(calls) > 3

    stopped = tm.train(TINY, should_stop=stop_after_three)
    assert stopped.stopped and stopped.steps == 3 and stopped.history[-1].step == 3


def test_shared_jobs_are_reused_by_configuration():
    config = tm.ToyConfig(**{**TINY.__dict__, "time_budget_s": 0.001, "seed": 5})
    assert mr.shared_job(config, start=False) is None
    job = mr.shared_job(config)
    assert mr.shared_job(config) is job and mr.shared_job(config, start=False) is job
    assert job.join(timeout=300)
    assert job.view().status == FINISHED and job.view().result.cut_short
    assert mr.shared_job(tm.with_seed(config, 6), start=False) is None
