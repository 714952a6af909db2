"""Character model folders on disk and their zip form for download and upload.

A model folder holds three files: the Keras model (`model.keras`), the vocabulary
(`vocab.json`) and what a person wants to know about it (`meta.json`: corpus,
hyperparameters, metrics, date; read into a `CharMeta`). What every kind of model folder shares is
in model_folder. Looking at a model reads the weights straight into NumPy, without TensorFlow; only
resuming training loads Keras, in safe mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lstm_core.i18n import N_, _
from lstm_core.storage import model_folder, model_zip
from lstm_core.storage.char_meta import CharMeta, Corpus
from lstm_core.storage.model_folder import ASSETS, FOLDER_FILES
from lstm_core.inference.netweights import WeightsError, as_char_model
from lstm_core.spec import ModelSpec, SpecError
from lstm_core.data.corpora import BUILTIN, PASTED, title
from lstm_core.data.vocab import CharVocab, VocabError

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


_NOT_OURS = N_("This is not an LSTM Lab character model (its meta.json says otherwise).")
KIND = model_folder.Kind("char-lm", ModelFileError, CharMeta, CharVocab.from_json, (VocabError, SpecError),
                         not_ours=_NOT_OURS, other_kind=_NOT_OURS, shipped=PRETRAINED)


@dataclass(frozen=True)
class LoadedModel:
    folder: Path
    net: object  # netweights.Network
    vocab: CharVocab
    spec: ModelSpec
    meta: CharMeta

    @property
    def label(self) -> str:
        """The model's name in the reader's language, where the app made it from parts it knows."""
        label = self.meta.label or self.folder.name
        if self.meta.pretrained:
            shape = {"cell": self.spec.cell_name, "layers": self.spec.layers, "units": self.spec.units}
            for pattern in PRETRAINED_LABELS:
                if label == pattern.format(**shape):
                    return _(pattern).format(**shape)
        return named(label, self.spec, self.meta.corpus)


def named(label: str, spec: ModelSpec, corpus: Corpus | None) -> str:
    """A model trained here is named by its network and its text (pages/train.py), in the language of whoever
    trained it: its name with the text's title said again in the reader's language."""
    network = f"{spec.cell_name} {spec.layers}×{spec.units} · "
    known = corpus is not None and (corpus.name in BUILTIN or corpus.name == f"user:{PASTED}")
    if known and label.startswith(network):
        return network + title(corpus.name, corpus.label, bool(corpus.lowercase))
    return label


def resolve(name: str | Path) -> Path:
    """`default` (the Shakespeare LSTM), `gru` and `rnn` (its siblings) and `tang` (Tang poems) name the
    pretrained models; anything else is a folder."""
    return model_folder.resolve(KIND, name)


def save_model_folder(folder: str | Path, model, vocab: CharVocab, spec: ModelSpec, meta: dict,
                      include_optimizer: bool = True) -> Path:
    """Write the three files; without the optimizer the folder is a third of the size (for assets)."""
    if not include_optimizer:
        from lstm_core.training.keras_model import build_char_model

        model = model_folder.without_optimizer(model, lambda: build_char_model(spec))
    return model_folder.write(KIND, folder, model, vocab.to_json(), {**meta, "spec": spec.to_dict()})


def load_model_folder(folder: str | Path) -> LoadedModel:
    folder = resolve(folder)
    meta, vocab = model_folder.open_folder(KIND, folder)
    net = model_folder.load_net(KIND, folder)
    if meta.imported is not None:  # a model trained elsewhere, in its own id order (keras_import)
        try:
            net = as_char_model(net, list(meta.imported.keras_ids))
        except WeightsError as exc:
            raise ModelFileError(str(exc)) from None
    _check_consistent(net, vocab, meta.spec, layers=meta.imported is None)
    return LoadedModel(folder, net, vocab, meta.spec, meta)


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
    model_folder.belong_together(KIND, problems)


def load_keras_model(folder: str | Path):
    """The Keras model itself, for resuming training."""
    return model_folder.load_keras_model(KIND, folder)


# -- zip form ---------------------------------------------------------------------------------
def export_zip(folder: str | Path) -> bytes:
    return model_zip.export_zip(resolve(folder), FOLDER_FILES)


def import_zip(data: bytes, dest_root: str | Path) -> LoadedModel:
    """Unpack an uploaded model zip into a new folder under dest_root and load it (model_zip's checks).

    Only the project's own layout is accepted: the three files, optionally inside one folder.
    """
    return model_zip.import_zip(data, dest_root, FOLDER_FILES, load_model_folder, ModelFileError)
