"""Which number format training computes in on this CPU.

Recent x86 CPUs multiply bfloat16 numbers natively (AVX512-BF16, AMX): training a character
LSTM there in Keras' "mixed_bfloat16" policy (weights and optimizer in float32, the matrix
products in bfloat16) runs about 1.7x as fast as float32 and learns as well per step. Elsewhere
bfloat16 is emulated and slower than float32, so training stays in float32.

LSTM_LAB_CPU_BFLOAT16 ("yes" or "no", lstm_core.settings) overrides what the CPU flags say, so that
tests see both kinds of processor on whichever machine runs them. It reaches the training processes
through their environment, so a forced "yes" really trains in (emulated) bfloat16.
"""

from __future__ import annotations

from pathlib import Path

from lstm_core import settings

PRECISIONS = ("auto", "float32", "bfloat16")
_BF16_FLAGS = {"avx512_bf16", "amx_bf16"}


def cpu_has_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU flags (Linux) name a native bfloat16 instruction set, or when
    LSTM_LAB_CPU_BFLOAT16 says "yes" (and False when it says "no")."""
    forced = settings.current().cpu_bfloat16
    if forced is not None:
        return forced
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:  # not Linux, or no /proc: assume nothing
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return not _BF16_FLAGS.isdisjoint(line.split(":", 1)[-1].split())
    return False


def resolve(precision: str) -> str:
    """"auto" becomes "bfloat16" where the CPU has it natively, else "float32"."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        return "bfloat16" if cpu_has_bfloat16() else "float32"
    return precision


def keras_policy(precision: str) -> str:
    """The Keras dtype policy of the layers that compute in `precision` ("float32" or "bfloat16")."""
    return "mixed_bfloat16" if precision == "bfloat16" else "float32"
