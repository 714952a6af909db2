"""Hostile uploads, built in memory from the pretrained models: zip bombs, path traversal, a Keras
Lambda layer, encrypted or corrupt archives, labels carrying script, and texts that are not UTF-8.

Shared by tests/test_hostile_uploads.py (AppTest) and tests/e2e/test_hostile_uploads_e2e.py (the
browser). Everything is small (a few MB at most) and built in well under a second; the one large
file, a 200 MB upload, is sparse (created with truncate, no disk used).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import io
import json
import marshal
import struct
import types
import typing
import zipfile
import zlib
from pathlib import Path

import numpy as np

from lstm_core.storage.persistence import DEFAULT_MODEL
from lstm_core.sentiment.store import DEFAULT_MODEL as SENTIMENT_MODEL

FILES = ("model.keras", "vocab.json", "meta.json")
SCRIPT_LABEL = ('<img src=x onerror="window.__pwned=1"> [click](javascript:window.__pwned=1) '
                r'$\href{javascript:window.__pwned=1}{x}$ **bold** ![t](https://example.invalid/t.png) :red[red]')


def entries(folder: Path = DEFAULT_MODEL) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def zip_of(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def good_model_zip() -> bytes:
    return zip_of({f"shakespeare-lstm/{k}": v for k, v in entries().items()})


def _patch_headers(data: bytes, name: str, **fields: int) -> bytes:
    """Rewrite fields of `name`'s local and central headers: method, flags, crc, compress_size, file_size."""
    local = {"flags": (6, "<H"), "method": (8, "<H"), "crc": (14, "<I"), "compress_size": (18, "<I"),
             "file_size": (22, "<I")}
    central = {"flags": (8, "<H"), "method": (10, "<H"), "crc": (16, "<I"), "compress_size": (20, "<I"),
               "file_size": (24, "<I")}
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    # The central directory, entry by entry, from where the end record says it starts (a stored
    # model.keras is itself a zip: searching for the signature could land inside it).
    pos = struct.unpack_from("<I", data, data.rfind(b"PK\x05\x06") + 16)[0]
    for info in infos:
        assert data[pos:pos + 4] == b"PK\x01\x02", "unexpected zip layout"
        n_name, n_extra, n_comment = struct.unpack_from("<HHH", data, pos + 28)
        if info.filename == name:
            for key, value in fields.items():
                off, fmt = central[key]
                struct.pack_into(fmt, out, pos + off, value)
                off, fmt = local[key]
                struct.pack_into(fmt, out, info.header_offset + off, value)
        pos += 46 + n_name + n_extra + n_comment
    return bytes(out)


def zeros_deflated(gigabytes: int) -> bytes:
    """A raw deflate stream that inflates to `gigabytes` GiB of zeros, in about 1 MB per GiB.

    One 64 MiB block, compressed once and ended with a full flush (byte-aligned, no back-references
    across it), repeated: a valid stream without compressing gigabytes here.
    """
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = block.compress(bytes(64 << 20)) + block.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    return piece * (gigabytes * 16) + end


def bomb_lying_sizes(gigabytes: int = 4) -> bytes:
    """A model zip whose meta.json declares 2 KB but inflates to `gigabytes` GiB of zeros."""
    declared = 2048
    # The stream is stored as meta.json's bytes, then the headers call it deflated, 2 KB unpacked
    # (with the checksum of 2 KB of zeros, so even that check passes).
    data = zip_of({**entries(), "meta.json": zeros_deflated(gigabytes)}, zipfile.ZIP_STORED)
    return _patch_headers(data, "meta.json", method=zipfile.ZIP_DEFLATED, file_size=declared,
                          crc=zlib.crc32(bytes(declared)))


def bomb_huge_declared() -> bytes:
    """A model zip that says its model.keras unpacks to 4 GB (it does not)."""
    return _patch_headers(zip_of(entries()), "model.keras", file_size=0xFFFF_FFF0)


def path_traversal() -> bytes:
    files = entries()
    return zip_of({"../evil/model.keras": files["model.keras"], "../evil/vocab.json": files["vocab.json"],
                   "../evil/meta.json": files["meta.json"]})


def encrypted() -> bytes:
    """The "encrypted" flag on every entry: zipfile asks for a password."""
    data = zip_of(entries())
    for name in FILES:
        data = _patch_headers(data, name, flags=0x1)
    return data


def corrupt_deflate(files: dict[str, bytes] | None = None, member: str = "meta.json") -> bytes:
    """Valid headers, but one member's compressed bytes are garbage: inflating fails midway."""
    data = bytearray(zip_of(files if files is not None else entries()))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start, start + min(info.compress_size, 64)):
        data[i] ^= 0xFF
    return bytes(data)


def unsupported_method() -> bytes:
    """Entries said to use compression method 9 (Deflate64), which Python cannot unpack."""
    data = zip_of(entries())
    for name in FILES:
        data = _patch_headers(data, name, method=9)
    return data


