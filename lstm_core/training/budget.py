"""How much memory a training run will need, the budget it must fit, and the hard limit behind it.

One student's run must never take the shared machine down. Before a run starts its peak memory is
estimated from its settings and refused when over the budget, with the setting that costs most and
a value of it that fits. The child process then runs under a hard limit (RLIMIT_DATA, which counts
the heap and every private mapping): an estimate that was wrong ends that one run (the allocation
fails and the process aborts), never the server or another student's run.

What the estimate counts (float32, 4 bytes a number), calibrated on TensorFlow 2.21's CPU kernels
by measuring peak resident memory of real runs (3 steps and a validation) at several sizes:
- the runtime: Python, TensorFlow and the data, about 700 MB before the first step;
- per parameter: the weights, their gradients and Adam's two moments (4 numbers), one more for
  the float32 twin a bfloat16 run validates and saves with;
- activations kept for backpropagation, per position of the batch (batch × sequence length) and
  per unit of every layer: about 12 numbers for LSTM and GRU (gates, states, their gradients and
  the step's temporaries), 5 for SimpleRNN, plus the input embedding twice;
- the softmax over the vocabulary at every position: logits, probabilities and their gradient;
- dropout masks, one number per unit and position of each layer.
Measured against it (peak RSS): 1×256 LSTM, batch 64 × 64: 786 MB; batch 256 × 1000: 3.6 GB;
2×512 LSTM, 128 × 256: 2.3 GB; 1×512 GRU, 128 × 512: 2.3 GB; 2×256 SimpleRNN, 256 × 500: 1.8 GB.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

from lstm_core import settings
from lstm_core.i18n import N_, _
from lstm_core.spec import ModelSpec
from lstm_core.inference.params import total_params
from lstm_core.said import Said

RUNTIME_MB = 700
NUMBERS_PER_UNIT = {"lstm": 12, "gru": 12, "rnn": 5}
# Trainings may use this share of the machine's memory together; the server and pages keep the rest,
# the spare training process (spare.py) included.
TRAINING_SHARE = 0.5
_MB = 1 << 20


class BudgetError(ValueError):
    """A run that would not fit its memory budget, explained for a person."""


@dataclass(frozen=True)
class Estimate:
    parts_mb: dict[str, float]

    @property
    def total_mb(self) -> float:
        return sum(self.parts_mb.values())


def estimate(spec: ModelSpec, seq_len: int, batch_size: int, mixed_precision: bool = False,
             corpus_chars: int = 0) -> Estimate:
    """Peak memory of a training run with these settings (see the module's docstring)."""
    positions = batch_size * seq_len
    params = total_params(spec)
    per_position = (spec.layers * spec.units * NUMBERS_PER_UNIT[spec.cell] + 2 * spec.embed_dim
                    + (spec.layers * spec.units if spec.dropout > 0 else 0))
    return Estimate({
        "runtime": RUNTIME_MB + corpus_chars * 4 / _MB,
        "weights and optimizer": params * 4 * (5 if mixed_precision else 4) / _MB,
        "activations": positions * per_position * 4 / _MB,
        "softmax": positions * spec.vocab_size * 3 * 4 / _MB,
    })


def machine_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // _MB
    except (ValueError, OSError, AttributeError):
        return 4096


def default_budget_mb(concurrent: int) -> int:
    """Each of `concurrent` trainings gets an equal part of the memory trainings may use."""
    return max(1024, int(machine_mb() * TRAINING_SHARE / max(1, concurrent)))


def budget_mb(concurrent: int) -> int:
    """LSTM_LAB_TRAIN_MEMORY_MB when set, else default_budget_mb."""
    mb = settings.current().train_memory_mb
    return default_budget_mb(concurrent) if mb is None else mb


# The settings a person can lower, with their names on the page and their usual values: the one
# furthest above its usual value is the one that "costs most".
_KNOBS = (("seq_len", N_("sequence length"), 64), ("batch_size", N_("batch size"), 64),
          ("units", N_("units per layer"), 256), ("layers", N_("number of layers"), 1))


def check(spec: ModelSpec, seq_len: int, batch_size: int, budget: int, mixed_precision: bool = False,
          corpus_chars: int = 0) -> Estimate:
    """The estimate, or BudgetError naming the costliest setting and a value of it that fits."""
    settings = {"seq_len": seq_len, "batch_size": batch_size, "units": spec.units, "layers": spec.layers}

    def needed(**changed) -> float:
        s = {**settings, **changed}
        shaped = ModelSpec(spec.vocab_size, spec.cell, s["layers"], s["units"], spec.embed_dim, spec.dropout)
        return estimate(shaped, s["seq_len"], s["batch_size"], mixed_precision, corpus_chars).total_mb

    refuse_over(needed, settings, _KNOBS, budget)
    return estimate(spec, seq_len, batch_size, mixed_precision, corpus_chars)


def refuse_over(needed, settings: dict[str, int], knobs, budget: int) -> None:
    """BudgetError when `needed()` (MB; `needed(**changed)` with some settings changed) is over `budget`,
    naming the setting furthest above its usual value (`knobs`: (name, words, usual value)) and a value
    of it that fits."""
    total = needed()
    if total <= budget:
        return
    ranked = sorted(knobs, key=lambda k: settings[k[0]] / k[2], reverse=True)
    advice = ""
    for key, name, _usual in ranked:
        fits = _largest_fitting(settings[key], lambda v: needed(**{key: v}) <= budget)
        if fits is not None:
            advice = _("The {setting} ({value:,}) costs most: with {fits:,} instead, this run fits.").format(
                setting=_(name), value=settings[key], fits=fits)
            break
    if not advice:
        advice = _("Even the smallest settings do not fit: the server's memory budget is too small for training.")
    # Said where a person set the run up (the page, in their language; the command line, in English).
    raise BudgetError(_("This run would need about {needed} of memory; each training on this server may use "
                        "{allowed}. {advice}").format(needed=_size(total), allowed=_size(budget),
                                                      advice=advice))


def _largest_fitting(current: int, fits) -> int | None:
    """The largest value from 1 to `current` for which `fits` holds (the cost grows with it)."""
    if not fits(1):
        return None
    low, high = 1, current
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    # Two significant digits read better than 1,187 and still fit (the cost grows with the value).
    scale = 10 ** max(0, len(str(low)) - 2)
    return low // scale * scale


def _size(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def over_budget(mb: int) -> Said:
    """What a run that outgrew its hard limit says (in its child process or the thread watching it:
    the page translates it where it shows it)."""
    return Said(N_("The run needed more memory than its budget of {mb:,} MB, so it was ended (its estimate was too "
                   "low). Lower the sequence length, batch size or units and try again."), mb=mb)


def limit_this_process(mb: int) -> None:
    """Hard limit for the training process: an allocation beyond it fails instead of growing on."""
    limit = mb * _MB
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ValueError, OSError):  # a platform without it: the estimate still guards the start
        pass
