"""Everything whoever runs the server sets through LSTM_LAB_* environment variables, read and
checked in one place. The README's table lists them all (a test holds the two together).

`current()` reads the environment once per process and keeps what it read: the server reads it as
its first page runs (app.py), so a bad value is one clear message then, naming every variable that
is wrong. A training process reads its own copy, from the environment it inherited. Tests that
change a variable read again with `reread()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lstm_core.i18n import N_, _

# What the whole-number settings count, translated where a message names it.
_UNITS = (N_("trainings"), N_("megabytes"), N_("CPUs"), N_("GPUs"))
_ANSWERS = {"yes": True, "no": False}
_REPOSITORY = Path(__file__).resolve().parents[1]


class SettingsError(ValueError):
    """One or more LSTM_LAB_* variables hold a value LSTM Lab cannot use; the message names each."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path  # LSTM_LAB_DATA_DIR: workspaces and published models
    max_trainings: int | None  # LSTM_LAB_MAX_TRAININGS: None = half the cores
    train_memory_mb: int | None  # LSTM_LAB_TRAIN_MEMORY_MB: None = a share of the machine's memory
    teacher_key: str | None  # LSTM_LAB_TEACHER_KEY: None = nobody can publish
    ray_address: str | None  # LSTM_LAB_RAY_ADDRESS: None = trainings run on this machine
    ray_cpus: int  # LSTM_LAB_RAY_CPUS
    ray_gpus: int  # LSTM_LAB_RAY_GPUS
    poetry_dir: Path  # LSTM_LAB_POETRY_DIR: the chinese-poetry package's files
    cpu_bfloat16: bool | None  # LSTM_LAB_CPU_BFLOAT16: None = as the CPU's flags say
    spare_process: bool  # LSTM_LAB_SPARE_PROCESS: keep a training process ready (lstm_core.training.spare)


VARIABLES = ("LSTM_LAB_DATA_DIR", "LSTM_LAB_MAX_TRAININGS", "LSTM_LAB_TRAIN_MEMORY_MB", "LSTM_LAB_TEACHER_KEY",
             "LSTM_LAB_RAY_ADDRESS", "LSTM_LAB_RAY_CPUS", "LSTM_LAB_RAY_GPUS", "LSTM_LAB_POETRY_DIR",
             "LSTM_LAB_CPU_BFLOAT16", "LSTM_LAB_SPARE_PROCESS")


def read(environ: Mapping[str, str] = os.environ) -> Settings:
    """The settings in `environ`; SettingsError naming every variable whose value is wrong."""
    problems: list[str] = []

    def text(name: str) -> str | None:
        return environ.get(name, "").strip() or None

    def whole(name: str, minimum: int, unit: str) -> int | None:
        value = text(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            problems.append(_("{name} must be a whole number of {unit}, not {value!r}").format(
                name=name, unit=_(unit), value=value))
            return None
        if number < minimum:
            problems.append(_("{name} must be at least {minimum} ({unit}), not {number}").format(
                name=name, minimum=minimum, unit=_(unit), number=number))
            return None
        return number

    def answer(name: str) -> bool | None:
        value = text(name)
        if value is None:
            return None
        if value.lower() not in _ANSWERS:
            problems.append(_("{name} must be “yes” or “no”, not {value!r}").format(name=name, value=value))
            return None
        return _ANSWERS[value.lower()]

    cache = text("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    settings = Settings(
        data_dir=Path(text("LSTM_LAB_DATA_DIR") or os.path.join(cache, "lstm-lab")),
        max_trainings=whole("LSTM_LAB_MAX_TRAININGS", 1, N_("trainings")),
        train_memory_mb=whole("LSTM_LAB_TRAIN_MEMORY_MB", 256, N_("megabytes")),
        teacher_key=text("LSTM_LAB_TEACHER_KEY"),
        ray_address=text("LSTM_LAB_RAY_ADDRESS"),
        ray_cpus=whole("LSTM_LAB_RAY_CPUS", 1, N_("CPUs")) or 1,
        ray_gpus=whole("LSTM_LAB_RAY_GPUS", 0, N_("GPUs")) or 0,
        poetry_dir=Path(text("LSTM_LAB_POETRY_DIR") or _REPOSITORY / "data" / "chinese-poetry"),
        cpu_bfloat16=answer("LSTM_LAB_CPU_BFLOAT16"),
        spare_process=answer("LSTM_LAB_SPARE_PROCESS") is not False,
    )
    if problems:
        raise SettingsError("; ".join(problems))
    return settings


_current: Settings | None = None


def current() -> Settings:
    """This process's settings, read from the environment the first time they are asked for."""
    global _current
    if _current is None:
        _current = read()
    return _current


def reread() -> Settings:
    """Read the environment again (tests change it)."""
    global _current
    _current = None
    return current()
