"""Sentiment model folders on disk, and their zip form for download and upload.

Same layout and safety rules as the character models (persistence.py): a folder holds
`model.keras`, `vocab.json` (the word vocabulary) and `meta.json` (format "lstm-lab-model",
kind "sentiment": architecture, domains, the data split, training settings and history, and the
test accuracy per domain next to VADER's). Looking at a model reads the weights straight into
NumPy (netweights), never TensorFlow; `load_keras_model` loads the Keras model in safe mode.
Zips are checked before anything is unpacked: sizes, entry names, exactly the three files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lstm_core.i18n import N_, _
from lstm_core.storage import model_zip
from lstm_core.inference.keras_file import from_keras_file
from lstm_core.inference.netweights import WeightsError
from lstm_core.said import Explained
from lstm_core.storage.persistence import ASSETS, FORMAT, FORMAT_VERSION, MAX_JSON_BYTES
from .model import SentimentSpec, SentimentSpecError
from .tokens import WordVocab, WordVocabError

KIND = "sentiment"
MODEL_FILE, VOCAB_FILE, META_FILE = "model.keras", "vocab.json", "meta.json"
FOLDER_FILES = (MODEL_FILE, VOCAB_FILE, META_FILE)
DEFAULT_MODEL = ASSETS / "sentiment-lstm"


class SentimentModelError(Explained):
    """A sentiment model folder or zip that cannot be used, explained for a person."""


@dataclass(frozen=True)
class SentimentModel:
    folder: Path
    net: object  # netweights.Network
    vocab: WordVocab
    spec: SentimentSpec
    meta: dict

    @property
    def label(self) -> str:
        return self.meta.get("label") or self.folder.name


def resolve(name: str | Path) -> Path:
    """`default` is the pretrained sentiment model; anything else is a folder path."""
    return DEFAULT_MODEL if str(name) == "default" else Path(name)


def save_folder(folder: str | Path, model, vocab: WordVocab, spec: SentimentSpec, meta: dict,
                include_optimizer: bool = False) -> Path:
    """Write the three files (by default without the optimizer state: a third of the size)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not include_optimizer:
        # A fresh, uncompiled copy: clone_model would carry a compiled model's optimizer along.
        from .model import build_classifier

        bare = build_classifier(spec)
        bare.set_weights(model.get_weights())
        model = bare
    model.save(folder / MODEL_FILE)
    (folder / VOCAB_FILE).write_text(vocab.to_json(), encoding="utf-8")
    full = {"format": FORMAT, "version": FORMAT_VERSION, "kind": KIND,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), **meta, "spec": spec.to_dict()}
    (folder / META_FILE).write_text(json.dumps(full, indent=2, ensure_ascii=False), encoding="utf-8")
    return folder


def load_folder(folder: str | Path) -> SentimentModel:
    folder = resolve(folder)
    if not folder.is_dir():
        if str(folder) == str(DEFAULT_MODEL):
            raise SentimentModelError(N_("The pretrained sentiment model is missing; regenerate it with the command "
                                         "in {file}."), file="assets/models/sentiment-lstm/REGENERATE.md")
        raise SentimentModelError(N_("No model folder at {folder}."), folder=folder)
    missing = [f for f in FOLDER_FILES if not (folder / f).is_file()]
    if missing:
        raise SentimentModelError(N_("This is not an LSTM Lab model: {files} missing."), files=", ".join(missing))
    meta = _read_json(folder / META_FILE)
    if meta.get("format") != FORMAT:
        raise SentimentModelError(N_("This is not an LSTM Lab model (its meta.json says otherwise)."))
    if meta.get("kind") != KIND:
        raise SentimentModelError(N_("This is an LSTM Lab {kind!r} model, not a sentiment classifier."),
                                  kind=meta.get("kind", "unknown"))
    if meta.get("version") != FORMAT_VERSION:
        raise SentimentModelError(N_("This model was saved in format version {version!r}; this LSTM Lab reads "
                                     "version {supported}."), version=meta.get("version"), supported=FORMAT_VERSION)
    vocab_path = folder / VOCAB_FILE
    if vocab_path.stat().st_size > MAX_JSON_BYTES:
        raise SentimentModelError(N_("The model's vocabulary file is implausibly large."))
    try:
        vocab = WordVocab.from_json(vocab_path.read_text(encoding="utf-8"))
        spec = SentimentSpec.from_dict(meta.get("spec") or {})
    except (WordVocabError, SentimentSpecError, UnicodeDecodeError) as exc:
        raise SentimentModelError(N_("The model's description is damaged: {problem}"), problem=exc) from None
    try:
        net = from_keras_file(folder / MODEL_FILE)
    except WeightsError as exc:
        raise SentimentModelError("{problem}", problem=exc) from None
    _check_consistent(net, vocab, spec)
    return SentimentModel(folder, net, vocab, spec, meta)


def _check_consistent(net, vocab: WordVocab, spec: SentimentSpec | None) -> None:
    problems = []
    if net.embedding.shape[0] != vocab.size:
        problems.append(_("the weights know {weights:,} words, vocab.json has {vocab:,}").format(
            weights=net.embedding.shape[0], vocab=vocab.size))
    if net.head.activation != "sigmoid" or net.head.kernel.shape[1] != 1:
        problems.append(_("the output layer is not a single sigmoid unit (a probability of positive)"))
    if net.layers[-1].return_sequences:
        problems.append(_("the last recurrent layer returns every step: this is not a many-to-one classifier"))
    if spec is not None:
        if spec.vocab_size != vocab.size:
            problems.append(_("meta.json says {meta:,} words, vocab.json has {vocab:,}").format(
                meta=spec.vocab_size, vocab=vocab.size))
        layers = net.layers
        if (len(layers) != spec.layers or any(layer.cell != spec.cell or layer.units != spec.units for layer in layers)
                or any(layer.bidirectional != spec.bidirectional for layer in layers)):
            problems.append(_("the layers in model.keras differ from the ones meta.json describes"))
    if problems:
        raise SentimentModelError(N_("The model's files do not belong together: {problems}."),
                                  problems=_("; ").join(problems))


def load_keras_model(folder: str | Path):
    """The Keras model itself (to compare with NumPy, or to train further). Safe mode refuses code in the file."""
    from lstm_core.training.tf_runtime import keras

    path = resolve(folder) / MODEL_FILE
    try:
        return keras().saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # Keras raises many types for a bad file; the person needs one message
        raise SentimentModelError(N_("Keras could not load {file}: {problem}"), file=path.name, problem=exc) from None


def _read_json(path: Path) -> dict:
    if path.stat().st_size > MAX_JSON_BYTES:
        raise SentimentModelError(N_("The model's metadata file is implausibly large."))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:
        raise SentimentModelError(N_("The model's metadata file is damaged ({problem})."), problem=exc) from None
    if not isinstance(data, dict):
        raise SentimentModelError(N_("The model's metadata file is damaged (not a JSON object)."))
    return data


# -- zip form ---------------------------------------------------------------------------------
def export_zip(folder: str | Path) -> bytes:
    return model_zip.export_zip(resolve(folder), FOLDER_FILES)


def import_zip(data: bytes, dest_root: str | Path) -> SentimentModel:
    """Unpack an uploaded sentiment model zip into a new folder under dest_root and load it
    (model_zip's checks: the three files, optionally inside one folder)."""
    return model_zip.import_zip(data, dest_root, FOLDER_FILES, load_folder, SentimentModelError,
                                what="sentiment model zip")
