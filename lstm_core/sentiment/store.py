"""Sentiment model folders on disk, and their zip form for download and upload.

The same layout and safety rules as the character models (lstm_core.storage.model_folder): a
folder holds `model.keras`, `vocab.json` (the word vocabulary) and `meta.json` (kind "sentiment",
read into a `SentimentMeta`). Looking at a model reads the weights straight into NumPy
(netweights), never TensorFlow; `load_keras_model` loads the Keras model in safe mode.
Zips are checked before anything is unpacked (model_zip): sizes, entry names, exactly the three files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lstm_core.i18n import N_, _
from lstm_core.said import Explained
from lstm_core.storage import model_folder, model_zip
from lstm_core.storage.model_folder import ASSETS, FOLDER_FILES
from .meta import SentimentMeta
from .model import SentimentSpec, SentimentSpecError
from .tokens import WordVocab, WordVocabError

DEFAULT_MODEL = ASSETS / "sentiment-lstm"


class SentimentModelError(Explained):
    """A sentiment model folder or zip that cannot be used, explained for a person."""


KIND = model_folder.Kind(
    "sentiment", SentimentModelError, SentimentMeta, WordVocab.from_json, (WordVocabError, SentimentSpecError),
    not_ours=N_("This is not an LSTM Lab model (its meta.json says otherwise)."),
    other_kind=N_("This is an LSTM Lab {kind!r} model, not a sentiment classifier."),
    shipped={"default": DEFAULT_MODEL})


@dataclass(frozen=True)
class SentimentModel:
    folder: Path
    net: object  # netweights.Network
    vocab: WordVocab
    spec: SentimentSpec
    meta: SentimentMeta

    @property
    def label(self) -> str:
        return self.meta.label or self.folder.name


def resolve(name: str | Path) -> Path:
    """`default` is the pretrained sentiment model; anything else is a folder path."""
    return model_folder.resolve(KIND, name)


def save_folder(folder: str | Path, model, vocab: WordVocab, spec: SentimentSpec, meta: dict,
                include_optimizer: bool = False) -> Path:
    """Write the three files (by default without the optimizer state: a third of the size)."""
    if not include_optimizer:
        from .model import build_classifier

        model = model_folder.without_optimizer(model, lambda: build_classifier(spec))
    return model_folder.write(KIND, folder, model, vocab.to_json(), {**meta, "spec": spec.to_dict()})


def load_folder(folder: str | Path) -> SentimentModel:
    folder = resolve(folder)
    if folder == DEFAULT_MODEL and not folder.is_dir():
        raise SentimentModelError(N_("The pretrained sentiment model is missing; regenerate it with the command "
                                     "in {file}."), file="assets/models/sentiment-lstm/REGENERATE.md")
    meta, vocab = model_folder.open_folder(KIND, folder)
    net = model_folder.load_net(KIND, folder)
    _check_consistent(net, vocab, meta.spec)
    return SentimentModel(folder, net, vocab, meta.spec, meta)


def _check_consistent(net, vocab: WordVocab, spec: SentimentSpec) -> None:
    problems = []
    if net.embedding.shape[0] != vocab.size:
        problems.append(_("the weights know {weights:,} words, vocab.json has {vocab:,}").format(
            weights=net.embedding.shape[0], vocab=vocab.size))
    if net.head.activation != "sigmoid" or net.head.kernel.shape[1] != 1:
        problems.append(_("the output layer is not a single sigmoid unit (a probability of positive)"))
    if net.layers[-1].return_sequences:
        problems.append(_("the last recurrent layer returns every step: this is not a many-to-one classifier"))
    if spec.vocab_size != vocab.size:
        problems.append(_("meta.json says {meta:,} words, vocab.json has {vocab:,}").format(
            meta=spec.vocab_size, vocab=vocab.size))
    layers = net.layers
    if (len(layers) != spec.layers or any(layer.cell != spec.cell or layer.units != spec.units for layer in layers)
            or any(layer.bidirectional != spec.bidirectional for layer in layers)):
        problems.append(_("the layers in model.keras differ from the ones meta.json describes"))
    model_folder.belong_together(KIND, problems)


def load_keras_model(folder: str | Path):
    """The Keras model itself (to compare with NumPy, or to train further)."""
    return model_folder.load_keras_model(KIND, folder, compile=False)


# -- zip form ---------------------------------------------------------------------------------
def export_zip(folder: str | Path) -> bytes:
    return model_zip.export_zip(resolve(folder), FOLDER_FILES)


def import_zip(data: bytes, dest_root: str | Path) -> SentimentModel:
    """Unpack an uploaded sentiment model zip into a new folder under dest_root and load it
    (model_zip's checks: the three files, optionally inside one folder)."""
    return model_zip.import_zip(data, dest_root, FOLDER_FILES, load_folder, SentimentModelError,
                                what="sentiment model zip")
