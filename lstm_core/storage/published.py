"""Models a teacher shares with the class: copies of model folders under one folder of the server
(`<data>/published/<id>/`), which every session lists read-only. Publishing and withdrawing need the
teacher key that whoever runs the server set (LSTM_LAB_TEACHER_KEY); without it nobody can publish."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

from lstm_core.storage.model_folder import FOLDER_FILES

INFO_FILE = "published.json"
_ID = re.compile(r"^[0-9a-f]{12}$")


def publish(folder: Path, root: Path, label: str) -> str:
    """Copy a model folder's files into a new published folder; returns its id. Written aside and
    renamed, so a session never lists half a model."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".incoming-"))
    try:
        for name in FOLDER_FILES:
            shutil.copy2(folder / name, tmp / name)
        published = datetime.now(timezone.utc).isoformat(timespec="seconds")
        (tmp / INFO_FILE).write_text(json.dumps({"label": label, "published": published}, ensure_ascii=False),
                                     encoding="utf-8")
        pid = uuid.uuid4().hex[:12]
        tmp.rename(root / pid)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return pid


def withdraw(root: Path, pid: str) -> None:
    if _ID.match(pid):
        shutil.rmtree(root / pid, ignore_errors=True)


def listing(root: Path) -> list[tuple[str, Path, dict]]:
    """(id, folder, info) of every published model, oldest first."""
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if _ID.match(folder.name) and (folder / INFO_FILE).is_file():
            try:
                info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found.append((folder.name, folder, info if isinstance(info, dict) else {}))
    return sorted(found, key=lambda item: str(item[2].get("published", "")))
