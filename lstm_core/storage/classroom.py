"""A class the teacher leads: files under `<data>/classes/<code>/`, so every app server on one data folder
shares it (as published models are shared).

- `class.json`, written by the teacher's tab only: when it ends, the view shown to the class (with a number
  that grows with each one shown), whether the class is paused, and up to which lesson students may go;
- `students/<id>.json`, each written by its own student's tab: a display name and progress (the page they
  are on, the lesson steps they passed, whether a training of theirs runs), never what they typed;
- `snapshots/<time>-<id>.json`: a view a student sent to the teacher.

Students' tabs poll `state()` every second or two: it reads the small class file again only when its
modification time changed. A class ends when the teacher ends it or its time is up; its folder, progress
records included, is then deleted.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lstm_core.i18n import N_

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
CODE_LENGTH = 6
HOURS = 3.0
NAME_MAX = 24
MAX_STUDENTS = 200
MAX_SNAPSHOTS = 200
_CODE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
_STUDENT = re.compile(r"^[0-9a-f]{12}$")
# A student who gives no name gets one of these and a number; said in the reader's language.
ANIMALS = (N_("Otter"), N_("Heron"), N_("Fox"), N_("Panda"), N_("Owl"), N_("Crane"), N_("Tiger"), N_("Dolphin"),
           N_("Badger"), N_("Falcon"), N_("Koala"), N_("Lynx"))


@dataclass(frozen=True)
class Shown:
    """A view the teacher shows the class: a page and its view-link parameters, and a one-line description."""

    page: str
    params: dict[str, str]
    number: int  # 1, 2, …: a tab follows each view once


@dataclass(frozen=True)
class ClassState:
    code: str
    ends: float  # time.time() when the class ends by itself
    shown: Shown | None = None
    paused: bool = False
    lessons_up_to: int | None = None  # students see lessons 1..N only (None: all)


@dataclass(frozen=True)
class Student:
    id: str
    name: str  # typed by the student: plain text, at most NAME_MAX characters
    animal: str = ""  # without a name: one of ANIMALS and a number
    number: int = 0
    page: str = ""
    lesson: str = ""  # the lesson the student has open
    passed: tuple[str, ...] = ()  # checked lesson steps passed
    training: str = ""  # "running", "queued" or ""
    seen: float = 0.0  # time.time() of the last report


@dataclass(frozen=True)
class Snapshot:
    student: str  # the sender's id
    page: str
    params: dict[str, str]
    sent: float
    file: str = field(default="", compare=False)


def root(data_dir: Path) -> Path:
    return data_dir / "classes"


def valid_code(code: str) -> bool:
    return bool(_CODE.match(code or ""))


def normalised(code: str) -> str:
    """A code as a person types it: any case, spaces and dashes ignored."""
    return re.sub(r"[\s-]", "", code or "").upper()


def clean_name(name: str) -> str:
    """A display name as plain text: no control characters, spaces collapsed, at most NAME_MAX characters."""
    printable = "".join(ch if ch.isprintable() else " " for ch in name or "")
    return " ".join(printable.split())[:NAME_MAX]


def _write(path: Path, record: dict) -> None:
    """Written aside and renamed: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _folder(base: Path, code: str) -> Path:
    if not valid_code(code):
        raise ValueError(f"not a class code: {code!r}")
    return base / code


def start(base: Path, hours: float = HOURS) -> str:
    """A new class; returns its code."""
    base.mkdir(parents=True, exist_ok=True)
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            (base / code).mkdir()
        except FileExistsError:
            continue
        _write(base / code / "class.json", asdict(ClassState(code, time.time() + hours * 3600)))
        return code


_cache: dict[Path, tuple[int, ClassState]] = {}


def _parsed(code: str, data: dict | None) -> ClassState | None:
    try:
        shown = data["shown"]
        up_to = data.get("lessons_up_to")
        return ClassState(code=code, ends=float(data["ends"]),
                          shown=Shown(str(shown["page"]), {str(k): str(v) for k, v in shown["params"].items()},
                                      int(shown["number"])) if shown else None,
                          paused=bool(data.get("paused")), lessons_up_to=int(up_to) if up_to is not None else None)
    except (TypeError, KeyError, ValueError, AttributeError):
        return None


