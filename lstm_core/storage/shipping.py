"""A model folder carried between machines as bytes.

A training on a cluster worker (lstm_core.training.ray_launcher) may not share the server's disk:
it saves into a folder of its own, and each time that folder is complete (a checkpoint, the end of
the run) it sends it to the server as one zip, which the server writes into the session's folder.
A resume sends the saved folder the other way first.

Unlike an upload (storage.model_zip) these bytes come from our own worker, so the checks are only
the ones that keep a file inside its folder. Each file is written aside and renamed over the old
one, as persistence does: a server stopped while writing leaves the previous save whole.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

_PARTIAL = ".partial-"  # what persistence writes aside before renaming: never a finished file
_LAST = "meta.json"  # says what the folder holds: written last, as persistence does


def pack(folder: str | Path) -> bytes:
    """Every finished file of `folder` (and of its sub-folders), as a zip."""
    folder = Path(folder)
    buf = io.BytesIO()
    # Stored, not deflated: a .keras file is a zip already, and the rest is a few kilobytes.
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(folder.rglob("*"), key=lambda p: (p.name == _LAST, p)):
            if path.is_file() and not path.name.startswith(_PARTIAL):
                zf.write(path, arcname=path.relative_to(folder).as_posix())
    return buf.getvalue()


def unpack(data: bytes, folder: str | Path) -> Path:
    """Write the files of `pack`'s zip into `folder` (made if missing), each renamed into place."""
    folder = Path(folder)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            name = PurePosixPath(info.filename)
            if info.is_dir() or name.is_absolute() or ".." in name.parts:
                continue
            target = folder.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(_PARTIAL + target.name)
            partial.write_bytes(zf.read(info))
            partial.replace(target)
    return folder