def lambda_layer(marker: Path) -> bytes:
    """The pretrained model with a Keras Lambda layer between its embedding and its LSTM.

    The Lambda's function is real serialised Python (as Keras writes it) that would create `marker`
    if anything ever ran it.
    """
    files = entries()
    with zipfile.ZipFile(io.BytesIO(files["model.keras"])) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(parts["config.json"])
    layers = config["config"]["layers"]
    code = (lambda x: (open(str(marker), "w").write("pwned"), x)[1]).__code__  # noqa: E731
    lam = {
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None, "name": "lambda",
        "config": {"name": "lambda", "trainable": True, "dtype": "float32",
                   "function": {"class_name": "__lambda__",
                                "config": {"code": base64.b64encode(marshal.dumps(code)).decode(),
                                           "defaults": None, "closure": None}},
                   "output_shape": None, "mask": None, "arguments": {}},
        "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                     "config": {"shape": [None, None, 64], "dtype": "float32",
                                                "keras_history": ["embedding", 0, 0]}}], "kwargs": {}}],
    }
    at = next(i for i, layer in enumerate(layers) if layer["class_name"] == "LSTM")
    layers[at]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["lambda", 0, 0]
    layers.insert(at, lam)
    parts["config.json"] = json.dumps(config).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return zip_of({**files, "model.keras": buf.getvalue()})


def script_labels() -> bytes:
    """A working model whose label and corpus label (shown in the sidebar) carry script and Markdown."""
    files = entries()
    meta = json.loads(files["meta.json"])
    meta["label"] = "Model " + SCRIPT_LABEL
    meta["corpus"]["label"] = "Corpus " + SCRIPT_LABEL
    return zip_of({**files, "meta.json": json.dumps(meta).encode()})


def sentiment_entries() -> dict[str, bytes]:
    return entries(SENTIMENT_MODEL)


# -- meta.json with a field of the wrong type ------------------------------------------------------------


def full_char_meta() -> dict:
    """The pretrained model's meta.json with every field a character model's can have: its own, held-out
    poems, and an `imported` part (the model's own id order, here LSTM Lab's: the model is unchanged)."""
    meta = json.loads((DEFAULT_MODEL / "meta.json").read_text(encoding="utf-8"))
    spec = meta["spec"]
    meta["held_out"]["poems"] = {"count": 3, "chars": 120}
    meta["imported"] = {"keras_ids": list(range(spec["vocab_size"])), "file": "macbeth.keras",
                        "vocabulary_file": "chars.json", "vocabulary": "char_list", "input": "embedding",
                        "parameters": 1000,
                        "layers": [{"cell": spec["cell"], "units": spec["units"]}] * spec["layers"]}
    return meta


def full_sentiment_meta() -> dict:
    """The pretrained classifier's meta.json, which has every field a sentiment model's can have."""
    return json.loads((SENTIMENT_MODEL / "meta.json").read_text(encoding="utf-8"))


def wrong_fields(record: type, meta: dict) -> list[tuple[str, tuple, object]]:
    """For every field of the typed record meta.json is read into, nested ones and the items of its lists
    and objects too: (its name as a message says it, its place in `meta`, a value of another type).
    `meta` must have every field (a KeyError says which it lacks)."""
    found: list[tuple[tuple, object]] = []
    _walk(record, meta, (), found)
    return [(_field_name(place), place, wrong) for place, wrong in found]


def with_value(meta: dict, place: tuple, value) -> dict:
    changed = copy.deepcopy(meta)
    parent = changed
    for key in place[:-1]:
        parent = parent[key]
    parent[place[-1]] = value
    return changed


def with_meta(files: dict[str, bytes], meta: dict) -> bytes:
    return zip_of({**files, "meta.json": json.dumps(meta).encode()})


def _walk(record: type, data: dict, place: tuple, found: list) -> None:
    hints = typing.get_type_hints(record)
    for f in dataclasses.fields(record):
        _walk_value(hints[f.name], data[f.name], (*place, f.name), found)


def _walk_value(kind, value, place: tuple, found: list) -> None:
    if isinstance(kind, types.UnionType):
        (kind,) = [k for k in typing.get_args(kind) if k is not type(None)]
    found.append((place, 7 if kind is str else "yes" if kind is bool else "x"))
    origin = typing.get_origin(kind)
    if origin is tuple:
        _walk_value(typing.get_args(kind)[0], value[0], (*place, 0), found)
    elif origin is dict:
        key = next(iter(value))
        _walk_value(typing.get_args(kind)[1], value[key], (*place, key), found)
    elif dataclasses.is_dataclass(kind):
        _walk(kind, value, place, found)


def _field_name(place: tuple) -> str:
    name = ""
    for key in place:
        name += f"[{key}]" if isinstance(key, int) else f".{key}" if name else key
    return name


def sentiment_corrupt_deflate() -> bytes:
    return corrupt_deflate(sentiment_entries(), "vocab.json")


# -- texts -------------------------------------------------------------------------------------------

GOOD_TEXT = ("To be, or not to be, that is the question:\n"
             "Whether 'tis nobler in the mind to suffer\n"
             "The slings and arrows of outrageous fortune,\n") * 12


def random_bytes(n: int = 4096) -> bytes:
    return np.random.default_rng(7).integers(0, 256, n, dtype=np.uint8).tobytes()


def png() -> bytes:
    """A real 16x16 PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + bytes([x * 16, 128, 255 - x * 16]) * 16 for x in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def utf16_text() -> bytes:
    return GOOD_TEXT.encode("utf-16")  # with its byte-order mark, as Windows' Notepad saves "Unicode"


def latin1_text() -> bytes:
    return ("Ça va très bien, merci. À bientôt !\n" * 20).encode("latin-1")


def sparse_file(path: Path, size: int) -> Path:
    """A file of `size` bytes that takes no disk space (zeros)."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path