def state(base: Path, code: str) -> ClassState | None:
    """The class as its teacher last set it; None when there is no such class or it has ended (its time up:
    then its files are deleted). Cheap when nothing changed: a stat of one file."""
    if not valid_code(code):
        return None
    path = base / code / "class.json"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    cached = _cache.get(path)
    if cached is not None and cached[0] == mtime:
        found = cached[1]
    else:
        found = _parsed(code, _read(path))
        if found is None:  # not a class file this app wrote: no class
            return None
        _cache[path] = (mtime, found)
    if time.time() >= found.ends:
        end(base, code)
        return None
    return found


def _change(base: Path, code: str, **changes) -> ClassState:
    now = state(base, code)
    if now is None:
        raise LookupError(code)
    new = ClassState(**{**asdict(now), **changes})
    record = asdict(new)
    _write(_folder(base, code) / "class.json", record)
    return new


def show(base: Path, code: str, page: str, params: dict[str, str]) -> ClassState:
    """Show the class a view: every student's tab hears of it at its next check."""
    now = state(base, code)
    number = (now.shown.number if now is not None and now.shown else 0) + 1
    return _change(base, code, shown=Shown(page, dict(params), number))


def pause(base: Path, code: str, paused: bool) -> ClassState:
    return _change(base, code, paused=paused)


def pace(base: Path, code: str, lessons_up_to: int | None) -> ClassState:
    return _change(base, code, lessons_up_to=lessons_up_to)


def end(base: Path, code: str) -> None:
    """The class is over: its folder goes, progress records and snapshots with it."""
    _cache.pop(base / code / "class.json", None)
    shutil.rmtree(_folder(base, code), ignore_errors=True)


def join(base: Path, code: str, name: str) -> Student:
    """A student joins; a blank name gets an animal and a number. Raises LookupError without such a class,
    OverflowError when it is full."""
    folder = _folder(base, code)
    if state(base, code) is None:
        raise LookupError(code)
    existing = list((folder / "students").glob("*.json"))
    if len(existing) >= MAX_STUDENTS:
        raise OverflowError(code)
    name = clean_name(name)
    student = Student(id=secrets.token_hex(6), name=name, seen=time.time(),
                      animal="" if name else secrets.choice(ANIMALS),
                      number=0 if name else secrets.randbelow(90) + 10)
    _write(folder / "students" / f"{student.id}.json", asdict(student))
    return student


def report(base: Path, code: str, student: Student) -> bool:
    """Write a student's progress (the caller decides when it changed); False when the class has ended."""
    if state(base, code) is None or not _STUDENT.match(student.id):
        return False
    _write(_folder(base, code) / "students" / f"{student.id}.json", asdict(student))
    return True


def leave(base: Path, code: str, student_id: str) -> None:
    if valid_code(code) and _STUDENT.match(student_id or ""):
        (base / code / "students" / f"{student_id}.json").unlink(missing_ok=True)


def students(base: Path, code: str) -> list[Student]:
    out = []
    for path in sorted((_folder(base, code) / "students").glob("*.json")):
        data = _read(path)
        if data is None:
            continue
        try:
            out.append(Student(**{**data, "passed": tuple(data.get("passed", ()))}))
        except TypeError:
            continue
    return out


def send(base: Path, code: str, student_id: str, page: str, params: dict[str, str]) -> bool:
    """A student sends the teacher a view; False when the class has ended or holds its limit of snapshots."""
    if state(base, code) is None or not _STUDENT.match(student_id or ""):
        return False
    folder = _folder(base, code) / "snapshots"
    if folder.is_dir() and sum(1 for _ in folder.glob("*.json")) >= MAX_SNAPSHOTS:
        return False
    sent = time.time()
    _write(folder / f"{sent:.6f}-{student_id}.json", asdict(Snapshot(student_id, page, dict(params), sent)))
    return True


def snapshots(base: Path, code: str) -> list[Snapshot]:
    """The views students sent, newest first."""
    out = []
    for path in sorted((_folder(base, code) / "snapshots").glob("*.json"), reverse=True):
        data = _read(path)
        if data is None:
            continue
        try:
            out.append(Snapshot(**{**data, "file": path.name}))
        except TypeError:
            continue
    return out
