"""The README's ten-line Keras export runs as written, and LSTM Lab opens what it saves."""

import re
import subprocess
import sys
from pathlib import Path

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
