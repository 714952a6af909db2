"""The machine a bench ran on, for its first line: the CPU's model and whether training computes in
bfloat16 on it (lstm_core.training.precision decides that, from the CPU's flags or LSTM_LAB_CPU_BFLOAT16)."""

from __future__ import annotations

from pathlib import Path

from lstm_core.training.precision import cpu_has_bfloat16


def cpu() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, native bfloat16: {'yes' if cpu_has_bfloat16() else 'no'}"
