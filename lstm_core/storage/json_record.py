"""A JSON object read into a frozen dataclass, checked field by field against its annotations.

A model's meta.json comes from anyone (an uploaded zip), so it is read once, here, into a typed
record: a field of the wrong type, or a number outside the range its field allows, is refused with
the field's name (`corpus.name`, `history[2].val_acc`) instead of failing later, deep in a page.
Unknown keys are left out (a newer LSTM Lab may write more); a missing field takes its default, and
a field without a default must be there.

The annotations understood: str, int, float (a whole number is a number too), bool, `X | None`,
`tuple[X, ...]`, `dict[str, X]` and another such dataclass. A field's range is its metadata
(`at_least`, `between`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from typing import Any, TypeVar

from lstm_core.i18n import N_
from lstm_core.said import Explained, Said

Record = TypeVar("Record")
# What a field should be, as a message says it.
_EXPECTED = {str: N_("text"), int: N_("a whole number"), float: N_("a number"), bool: N_("true or false"),
             tuple: N_("a list"), dict: N_("an object")}
_SHOWN = 40  # characters of the wrong value a message repeats (it may be anything, of any length)


class RecordError(Explained):
    """A JSON value that does not fit its field; the message names the field."""


def at_least(low: float, default: Any = None) -> Any:
    return dataclasses.field(default=default, metadata={"range": (low, math.inf)})


def between(low: float, high: float, default: Any = None) -> Any:
    return dataclasses.field(default=default, metadata={"range": (low, high)})


def from_json(cls: type[Record], data: object, path: str = "") -> Record:
    """`data` as a `cls`, or RecordError naming the first field that does not fit."""
    if not isinstance(data, dict):
        raise _wrong(path, dict, data)
    values = {}
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        where = f"{path}.{f.name}" if path else f.name
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise RecordError(N_("meta.json: “{field}” is missing."), field=where)
            continue
        value = _value(hints[f.name], data[f.name], where)
        low, high = f.metadata.get("range", (-math.inf, math.inf))
        # NaN is no absurd value but a loss never measured well (a diverged run): kept, as it was written.
        if "range" in f.metadata and value is not None and not math.isnan(value) and not low <= value <= high:
            if high == math.inf:
                raise RecordError(N_("meta.json: “{field}” should be at least {low:g}, not {value}."),
                                  field=where, low=low, value=_shown(value))
            raise RecordError(N_("meta.json: “{field}” should be from {low:g} to {high:g}, not {value}."),
                              field=where, low=low, high=high, value=_shown(value))
        values[f.name] = value
    return cls(**values)


@functools.cache
def _hints(cls: type) -> dict:
    return typing.get_type_hints(cls)


def _value(kind, value, where: str):
    if isinstance(kind, types.UnionType):  # X | None: the only union a record uses
        if value is None:
            return None
        (kind,) = [k for k in typing.get_args(kind) if k is not type(None)]
    origin = typing.get_origin(kind)
    if origin is tuple:
        if not isinstance(value, list):
            raise _wrong(where, tuple, value)
        item = typing.get_args(kind)[0]
        return tuple(_value(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise _wrong(where, dict, value)
        item = typing.get_args(kind)[1]
        return {k: _value(item, v, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        return from_json(kind, value, where)
    # bool is an int to Python, never to a person; a whole number is a fine float (JSON writes 1.0 as 1.0, people 1).
    fits = (isinstance(value, (int, float)) and not isinstance(value, bool) if kind is float
            else isinstance(value, kind) and (kind is bool or not isinstance(value, bool)))
    if not fits:
        raise _wrong(where, kind, value)
    return float(value) if kind is float else value


def _wrong(where: str, kind: type, value) -> RecordError:
    return RecordError(N_("meta.json: “{field}” should be {expected}, not {value}."),
                       field=where or "meta.json", expected=Said(_EXPECTED[kind]), value=_shown(value))


def _shown(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "…"
