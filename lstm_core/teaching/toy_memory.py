"""A long-range memory test, trained live: remember the first symbol across N steps of noise.

Each sequence starts with one of `symbols` letters (a one-hot vector), followed by N steps of
loud random noise (normal, standard deviation `noise`, in the same input channels). After the
last step the network must say which letter came first: chance is 1/symbols.

Three tiny networks, one per cell kind (SimpleRNN, GRU, LSTM: input → one recurrent layer of
`units` → softmax), get exactly the same training: the same batches, optimizer and number of
steps. Gaps are drawn log-uniformly from 1 … max_gap, so short sequences give every network an
easy start. Within the budget the gated cells learn to close their input gate after the letter
and to hold it (LSTM: f ≈ 1, i ≈ 0); the SimpleRNN, whose every step adds W·x to its state and
squashes it through tanh, keeps losing the letter under the noise.

Training needs TensorFlow (imported lazily, in the run's process: memory_runs.py); everything else
here is NumPy: the accuracy is measured with gradients.run on fixed test sequences, and the trained
weights are returned as NumPy arrays for the gradient curves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from lstm_core.i18n import N_
from lstm_core.teaching.gradients import geometric_mean, input_gradient_norms, last_state
from lstm_core.inference.netweights import CellWeights

CELLS = ("rnn", "gru", "lstm")
COMPILE_BEFORE = 0.6  # start compiling the training step only within this share of the time budget
LETTERS = "ABCDEFGHIJKLMNOP"


@dataclass(frozen=True)
class ToyConfig:
    symbols: int = 8
    noise: float = 2.0
    max_gap: int = 100
    units: int = 16
    batch: int = 64
    steps: int = 600
    learning_rate: float = 0.01
    seed: int = 0
    eval_gaps: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100)
    eval_sequences: int = 256
    eval_every: int = 75
    # Wall time from the start of the run (TensorFlow's import included): training stops here
    # whatever the step count, so a busy server still finishes within a minute.
    time_budget_s: float = 50.0
    cells: tuple[str, ...] = CELLS

    def __post_init__(self):
        if not 2 <= self.symbols <= len(LETTERS):
            raise ValueError(f"symbols must be between 2 and {len(LETTERS)}")
        if self.max_gap < 1 or self.steps < 1 or self.units < 1 or self.batch < 1:
            raise ValueError("max_gap, steps, units and batch must be at least 1")
        if any(c not in CELLS for c in self.cells):
            raise ValueError(f"cells must be among {CELLS}")

    @property
    def chance(self) -> float:
        return 1.0 / self.symbols


# ---------------------------------------------------------------- the data


def sample_gap(rng: np.random.Generator, max_gap: int) -> int:
    """A gap length, log-uniform on 1 … max_gap (as many sequences of 1–10 as of 10–100)."""
    return int(min(max_gap, math.floor(math.exp(rng.uniform(0.0, math.log(max_gap + 1))))))


def make_batch(rng: np.random.Generator, size: int, gap: int, symbols: int, noise: float):
    """(x (size, gap+1, symbols) float32, y (size,) int): the letter, then `gap` steps of noise."""
    x = rng.normal(0.0, noise, (size, gap + 1, symbols)).astype(np.float32)
    y = rng.integers(0, symbols, size)
    x[:, 0] = np.eye(symbols, dtype=np.float32)[y]
    return x, y


def test_set(config: ToyConfig) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Fixed test sequences per gap (never trained on: a different random stream)."""
    rng = np.random.default_rng([config.seed, 7919])
    return {gap: make_batch(rng, config.eval_sequences, gap, config.symbols, config.noise)
            for gap in config.eval_gaps}


def example(config: ToyConfig, gap: int, seed: int = 1) -> tuple[np.ndarray, str]:
    """One sequence to show, and its answer letter."""
    x, y = make_batch(np.random.default_rng([seed, gap]), 1, gap, config.symbols, config.noise)
    return x[0], LETTERS[int(y[0])]


# ---------------------------------------------------------------- the networks, in NumPy


