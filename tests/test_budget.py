"""A training run's memory: estimated before it starts, refused over the budget with the setting
that costs most and a value that fits, on the page and on the command line."""

import subprocess
import sys
from pathlib import Path

import pytest

from lstm_core.settings import SettingsError
from lstm_core.spec import ModelSpec
from lstm_core.training import budget

ROOT = Path(__file__).resolve().parents[1]
SPEC = ModelSpec(vocab_size=66, cell="lstm", layers=1, units=256, embed_dim=32)


def test_the_estimate_grows_with_every_setting_that_costs_memory():
    base = budget.estimate(SPEC, 64, 64).total_mb
    assert budget.RUNTIME_MB < base < 1000  # the defaults: about 760 MB (measured peak: 786 MB)
    assert budget.estimate(SPEC, 128, 64).total_mb > base
    assert budget.estimate(SPEC, 64, 128).total_mb > base
    assert budget.estimate(ModelSpec(66, "lstm", 2, 256, 32), 64, 64).total_mb > base
    assert budget.estimate(ModelSpec(66, "lstm", 1, 512, 32), 64, 64).total_mb > base
    assert budget.estimate(ModelSpec(66, "rnn", 1, 256, 32), 64, 64).total_mb < base  # no gates to keep


def test_the_issues_run_is_refused_naming_sequence_length_and_a_value_that_fits():
    spec = ModelSpec(vocab_size=66, cell="lstm", layers=3, units=1024, embed_dim=32)
    with pytest.raises(budget.BudgetError) as refused:
        budget.check(spec, 1000, 256, 12_000)
    message = str(refused.value)
    assert "sequence length (1,000) costs most" in message and "may use 11.7 GB" in message
    suggested = int(message.split("with ")[1].split(" instead")[0].replace(",", ""))
    assert 1 <= suggested < 1000
    assert budget.check(spec, suggested, 256, 12_000).total_mb <= 12_000  # the advice is true


def test_a_run_that_fits_is_not_refused_and_a_budget_too_small_for_anything_says_so():
    assert budget.check(SPEC, 64, 64, 2000).total_mb < 2000
    with pytest.raises(budget.BudgetError, match="Even the smallest settings do not fit"):
        budget.check(SPEC, 64, 64, 300)


def test_the_budget_comes_from_the_environment_or_the_machine(lab_env):
    lab_env("LSTM_LAB_TRAIN_MEMORY_MB", "3000")
    assert budget.budget_mb(4) == 3000
    with pytest.raises(SettingsError, match="LSTM_LAB_TRAIN_MEMORY_MB must be a whole number of megabytes"):
        lab_env("LSTM_LAB_TRAIN_MEMORY_MB", "lots")
    lab_env("LSTM_LAB_TRAIN_MEMORY_MB", None)
    assert budget.budget_mb(1) == pytest.approx(budget.machine_mb() * budget.TRAINING_SHARE, abs=1)
    assert budget.budget_mb(2) < budget.budget_mb(1)  # concurrent trainings share it


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lstm_core", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_the_cli_refuses_before_training_and_a_flag_raises_the_budget(tmp_path):
    too_big = ["train", "--layers", "3", "--units", "1024", "--seq-len", "1000", "--batch", "256", "--steps", "1",
               "--out", str(tmp_path / "big")]
    refused = _cli(*too_big, "--memory-mb", "8000")
    assert refused.returncode == 2 and "costs most" in refused.stderr and not (tmp_path / "big").exists()
    small = ["train", "--units", "8", "--embed", "4", "--seq-len", "16", "--batch", "8", "--steps", "2", "--json",
             "--corpus", str(ROOT / "README.md"), "--out", str(tmp_path / "small")]
    refused = _cli(*small, "--memory-mb", "400")
    assert refused.returncode == 2 and "memory" in refused.stderr
    done = _cli(*small, "--memory-mb", "4000")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("{") and '"status": "finished"' in done.stdout  # --json: stdout is JSON
