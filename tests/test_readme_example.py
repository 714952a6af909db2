"""The README's export examples run as written, and LSTM Lab opens what they save: the ten-line Keras one,
and the PyTorch one where PyTorch is installed."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_core.inference.engine import trace
from lstm_core.inference.sampling import generate
from lstm_core.storage.keras_import import open_model

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_export_example_makes_a_model_lstm_lab_opens(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"<!-- the export example[^>]*-->\n```python\n(.*?)```", readme, re.S).group(1)
    assert len(code.strip().splitlines()) == 10
    (tmp_path / "my_text.txt").write_text("Double, double toil and trouble;\nFire burn and cauldron bubble.\n" * 20,
                                          encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    model = open_model(tmp_path / "my_model.keras", tmp_path / "char_indices.json", tmp_path / "opened")
    assert model.net.input_form == "one-hot" and model.meta.imported.vocabulary == "char_indices"
    text = generate(model.net, model.vocab, "Double", 50, temperature=0.5, seed=0).text
    assert len(text) == 50 and set(text) <= set("Double, double toil and trouble;\nFire burn and cauldron bubble.\n")


def test_the_readme_pytorch_example_makes_models_lstm_lab_opens(tmp_path):
    pytest.importorskip("torch")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"<!-- the PyTorch export example[^>]*-->\n```python\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "my_text.txt").write_text("Double, double toil and trouble;\nFire burn and cauldron bubble.\n",
                                          encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    opened = [open_model(tmp_path / f"my_model.{form}", tmp_path / "chars.json", tmp_path / "opened")
              for form in ("onnx", "safetensors")]
    ids = opened[0].vocab.encode("Double, double").ids
    # The same weights read two ways give the same probabilities.
    np.testing.assert_allclose(trace(opened[0].net, ids).probs, trace(opened[1].net, ids).probs, atol=1e-5)
