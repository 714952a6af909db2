"""Reading a Keras 3 `.keras` file (config.json + model.weights.h5 in a zip) without importing TensorFlow.

The file may come from a stranger: its parts are size-limited before they are unpacked, the HDF5
file is followed through hard links only, and its arrays' shapes are checked before anything is
read; what the configuration describes is checked by keras_config.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
import zlib
from typing import IO

import h5py

from lstm_core.i18n import _
from lstm_core.inference.keras_config import CELL_OF_CLASS, build, json_object
from lstm_core.inference.netweights import Network, WeightsError

# Bounds on what a file may make us read: the largest model the Train page builds (3 x LSTM(1024))
# has ~25 M parameters, so these leave room while refusing absurd files before allocating anything.
MAX_CONFIG_BYTES = 4 << 20
MAX_WEIGHTS_BYTES = 512 << 20


def _snake(class_name: str) -> str:
    # Keras' own naming.to_snake_case: weight groups in model.weights.h5 are named after classes.
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _read_entry(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise WeightsError(_("This .keras file is damaged: it has no {name}.").format(name=name)) from None
    if info.file_size > limit:
        raise WeightsError(_("LSTM Lab will not read this .keras file: its {name} is {size} MB, more than the "
                             "{limit} MB limit.").format(name=name, size=info.file_size >> 20, limit=limit >> 20))
    try:
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:
        raise WeightsError(_("This .keras file is damaged: its {name} cannot be unpacked ({error}).")
                           .format(name=name, error=exc)) from None
    if len(data) > limit:
        raise WeightsError(_("LSTM Lab will not read this .keras file: its {name} is larger than the "
                             "{limit} MB limit.").format(name=name, limit=limit >> 20))
    return data


def _h5_node(h5: h5py.File, path: str):
    """Follow `path` through hard links only: an external link could make us read another file on disk."""
    node = h5
    for part in path.split("/"):
        link = node.get(part, getlink=True) if isinstance(node, h5py.Group) else None
        if link is None:
            raise WeightsError(_("This .keras file is damaged: model.weights.h5 has no {path}.").format(path=path))
        if not isinstance(link, h5py.HardLink):
            raise WeightsError(_("This .keras file is damaged: {path} in model.weights.h5 is a link, which LSTM Lab "
                                 "does not follow.").format(path=path))
        node = node[part]
    return node


def _h5_datasets(h5: h5py.File, path: str) -> list[h5py.Dataset]:
    # Datasets, not arrays: their shapes are checked before anything is read (a compressed dataset
    # could otherwise unpack to far more than the file's size).
    group = _h5_node(h5, path)
    keys = sorted(group.keys(), key=lambda k: (len(k), k)) if isinstance(group, h5py.Group) else []
    if keys != [str(i) for i in range(len(keys))]:
        raise WeightsError(_("This .keras file is damaged: model.weights.h5 has unexpected entries under {path}.")
                           .format(path=path))
    out = []
    for key in keys:
        ds = _h5_node(h5, f"{path}/{key}")
        if not isinstance(ds, h5py.Dataset) or ds.external or ds.is_virtual or ds.dtype.kind != "f":
            raise WeightsError(_("This .keras file is damaged: {path} in model.weights.h5 is not a plain array of "
                                 "numbers.").format(path=f"{path}/{key}"))
        out.append(ds)
    return out


def _archive(source: str | os.PathLike | IO[bytes]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise WeightsError(_("This .keras file is damaged: it is not a complete zip archive, which every .keras "
                             "file is ({error}).").format(error=exc)) from None


def _configuration(raw_config: bytes) -> tuple[object, dict, list[dict]]:
    """(model class, model configuration, its layer entries) from config.json's bytes."""
    try:
        top = json.loads(raw_config)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise WeightsError(_("This .keras file is damaged: its config.json is not valid JSON ({error}).")
                           .format(error=exc)) from None
    top = json_object(top, "config.json")
    model_class, config = top.get("class_name"), top.get("config")
    entries = json_object(config, _("the model configuration")).get("layers")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise WeightsError(_("This .keras file is damaged: the model configuration lists no layers"))
    return model_class, config, entries


def layer_classes(source: str | os.PathLike | IO[bytes]) -> list[str]:
    """The class names of a `.keras` file's layers in order, from its configuration alone: what a page
    checks to say what kind of model a file is before its weights are read."""
    with _archive(source) as archive:
        raw_config = _read_entry(archive, "config.json", MAX_CONFIG_BYTES)
    return [str(entry.get("class_name")) for entry in _configuration(raw_config)[2]]


def from_keras_file(source: str | os.PathLike | IO[bytes]) -> Network:
    """Read a Keras 3 `.keras` file (a path or a binary file object such as an upload) without Keras."""
    with _archive(source) as archive:
        raw_config = _read_entry(archive, "config.json", MAX_CONFIG_BYTES)
        raw_weights = _read_entry(archive, "model.weights.h5", MAX_WEIGHTS_BYTES)
    model_class, config, entries = _configuration(raw_config)

    # Keras names each layer's weight group after its class in snake case, numbering repeats in
    # layer order (lstm, lstm_1, ...), whatever the layer's own name.
    paths, seen = [], {}
    for entry in entries:
        base = _snake(str(entry.get("class_name")))
        paths.append(base if base not in seen else f"{base}_{seen[base]}")
        seen[base] = seen.get(base, 0) + 1

    try:
        h5 = h5py.File(io.BytesIO(raw_weights), "r")
    except OSError as exc:
        raise WeightsError(_("This .keras file is damaged: its model.weights.h5 is not a readable HDF5 file "
                             "({error}).").format(error=exc)) from None

    def fetch(position: int, part: str | None) -> list[h5py.Dataset]:
        # Recurrent weights live one level down, in the layer's cell.
        cell = part is not None or entries[position].get("class_name") in CELL_OF_CLASS
        return _h5_datasets(h5, "/".join(p for p in ("layers", paths[position], part, "cell" if cell else None,
                                                      "vars") if p))

    with h5:
        return build(str(model_class), config, fetch)
