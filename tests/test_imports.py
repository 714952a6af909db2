"""The engine's layering, checked at import time in a fresh interpreter: lstm_core never imports
Streamlit, and looking at a model (loading, tracing, sampling, analysing) never imports TensorFlow."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "lstm_core").rglob("*.py")
    if p.name not in ("__main__.py",)
)


def _imported_after(code: str) -> set[str]:
    script = textwrap.dedent(code) + "\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return set(out.stdout.split())


def test_the_engine_never_imports_streamlit():
    imports = "\n".join(f"import {m.removesuffix('.__init__')}" for m in ENGINE_MODULES)
    assert "streamlit" not in _imported_after(imports)


@pytest.mark.parametrize("work", [
    "from lstm_core.storage.persistence import load_model_folder; m = load_model_folder('default')",
    "from lstm_core.storage.persistence import load_model_folder; from lstm_core.inference.engine import trace\n"
    "m = load_model_folder('default'); trace(m.net, m.vocab.encode('To be, or not to be').ids)",
    "from lstm_core.storage.persistence import load_model_folder; from lstm_core.inference.sampling import generate\n"
    "m = load_model_folder('default'); generate(m.net, m.vocab, 'HAMLET', 50, seed=1)",
    "from lstm_core.storage.persistence import load_model_folder; from lstm_core.inference import unit_stats\n"
    "from lstm_core.inference.engine import trace\ntext = '(a) [b] c (d)'\n"
    "m = load_model_folder('default'); t = trace(m.net, m.vocab.encode(text).ids)\n"
    "unit_stats.rank_units(t.layers[0].forward['c'], unit_stats.inside_brackets(text))",
    "from lstm_core.sentiment.store import load_folder; from lstm_core.sentiment.scoring import score\n"
    "m = load_folder('default'); score(m.net, m.vocab, 'not good at all')",
], ids=["load", "trace", "sample", "analyse", "sentiment"])
def test_looking_at_a_model_never_imports_tensorflow(work):
    imported = _imported_after(work)
    assert not imported & {"tensorflow", "keras"}, sorted(imported & {"tensorflow", "keras"})


def test_a_server_without_a_ray_cluster_never_imports_ray():
    """Ray is for deployments that set LSTM_LAB_RAY_ADDRESS: without it, neither the app's modules nor
    starting a run (here, up to taking its place in the server's queue) load it."""
    ui_modules = sorted(p.stem for p in (ROOT / "ui").glob("*.py") if p.stem != "__init__")
    engine = [m for m in ENGINE_MODULES if m != "lstm_core.training.ray_launcher"]
    code = "\n".join(f"import {m.removesuffix('.__init__')}" for m in engine) + "\n" + "\n".join(
        f"import ui.{m}" for m in ui_modules) + textwrap.dedent("""
        import multiprocessing, os
        os.environ.pop("LSTM_LAB_RAY_ADDRESS", None)
        from lstm_core.training.launcher import LocalRun, Work, start_run
        from lstm_core.training.slots import TrainingSlots
        launched = start_run(Work(print, ".", "nothing"), multiprocessing.Event(), TrainingSlots(1))
        assert isinstance(launched, LocalRun) and launched.position() == 0
        launched.close()
        """)
    assert "ray" not in _imported_after(code)
