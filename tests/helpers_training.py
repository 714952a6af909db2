"""Recipes for tiny training runs with faults injected, for TrainingJob tests.

They live in a module of their own (not in a test file) because the job pickles its recipe to a
spawned child process, which imports this module to rebuild it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_core.spec import ModelSpec
from lstm_core.training.train_worker import TrainRecipe
from lstm_core.training.trainer import TrainConfig
from lstm_core.data.vocab import CharVocab


@dataclass(frozen=True)
class FaultyRecipe(TrainRecipe):
    stop_at: int | None = None  # the trainer is asked to stop inside this step (a Stop pressed mid-step)
    fail_at: int | None = None  # this step raises
    nan_at: int | None = None  # the weights become NaN just before this step, as after a runaway update
    fail_build: bool = False  # building the model runs out of memory
    ast_race: bool = False  # tracing the first step hits CPython 3.11's AST race once
    hold_at: int | None = None  # this step never returns (a giant first step, a hung kernel)...
    held_marker: str = ""  # ...and this file says it has begun
    hog_after_s: float | None = None  # after this long, a step needs far more memory than estimated

    def build(self, model=None):
        if self.fail_build:
            raise MemoryError("no room for this network")
        trainer = super().build(model)
        if self.nan_at is not None:
            trainer.good_every_s = 0  # the weights before every step are kept: the test knows which come back
        original = trainer.train_step

        started = time.monotonic()

        def train_step():
            step = trainer.steps + 1
            if self.hold_at is not None and step == self.hold_at:
                if self.held_marker:
                    Path(self.held_marker).touch()
                time.sleep(3600)
            if self.hog_after_s is not None and time.monotonic() - started > self.hog_after_s:
                np.ones(4 << 30, np.uint8)  # 4 GB, written: the run's memory limit must end it
            if self.fail_at is not None and step == self.fail_at:
                raise RuntimeError("simulated failure in the training step")
            if self.nan_at is not None and step == self.nan_at:
                trainer.model.set_weights([np.full_like(w, np.nan) for w in trainer.model.get_weights()])
            loss = original()
            if self.stop_at is not None and trainer.steps == self.stop_at:
                trainer.request_stop()
            return loss

        trainer.train_step = train_step
        if self.ast_race:
            compute_loss, calls = trainer.model.compute_loss, []

            def flaky_compute_loss(*args, **kwargs):  # called while the training step is traced
                calls.append(1)
                if len(calls) == 1:
                    raise SystemError("AST constructor recursion depth mismatch (before=819, after=36)")
                return compute_loss(*args, **kwargs)

            trainer.model.compute_loss = flaky_compute_loss
        return trainer


def tiny_recipe(text: str, **faults) -> FaultyRecipe:
    """A tiny LSTM (8 units) on `text`: milliseconds per step."""
    vocab = CharVocab.from_text(text)
    spec = ModelSpec(vocab_size=vocab.size, units=8, embed_dim=4)
    return FaultyRecipe(spec, vocab, vocab.ids(text), TrainConfig(seq_len=16, batch_size=8, seed=3), "tiny", **faults)


# Generous: each run's process imports TensorFlow, and the machine may be busy.
TIMEOUT = 180.0


def wait_for(condition, timeout=TIMEOUT, what="condition", interval=0.02, explain=None):
    """condition()'s first true value, asked every `interval` seconds; after `timeout` seconds an
    AssertionError naming `what` (and what explain() then returns, if given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}" + (f"; {explain()}" if explain else ""))


def wait_for_checkpoints(folder, count: int, timeout=TIMEOUT) -> None:
    """Wait until `count` checkpoints of the run saving into `folder` have been seen, each
    told apart by its step count (a checkpoint replaces meta.json whole, by a rename)."""
    seen = set()

    def another() -> bool:
        try:
            seen.add(json.loads((Path(folder) / "meta.json").read_text())["metrics"]["steps"])
        except (OSError, ValueError, KeyError, TypeError):  # not written yet
            pass
        return len(seen) >= count

    wait_for(another, timeout, f"{count} checkpoints in {folder}")
