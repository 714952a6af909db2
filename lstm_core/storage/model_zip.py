"""The zip form of a model folder, whatever its kind (character model or sentiment classifier).

Export writes the folder's files under the folder's name. Import is the door strangers' files
come through, so everything is checked before anything is unpacked: the archive's size, each
entry's name (no absolute paths, no `..`, at most one folder deep, only the expected files, each
once), encryption and compression method, the declared unpacked size; while unpacking, the bytes
actually inflated are counted too (a declared size can lie). Entry names never choose where a
file goes: files land in a fresh folder under the destination, which the loader then reads.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TypeVar

from lstm_core.i18n import N_, _

MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# What Python's zipfile can inflate. An encrypted entry or another method (Deflate64, PPMd...) would
# only fail while unpacking, with an error no person could act on.
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)

Model = TypeVar("Model")
# What the callers call their zips (import_zip's `what`), translated where a message names it.
_WHATS = (N_("model zip"), N_("sentiment model zip"))


def export_zip(folder: Path, files: Sequence[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in files:
            zf.write(folder / name, arcname=f"{folder.name}/{name}")
    return buf.getvalue()


def import_zip(data: bytes, dest_root: str | Path, files: Sequence[str], load: Callable[[Path], Model],
               error: type[Exception], what: str = "model zip") -> Model:
    """Unpack `data` into a new folder under dest_root and return load(folder), with its folder set.

    Problems raise `error` with a message for a person; `load` raises it for a bad model.
    """
    zf = _opened(data, error, _("This file is not a zip archive. Upload a {what} downloaded from LSTM Lab.").format(
        what=_(what) if what in _WHATS else what))
    with zf:
        members = _expected_members(zf, files, error)
        root = Path(dest_root)
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".incoming-"))
        try:
            for name, info in members.items():
                with zf.open(info) as src, open(tmp / name, "wb") as out:
                    _copy_bounded(src, out, info.file_size, error)
            model = load(tmp)
        except error:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError, NotImplementedError) as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise error(_("The zip archive is damaged ({error}).").format(error=exc)) from None
        dest = root / f"upload-{uuid.uuid4().hex[:12]}"
        tmp.rename(dest)
    return replace(model, folder=dest)


def read_members(data: bytes, error: type[Exception], most: int) -> dict[str, bytes]:
    """The files of a small zip of loose files (at most `most`, folders ignored), by base name, with
    import_zip's checks on names, methods and sizes; nothing is written to disk."""
    zf = _opened(data, error, _("This file is not a zip archive."))
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir() and not PurePosixPath(i.filename).name.startswith(".")
                 and "__MACOSX" not in i.filename]
        if len(infos) > most:
            raise error(_("The zip holds {count} files; expected at most {most}.").format(count=len(infos), most=most))
        if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
            raise error(_("The zip unpacks to more than {limit} MB; refusing it (a zip bomb?).").format(
                limit=MAX_UNPACKED_BYTES // 2**20))
        out: dict[str, bytes] = {}
        for info in infos:
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if path.is_absolute() or ".." in path.parts:
                raise error(_("The zip contains an unsafe entry name ({name!r}); refusing it.").format(
                    name=info.filename))
            if problem := entry_problem(info):
                raise error(problem)
            buf = io.BytesIO()
            try:
                with zf.open(info) as src:
                    _copy_bounded(src, buf, info.file_size, error)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError, NotImplementedError) as exc:
                raise error(_("The zip archive is damaged ({error}).").format(error=exc)) from None
            out[path.name] = buf.getvalue()
    return out


def _opened(data: bytes, error: type[Exception], not_a_zip: str) -> zipfile.ZipFile:
    """The uploaded bytes as a zip, refused first when too large."""
    if len(data) > MAX_ZIP_BYTES:
        raise error(_("The file is {size:.0f} MB; a model zip may be at most {limit} MB.").format(
            size=len(data) / 2**20, limit=MAX_ZIP_BYTES // 2**20))
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise error(not_a_zip) from None


def entry_problem(info: zipfile.ZipInfo) -> str | None:
    """Why an entry of an uploaded zip cannot be unpacked, for a person; None when it can."""
    if info.flag_bits & 0x1:
        return _("The zip is password-protected, and LSTM Lab cannot open protected zips. "
                 "Upload the zip exactly as LSTM Lab saved it.")
    if info.compress_type not in _METHODS:
        return _("The zip packs {name!r} with a compression method LSTM Lab cannot unpack. "
                 "Upload the zip exactly as LSTM Lab saved it.").format(name=info.filename)
    return None


def _expected_members(zf: zipfile.ZipFile, files: Sequence[str], error: type[Exception]) -> dict[str, zipfile.ZipInfo]:
    members: dict[str, zipfile.ZipInfo] = {}
    for info in (i for i in zf.infolist() if not i.is_dir()):
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or len(path.parts) > 2:
            raise error(_("The zip contains an unsafe entry name ({name!r}); refusing it.").format(name=info.filename))
        if problem := entry_problem(info):
            raise error(problem)
        if path.name not in files or path.name in members:
            raise error(_("The zip contains {name!r}, which is not part of an LSTM Lab model "
                          "(expected exactly {files}).").format(name=info.filename, files=", ".join(files)))
        members[path.name] = info
    missing = [f for f in files if f not in members]
    if missing:
        raise error(_("The zip is missing {files}; it is not an LSTM Lab model.").format(files=", ".join(missing)))
    if sum(i.file_size for i in members.values()) > MAX_UNPACKED_BYTES:
        raise error(_("The zip unpacks to more than {limit} MB; refusing it (a zip bomb?).").format(
            limit=MAX_UNPACKED_BYTES // 2**20))
    return members


def _copy_bounded(src, out, declared: int, error: type[Exception]) -> None:
    written = 0
    while chunk := src.read(1 << 20):
        written += len(chunk)
        if written > declared or written > MAX_UNPACKED_BYTES:
            raise error(_("The zip unpacks to more than it declares; refusing it."))
        out.write(chunk)
