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

from lstm_core.i18n import N_, _
from lstm_core.storage import model_zip
from lstm_core.inference.keras_file import from_keras_file
from lstm_core.inference.netweights import WeightsError, as_char_model
from lstm_core.spec import ModelSpec, SpecError
from lstm_core.data.vocab import CharVocab, VocabError

MODEL_FILE, VOCAB_FILE, META_FILE = "model.keras", "vocab.json", "meta.json"
FOLDER_FILES = (MODEL_FILE, VOCAB_FILE, META_FILE)
FORMAT = "lstm-lab-model"
FORMAT_VERSION = 1
MAX_JSON_BYTES = 16 * 1024 * 1024
ASSETS = Path(__file__).resolve().parents[2] / "assets" / "models"
DEFAULT_MODEL = ASSETS / "shakespeare-lstm"
# The character models shipped in assets/, by the name the command line and the pages know them by
# (`default` first: every page opens on it). Each folder's regenerate.sh made it.
PRETRAINED = {"default": DEFAULT_MODEL, "gru": ASSETS / "shakespeare-gru", "rnn": ASSETS / "shakespeare-rnn",
              "tang": ASSETS / "tang-lstm"}
# Their names as they were trained (lstm_core.training.pretrain --label): shown in the reader's language.
PRETRAINED_LABELS = (N_("{cell} {layers}×{units} · pretrained on Shakespeare"),
                     N_("{cell} {layers}×{units} · pretrained on Tang poems (全唐诗)"))


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
        label = self.meta.get("label") or self.folder.name
        if self.meta.get("pretrained") is True:
            shape = {"cell": self.spec.cell_name, "layers": self.spec.layers, "units": self.spec.units}
            for pattern in PRETRAINED_LABELS:
                if label == pattern.format(**shape):
                    return _(pattern).format(**shape)
        return label


def resolve(name: str | Path) -> Path:
    """`default` (the Shakespeare LSTM), `gru` and `rnn` (its siblings) and `tang` (Tang poems) name the
    pretrained models; anything else is a folder."""
    return PRETRAINED.get(str(name), Path(name))


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
        raise ModelFileError(_("No model folder at {folder}.").format(folder=folder))
    missing = [f for f in FOLDER_FILES if not (folder / f).is_file()]
    if missing:
        raise ModelFileError(_("This is not an LSTM Lab model: {files} missing.").format(files=", ".join(missing)))
    meta = _read_json(folder / META_FILE, N_("metadata"))
    if meta.get("format") != FORMAT or meta.get("kind") != "char-lm":
        raise ModelFileError(_("This is not an LSTM Lab character model (its meta.json says otherwise)."))
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(_("This model was saved in format version {version!r}; this LSTM Lab reads version "
                               "{supported}.").format(version=meta.get("version"), supported=FORMAT_VERSION))
    try:
        vocab = CharVocab.from_json((folder / VOCAB_FILE).read_text(encoding="utf-8"))
        spec = ModelSpec.from_dict(meta.get("spec") or {})
    except (VocabError, SpecError, UnicodeDecodeError) as exc:
        raise ModelFileError(_("The model's description is damaged: {error}").format(error=exc)) from None
    imported = meta.get("imported")
    try:
        net = from_keras_file(folder / MODEL_FILE)
        if imported is not None:  # a model trained elsewhere, in its own id order (keras_import)
            rows = imported.get("keras_ids") if isinstance(imported, dict) else None
            if not isinstance(rows, list):
                raise WeightsError(_("the id order recorded for this model does not fit its weights"))
            net = as_char_model(net, rows)
    except WeightsError as exc:
        raise ModelFileError(str(exc)) from None
    _check_consistent(net, vocab, spec, layers=imported is None)
    return LoadedModel(folder, net, vocab, spec, meta)


def _check_consistent(net, vocab: CharVocab, spec: ModelSpec, layers: bool = True) -> None:
    """Whether the three files belong together; an imported model's spec only sketches its layers."""
    problems = []
    if spec.vocab_size != vocab.size:
        problems.append(_("meta.json says {meta} characters, vocab.json has {vocab}").format(
            meta=spec.vocab_size, vocab=vocab.size))
    if net.embedding.shape[0] != vocab.size:
        problems.append(_("the weights know {weights} characters, vocab.json has {vocab}").format(
            weights=net.embedding.shape[0], vocab=vocab.size))
    if net.head.kernel.shape[1] != vocab.size:
        problems.append(_("the output layer predicts {outputs} characters, vocab.json has {vocab}").format(
            outputs=net.head.kernel.shape[1], vocab=vocab.size))
    if layers and (len(net.layers) != spec.layers or any(layer.cell != spec.cell or layer.units != spec.units
                                                         for layer in net.layers)):
        problems.append(_("the layers in model.keras differ from the ones meta.json describes"))
    if problems:
        raise ModelFileError(_("The model's files do not belong together: {problems}.").format(
            problems="; ".join(problems)))


def load_keras_model(folder: str | Path):
    """The Keras model itself, for resuming training. Safe mode refuses code hidden in the file."""
    from lstm_core.training.tf_runtime import keras

    path = resolve(folder) / MODEL_FILE
    try:
        return keras().saving.load_model(path, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a bad file; the person needs one message
        raise ModelFileError(_("Keras could not load {file}: {error}").format(file=path.name, error=exc)) from None


def _read_json(path: Path, what: str) -> dict:
    if path.stat().st_size > MAX_JSON_BYTES:
        raise ModelFileError(_("The model's {what} file is implausibly large.").format(what=_(what)))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(_("The model's {what} file is damaged ({error}).").format(what=_(what), error=exc)) from None
    if not isinstance(data, dict):
        raise ModelFileError(_("The model's {what} file is damaged (not a JSON object).").format(what=_(what)))
    return data


# -- zip form ---------------------------------------------------------------------------------
def export_zip(folder: str | Path) -> bytes:
    return model_zip.export_zip(resolve(folder), FOLDER_FILES)


def import_zip(data: bytes, dest_root: str | Path) -> LoadedModel:
    """Unpack an uploaded model zip into a new folder under dest_root and load it (model_zip's checks).

    Only the project's own layout is accepted: the three files, optionally inside one folder.
    """
    return model_zip.import_zip(data, dest_root, FOLDER_FILES, load_model_folder, ModelFileError)
