"""Model folders on disk and their zip form for download and upload.

A model folder holds three files: the Keras model (`model.keras`), the vocabulary
(`vocab.json`) and what a person wants to know about it (`meta.json`: corpus,
hyperparameters, metrics, date). Looking at a model reads the weights straight into
NumPy, without TensorFlow; only resuming training loads Keras, in safe mode.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lstm_core.storage import model_zip
from lstm_core.inference.netweights import WeightsError, from_keras_file
from lstm_core.spec import ModelSpec, SpecError
from lstm_core.data.vocab import CharVocab, VocabError

MODEL_FILE, VOCAB_FILE, META_FILE = "model.keras", "vocab.json", "meta.json"
FOLDER_FILES = (MODEL_FILE, VOCAB_FILE, META_FILE)
FORMAT = "lstm-lab-model"
FORMAT_VERSION = 1
MAX_JSON_BYTES = 16 * 1024 * 1024
ASSETS = Path(__file__).resolve().parents[2] / "assets" / "models"
DEFAULT_MODEL = ASSETS / "shakespeare-lstm"


class ModelFileError(ValueError):
    """A model folder or zip that cannot be used, explained for a person."""


@dataclass(frozen=True)
class LoadedModel:
    folder: Path
    net: object  # netweights.Network
    vocab: CharVocab
    spec: ModelSpec
    meta: dict

    @property
    def label(self) -> str:
        return self.meta.get("label") or self.folder.name


def resolve(name: str | Path) -> Path:
    """`default` is the pretrained Shakespeare model; anything else is a folder path."""
    return DEFAULT_MODEL if str(name) == "default" else Path(name)


def save_model_folder(folder: str | Path, model, vocab: CharVocab, spec: ModelSpec, meta: dict,
                      include_optimizer: bool = True) -> Path:
    """Write the three files; without the optimizer the folder is a third of the size (for assets)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not include_optimizer:
        # A fresh, never-compiled twin carries no optimizer state (keras' clone_model keeps it).
        from lstm_core.training.keras_model import build_char_model

        bare = build_char_model(spec)
        bare.set_weights(model.get_weights())
        model = bare
    # Each file is written aside and then renamed over the old one, so a process killed while
    # saving (a checkpoint when the server stops) leaves the previous save whole, never half a file.
    partial = folder / f".partial-{MODEL_FILE}"  # Keras insists on the .keras ending
    model.save(partial)
    partial.replace(folder / MODEL_FILE)
    full_meta = {"format": FORMAT, "version": FORMAT_VERSION, "kind": "char-lm",
                 "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 **meta, "spec": spec.to_dict()}
    for name, text in ((VOCAB_FILE, vocab.to_json()), (META_FILE, json.dumps(full_meta, indent=2, ensure_ascii=False))):
        partial = folder / f".partial-{name}"
        partial.write_text(text, encoding="utf-8")
        partial.replace(folder / name)
    return folder


def load_model_folder(folder: str | Path) -> LoadedModel:
    folder = resolve(folder)
    if not folder.is_dir():
        raise ModelFileError(f"No model folder at {folder}.")
    missing = [f for f in FOLDER_FILES if not (folder / f).is_file()]
    if missing:
        raise ModelFileError(f"This is not an LSTM Lab model: {', '.join(missing)} missing.")
    meta = _read_json(folder / META_FILE, "metadata")
    if meta.get("format") != FORMAT or meta.get("kind") != "char-lm":
        raise ModelFileError("This is not an LSTM Lab character model (its meta.json says otherwise).")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(f"This model was saved in format version {meta.get('version')!r}; "
                             f"this LSTM Lab reads version {FORMAT_VERSION}.")
    try:
        vocab = CharVocab.from_json((folder / VOCAB_FILE).read_text(encoding="utf-8"))
        spec = ModelSpec.from_dict(meta.get("spec") or {})
    except (VocabError, SpecError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"The model's description is damaged: {exc}") from None
    try:
        net = from_keras_file(folder / MODEL_FILE)
    except WeightsError as exc:
        raise ModelFileError(str(exc)) from None
    _check_consistent(net, vocab, spec)
    return LoadedModel(folder, net, vocab, spec, meta)


def _check_consistent(net, vocab: CharVocab, spec: ModelSpec) -> None:
    problems = []
    if spec.vocab_size != vocab.size:
        problems.append(f"meta.json says {spec.vocab_size} characters, vocab.json has {vocab.size}")
    if net.embedding.shape[0] != vocab.size:
        problems.append(f"the weights know {net.embedding.shape[0]} characters, vocab.json has {vocab.size}")
    if net.head.kernel.shape[1] != vocab.size:
        problems.append(f"the output layer predicts {net.head.kernel.shape[1]} characters, vocab.json has {vocab.size}")
    layers = net.layers
    if len(layers) != spec.layers or any(l.cell != spec.cell or l.units != spec.units for l in layers):
        problems.append("the layers in model.keras differ from the ones meta.json describes")
    if problems:
        raise ModelFileError("The model's files do not belong together: " + "; ".join(problems) + ".")


def load_keras_model(folder: str | Path):
    """The Keras model itself, for resuming training. Safe mode refuses code hidden in the file."""
    from lstm_core.training.tf_runtime import keras

    path = resolve(folder) / MODEL_FILE
    try:
        return keras().saving.load_model(path, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a bad file; the person needs one message
        raise ModelFileError(f"Keras could not load {path.name}: {exc}") from None


def _read_json(path: Path, what: str) -> dict:
    if path.stat().st_size > MAX_JSON_BYTES:
        raise ModelFileError(f"The model's {what} file is implausibly large.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"The model's {what} file is damaged ({exc}).") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"The model's {what} file is damaged (not a JSON object).")
    return data


# -- zip form ---------------------------------------------------------------------------------
def export_zip(folder: str | Path) -> bytes:
    return model_zip.export_zip(resolve(folder), FOLDER_FILES)


def import_zip(data: bytes, dest_root: str | Path) -> LoadedModel:
    """Unpack an uploaded model zip into a new folder under dest_root and load it (model_zip's checks).

    Only the project's own layout is accepted: the three files, optionally inside one folder.
    """
    return model_zip.import_zip(data, dest_root, FOLDER_FILES, load_model_folder, ModelFileError)
