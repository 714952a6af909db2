"""A model folder of any kind (character model or sentiment classifier): finding, reading and writing it.

Every kind has the same three files: the Keras model (`model.keras`), its vocabulary (`vocab.json`)
and what a person wants to know about it (`meta.json`, format "lstm-lab-model", with its `kind`).
A `Kind` says what differs: its name in meta.json, the error it explains problems with, the names of
its shipped models, and the typed record its meta.json is read into. The kinds themselves are
lstm_core.storage.persistence (character models) and lstm_core.sentiment.store (classifiers).

Reading never trusts the folder: the JSON files' sizes, their syntax, the header and every field of
meta.json are checked before anything else is, and each problem is the kind's error, with a
message for a person.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from lstm_core.i18n import N_, _
from lstm_core.inference.keras_file import from_keras_file
from lstm_core.inference.netweights import WeightsError
from lstm_core.said import Explained, Said
from lstm_core.storage import json_record

MODEL_FILE, VOCAB_FILE, META_FILE = "model.keras", "vocab.json", "meta.json"
FOLDER_FILES = (MODEL_FILE, VOCAB_FILE, META_FILE)
FORMAT = "lstm-lab-model"
FORMAT_VERSION = 1
MAX_JSON_BYTES = 16 * 1024 * 1024
ASSETS = Path(__file__).resolve().parents[2] / "assets" / "models"


@dataclass(frozen=True)
class Kind:
    name: str  # meta.json's "kind"
    error: type[Exception]
    meta: type  # the frozen dataclass meta.json is read into (json_record), with the model's spec in it
    read_vocab: Callable[[str], object]  # vocab.json's text -> the kind's vocabulary
    damaged: tuple[type[Exception], ...]  # what its vocabulary and spec raise for a bad description
    not_ours: str  # the message (an id) for a meta.json of another format
    other_kind: str  # and for one of another kind, named by {kind}
    shipped: Mapping[str, Path] = field(default_factory=dict)  # names for the models in assets/


@dataclass(frozen=True)
class _Header:
    format: str | None = None
    version: int | None = None
    kind: str | None = None


def refusal(kind: Kind, msgid: str, /, **args) -> Exception:
    """The kind's error for a message id and its arguments. A sentiment error keeps them, to be said in
    the language of whoever reads it later (lstm_core.said); a character model's is said at once."""
    if issubclass(kind.error, Explained):
        return kind.error(msgid, **args)
    return kind.error(Said(msgid, **args).text())


def resolve(kind: Kind, name: str | Path) -> Path:
    """A shipped model's name (`default`, ...), or a folder."""
    return kind.shipped.get(str(name), Path(name))


def _read_meta(kind: Kind, path: Path) -> dict:
    if path.stat().st_size > MAX_JSON_BYTES:
        raise refusal(kind, N_("The model's metadata file is implausibly large."))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise refusal(kind, N_("The model's metadata file is damaged ({problem})."), problem=str(exc)) from None
    if not isinstance(data, dict):
        raise refusal(kind, N_("The model's metadata file is damaged (not a JSON object)."))
    return data


def open_folder(kind: Kind, folder: Path) -> tuple[object, object]:
    """meta.json as the kind's typed record, and the vocabulary; raises the kind's error for a folder
    that is not a model of this kind, or whose description is damaged."""
    if not folder.is_dir():
        raise refusal(kind, N_("No model folder at {folder}."), folder=str(folder))
    missing = [f for f in FOLDER_FILES if not (folder / f).is_file()]
    if missing:
        raise refusal(kind, N_("This is not an LSTM Lab model: {files} missing."), files=", ".join(missing))
    raw = _read_meta(kind, folder / META_FILE)
    try:
        header = json_record.from_json(_Header, raw)
        if header.format != FORMAT:
            raise refusal(kind, kind.not_ours)
        if header.kind != kind.name:
            raise refusal(kind, kind.other_kind, kind=header.kind or "unknown")
        if header.version != FORMAT_VERSION:
            raise refusal(kind, N_("This model was saved in format version {version!r}; this LSTM Lab reads "
                                   "version {supported}."), version=header.version, supported=FORMAT_VERSION)
        vocab_path = folder / VOCAB_FILE
        if vocab_path.stat().st_size > MAX_JSON_BYTES:
            raise refusal(kind, N_("The model's vocabulary file is implausibly large."))
        vocab = kind.read_vocab(vocab_path.read_text(encoding="utf-8"))
        return json_record.from_json(kind.meta, raw), vocab
    except json_record.RecordError as exc:
        raise refusal(kind, exc.said.msgid, **exc.said.args) from None
    except (*kind.damaged, UnicodeDecodeError) as exc:
        raise refusal(kind, N_("The model's description is damaged: {problem}"), problem=exc) from None


def load_net(kind: Kind, folder: Path):
    """The weights as NumPy arrays (netweights), without TensorFlow."""
    try:
        return from_keras_file(folder / MODEL_FILE)
    except WeightsError as exc:
        raise refusal(kind, "{problem}", problem=exc) from None


def belong_together(kind: Kind, problems: list[str]) -> None:
    """Refuses a folder whose files contradict each other (each problem already in the reader's words)."""
    if problems:
        raise refusal(kind, N_("The model's files do not belong together: {problems}."),
                      problems=_("; ").join(problems))


def without_optimizer(model, build):
    """A fresh, never-compiled twin of `model` (`build()` makes one) with its weights: a folder a third of
    the size. Keras' clone_model would carry a compiled model's optimizer along."""
    bare = build()
    bare.set_weights(model.get_weights())
    return bare


def write(kind: Kind, folder: str | Path, model, vocab_json: str, meta: dict) -> Path:
    """The three files, meta.json with its header and date first. Each file is written aside and then
    renamed over the old one, so a process killed while saving (a checkpoint when the server stops)
    leaves the previous save whole, never half a file; meta.json, which says what the folder holds, last."""
    full = {"format": FORMAT, "version": FORMAT_VERSION, "kind": kind.name,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), **meta}
    json_record.from_json(kind.meta, full)  # what is written must load: a field of the wrong type fails here
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".partial-{MODEL_FILE}"  # Keras insists on the .keras ending
    model.save(partial)
    partial.replace(folder / MODEL_FILE)
    for name, text in ((VOCAB_FILE, vocab_json), (META_FILE, json.dumps(full, indent=2, ensure_ascii=False))):
        partial = folder / f".partial-{name}"
        partial.write_text(text, encoding="utf-8")
        partial.replace(folder / name)
    return folder


def load_keras_model(kind: Kind, folder: str | Path, **options):
    """The Keras model itself (to train further, or to compare with NumPy). Safe mode refuses code in the file."""
    from lstm_core.training.tf_runtime import keras

    path = resolve(kind, folder) / MODEL_FILE
    try:
        return keras().saving.load_model(path, safe_mode=True, **options)
    except Exception as exc:  # Keras raises many types for a bad file; the person needs one message
        raise refusal(kind, N_("Keras could not load {file}: {problem}"), file=path.name, problem=str(exc)) from None