@dataclass(frozen=True, eq=False)
class ToyNet:
    """One trained (or untrained) toy network as NumPy arrays: recurrent layer, then softmax."""

    cell: str
    weights: CellWeights
    head_kernel: np.ndarray
    head_bias: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class scores (logits) after the last step, for x (B, T, symbols)."""
        return last_state(self.cell, self.weights, x) @ self.head_kernel + self.head_bias


def accuracy(net: ToyNet, tests: dict[int, tuple[np.ndarray, np.ndarray]]) -> dict[int, float]:
    return {gap: float((net.predict(x).argmax(axis=1) == y).mean()) for gap, (x, y) in tests.items()}


def gradient_curve(net: ToyNet, config: ToyConfig, gap: int | None = None, sequences: int = 16,
                   seed: int = 3) -> np.ndarray:
    """The typical ||∂h_T/∂x_{T−k}|| over `sequences` test sequences with `gap` noise steps (default
    max_gap): k = 0 … gap, where k = gap is the letter itself."""
    gap = config.max_gap if gap is None else gap
    x, _ = make_batch(np.random.default_rng([seed, gap]), sequences, gap, config.symbols, config.noise)
    return geometric_mean(input_gradient_norms([(net.cell, net.weights)], x))


def _from_keras(cell: str, model: "ToyKeras") -> ToyNet:
    kernel, recurrent, bias = model.rnn.get_weights()
    head_kernel, head_bias = model.dense.get_weights()
    return ToyNet(cell, CellWeights(kernel, recurrent, bias), head_kernel, head_bias)


class ToyKeras:
    """One toy network in Keras: a recurrent layer and a softmax Dense layer, built directly (a
    functional keras.Model costs ten times as long to build, which matters on a busy server)."""

    def __init__(self, rnn, dense):
        self.rnn, self.dense = rnn, dense

    def __call__(self, x, training: bool = False):
        return self.dense(self.rnn(x, training=training))

    @property
    def trainable_variables(self) -> list:
        return self.rnn.trainable_variables + self.dense.trainable_variables

    def get_weights(self) -> list[np.ndarray]:
        return self.rnn.get_weights() + self.dense.get_weights()

    def set_weights(self, weights) -> None:
        self.rnn.set_weights(weights[:3])
        self.dense.set_weights(weights[3:])


def build_keras(cell: str, config: ToyConfig, seed: int) -> ToyKeras:
    """The Keras layers for one cell kind, seeded through their initializers (no global seed, so
    other sessions' training is not disturbed)."""
    from lstm_core.training.keras_model import RNN_CLASSES
    from lstm_core.training.tf_runtime import keras

    k = keras()
    rnn = getattr(k.layers, RNN_CLASSES[cell])(
        config.units, kernel_initializer=k.initializers.GlorotUniform(seed=seed),
        recurrent_initializer=k.initializers.Orthogonal(seed=seed + 1), name=cell)
    rnn.build((None, None, config.symbols))
    dense = k.layers.Dense(config.symbols, activation="softmax", name=f"{cell}_answer",
                           kernel_initializer=k.initializers.GlorotUniform(seed=seed + 2))
    dense.build((None, config.units))
    return ToyKeras(rnn, dense)


def _training_step(models: dict, config: ToyConfig):
    """One compiled function that trains every model on the same batch: traced once, for any
    sequence length (Keras' own train_on_batch would trace again for many of the lengths)."""
    from lstm_core.training.tf_runtime import keras

    k = keras()
    import tensorflow as tf  # already loaded by Keras' TensorFlow backend

    loss_fn = k.losses.SparseCategoricalCrossentropy()
    optimizers = {cell: k.optimizers.Adam(config.learning_rate, clipnorm=1.0) for cell in models}
    for cell, model in models.items():
        optimizers[cell].build(model.trainable_variables)
    cells = list(models)

    @tf.function(input_signature=[tf.TensorSpec([None, None, config.symbols], tf.float32),
                                  tf.TensorSpec([None], tf.int32)])
    def step(x, y):
        losses = []
        for cell in cells:
            model = models[cell]
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizers[cell].apply_gradients(zip(grads, model.trainable_variables))
            losses.append(loss)
        return tf.stack(losses)

    def train_step(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        values = step(tf.constant(x), tf.constant(y.astype(np.int32))).numpy()
        return dict(zip(cells, map(float, values)))

    return train_step


# ---------------------------------------------------------------- training


@dataclass(frozen=True)
class Checkpoint:
    """Accuracy per cell and gap, measured after `step` training steps."""

    step: int
    seconds: float
    accuracy: dict[str, dict[int, float]]
    loss: dict[str, float]


@dataclass(frozen=True)
class ToyResult:
    config: ToyConfig
    steps: int
    seconds: float  # the whole run, TensorFlow's start included
    cut_short: bool  # the time budget ended training before config.steps
    stopped: bool  # stop() was called
    initial: dict[str, ToyNet]
    trained: dict[str, ToyNet]
    history: tuple[Checkpoint, ...]
    # Seconds spent starting TensorFlow, building the networks, compiling the training step (its
    # first call) and training the rest of the steps.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def final(self) -> Checkpoint | None:
        return self.history[-1] if self.history else None


def train(config: ToyConfig = ToyConfig(), *, on_checkpoint: Callable[[Checkpoint, dict], None] | None = None,
          should_stop: Callable[[], bool] | None = None, on_phase: Callable[[str], None] | None = None,
          clock_start: float | None = None) -> ToyResult:
    """Train one network per cell kind, step by step in turn, on the same batches.

    Measures accuracy on the fixed test set at step 0, every `eval_every` steps and at the end,
    calling on_checkpoint(checkpoint, latest NumPy nets). Stops at config.steps, at the time
    budget (counted from clock_start, default now) or when should_stop() says so.
    """
    started = time.perf_counter() if clock_start is None else clock_start
    should_stop = should_stop or (lambda: False)
    phase = on_phase or (lambda _: None)
    timings: dict[str, float] = {}
    mark = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - mark[0]
        mark[0] = now

    phase(N_("Starting TensorFlow…"))
    from lstm_core.teaching.anatomy import keras_frozen

    keras_frozen()
    lap("tensorflow")
    phase(N_("Building the three networks…"))
    models = {cell: build_keras(cell, config, seed=1000 * config.seed + 10 * k)
              for k, cell in enumerate(config.cells)}
    initial = {cell: _from_keras(cell, m) for cell, m in models.items()}
    tests = test_set(config)
    history: list[Checkpoint] = []
    losses: dict[str, list[float]] = {cell: [] for cell in models}

    def checkpoint(step: int, nets: dict[str, ToyNet]) -> None:
        point = Checkpoint(step, time.perf_counter() - started, {c: accuracy(n, tests) for c, n in nets.items()},
                           {c: float(np.mean(v[-20:])) if v else float("nan") for c, v in losses.items()})
        history.append(point)
        if on_checkpoint is not None:
            on_checkpoint(point, nets)

    checkpoint(0, initial)
    lap("build")
    if time.perf_counter() - started >= COMPILE_BEFORE * config.time_budget_s:
        # Compiling takes about as long as starting TensorFlow did: when that already used most of the
        # budget (a very busy server), stop here rather than overrun it.
        return ToyResult(config, 0, time.perf_counter() - started, True, False, initial, initial, tuple(history),
                         timings)
    phase(N_("Compiling the training step…"))
    train_step = _training_step(models, config)
    first = True
    rng = np.random.default_rng([config.seed, 1])
    step, cut_short, stopped = 0, False, False
    latest = initial
    while step < config.steps:
        if should_stop():
            stopped = True
            break
        if time.perf_counter() - started >= config.time_budget_s:
            cut_short = True
            break
        x, y = make_batch(rng, config.batch, sample_gap(rng, config.max_gap), config.symbols, config.noise)
        for cell, loss in train_step(x, y).items():
            losses[cell].append(loss)
        step += 1
        if first:
            import gc

            gc.freeze()  # the compiled step's graphs live as long as the models: keep them out of the collector
            lap("compile")
            phase(N_("Training…"))
            first = False
        if step % config.eval_every == 0 or step == config.steps:
            latest = {cell: _from_keras(cell, m) for cell, m in models.items()}
            checkpoint(step, latest)
    if not history or history[-1].step != step:
        latest = {cell: _from_keras(cell, m) for cell, m in models.items()}
        checkpoint(step, latest)
    lap("training")
    return ToyResult(config, step, time.perf_counter() - started, cut_short, stopped, initial, latest, tuple(history),
                     timings)


def with_seed(config: ToyConfig, seed: int) -> ToyConfig:
    return replace(config, seed=int(seed))
