"""A word-level sentiment classifier trained elsewhere, opened from its `.keras` file and its vocabulary.

The textbook's IMDB models: Embedding(num_words, d) -> LSTM / GRU / SimpleRNN layers (stacked, or
Bidirectional) -> Dense(1, sigmoid), trained on padded reviews. The weights are read without Keras
(keras_file, which accepts only layers whose arithmetic the engine repeats); the vocabulary by
keras_words; the padding as the model's input shape says, or as the person opening it says
(framing). The result is scored like LSTM Lab's own classifiers (scoring: `net`, `vocab`).

What does not fit raises ClassifierFileError with one sentence per problem, each naming the file and
what to change. A session keeps what it opened in a folder of its workspace (save_folder): the two
files as they came and the settings they were opened with, opened again the same way (load_folder).
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from lstm_core.data.vocab_forms import VocabFormError
from lstm_core.i18n import _
from lstm_core.inference.keras_file import from_keras_file, layer_classes
from lstm_core.inference.netweights import Network, WeightsError, weights_list
from lstm_core.spec import CELL_NAMES
from .framing import DEFAULT_MAXLEN, MAX_MAXLEN, Framing
from .keras_words import IMDB_INDEX_FROM, KerasWords, Parsed, for_model, parse

MAX_MODEL_BYTES = 512 << 20
MODEL_FILE, VOCABULARY_FILE, SETTINGS_FILE = "classifier.keras", "vocabulary", "opened.json"


class ClassifierFileError(ValueError):
    """A classifier or vocabulary file that cannot be opened; the message (in the reader's language)
    names the file and what to change."""


@dataclass(frozen=True, eq=False)
class OpenedClassifier:
    net: Network
    vocab: KerasWords
    file: str  # the .keras file's name
    vocabulary_file: str

    @property
    def label(self) -> str:
        return f"{architecture(self.net)} · {Path(self.file).stem}"

    @property
    def parameters(self) -> int:
        return sum(int(a.size) for a in weights_list(self.net))


def architecture(net: Network) -> str:
    """The recurrent layers as Keras names them: "Bidirectional LSTM(64) → GRU(32)"."""
    return " → ".join(f"{'Bidirectional ' if layer.bidirectional else ''}{CELL_NAMES[layer.cell]}({layer.units})"
                      for layer in net.layers)


def read_model(data: bytes, name: str) -> Network:
    """The classifier's weights from a `.keras` file's bytes, checked to be Embedding -> recurrent -> Dense(1)."""
    if Path(name).suffix.lower() in (".h5", ".hdf5"):
        raise ClassifierFileError(_("{file} is in Keras' older HDF5 format; LSTM Lab opens .keras files. Load it in "
                                    "Keras and save it again: model.save(\"model.keras\").").format(file=name))
    if not data:
        raise ClassifierFileError(_("{file} is empty.").format(file=name))
    if len(data) > MAX_MODEL_BYTES:
        raise ClassifierFileError(_("{file} is larger than {most} MB.").format(file=name, most=MAX_MODEL_BYTES >> 20))
    try:
        # Said before the weights are read: without an Embedding, the reader's complaint would be about
        # how a character model reads its input.
        if "Embedding" not in layer_classes(io.BytesIO(data)):
            raise ClassifierFileError(_("{file} has no Embedding layer: it reads vectors, not word ids. A word-level "
                                        "classifier starts with Embedding(num_words, d).").format(file=name))
        net = from_keras_file(io.BytesIO(data))
    except WeightsError as exc:
        raise ClassifierFileError(_("{file}: {problem}").format(file=name, problem=exc)) from None
    problems = _shape_problems(net, name)
    if problems:
        raise ClassifierFileError(" ".join(problems))
    return net


def _shape_problems(net: Network, name: str) -> list[str]:
    out = []
    if net.head.activation == "softmax" and net.output_size == 2:
        out.append(_("{file} ends in Dense(2, softmax), one probability for each of two classes. LSTM Lab reads a "
                     "classifier whose last layer gives the probability of positive: train it with "
                     "Dense(1, activation=\"sigmoid\") and loss=\"binary_crossentropy\".").format(file=name))
    elif net.head.activation != "sigmoid" or net.output_size != 1:
        out.append(_("{file} ends in Dense({outputs}, {activation}): it picks one of {outputs} tokens, which makes it "
                     "a character or word model. A sentiment classifier ends in Dense(1, activation=\"sigmoid\"); "
                     "open character models on the other pages.").format(
            file=name, outputs=net.output_size, activation=net.head.activation))
    elif net.input_length is not None and net.input_length > MAX_MAXLEN:
        out.append(_("{file} reads reviews of {steps:,} ids; LSTM Lab reads at most {most:,}. Train it on reviews "
                     "cut shorter (pad_sequences' maxlen).").format(file=name, steps=net.input_length, most=MAX_MAXLEN))
    elif net.return_sequences:
        out.append(_("{file}'s last recurrent layer returns every step (return_sequences=True), so it gives a verdict "
                     "per word, not one per review. Train it with return_sequences=False on its last recurrent "
                     "layer.").format(file=name))
    return out


def read_vocabulary(data: bytes, name: str) -> Parsed:
    """What a vocabulary file says (its form decides what is asked before opening)."""
    try:
        return parse(data)
    except VocabFormError as exc:
        raise ClassifierFileError(_("{file}: {problem}").format(file=name, problem=exc)) from None


def default_framing(net: Network) -> Framing:
    """pad_sequences' defaults (pre, pre), to the length the model's input shape fixes if it does."""
    return Framing(net.input_length or DEFAULT_MAXLEN)


def open_classifier(net: Network, vocabulary: Parsed, framing: Framing, *, file: str, vocabulary_file: str,
                    index_from: int = IMDB_INDEX_FROM) -> OpenedClassifier:
    """The classifier, ready to score, when the vocabulary's ids fit the model's Embedding."""
    if net.input_length is not None and framing.maxlen != net.input_length:
        raise ClassifierFileError(_("{file} reads exactly {steps} ids (its input shape), so maxlen must be {steps}, "
                                    "not {maxlen}.").format(file=file, steps=net.input_length, maxlen=framing.maxlen))
    try:
        vocab: KerasWords = for_model(vocabulary, net.vocab_size, framing, index_from)
    except VocabFormError as exc:
        raise ClassifierFileError(_("{file}: {problem}").format(file=vocabulary_file, problem=exc)) from None
    return OpenedClassifier(net, vocab, file, vocabulary_file)


def save_folder(root: str | Path, opened: OpenedClassifier, model_data: bytes, vocabulary_data: bytes,
                index_from: int) -> Path:
    """A new folder under `root` holding the two files and how they were opened; written whole or not at all."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    framing = opened.vocab.framing
    settings = {"file": opened.file, "vocabulary_file": opened.vocabulary_file, "maxlen": framing.maxlen,
                "padding": framing.padding, "truncating": framing.truncating, "index_from": index_from}
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".incoming-"))
    try:
        (tmp / MODEL_FILE).write_bytes(model_data)
        (tmp / VOCABULARY_FILE).write_bytes(vocabulary_data)
        (tmp / SETTINGS_FILE).write_text(json.dumps(settings), encoding="utf-8")
        dest = root / uuid.uuid4().hex[:12]
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def load_folder(folder: str | Path) -> OpenedClassifier:
    """A classifier save_folder kept, opened again as it was (ClassifierFileError if it cannot be)."""
    folder = Path(folder)
    try:
        settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        model_data, vocabulary_data = (folder / MODEL_FILE).read_bytes(), (folder / VOCABULARY_FILE).read_bytes()
        file, vocabulary_file = str(settings["file"]), str(settings["vocabulary_file"])
        framing = Framing(settings["maxlen"], settings["padding"], settings["truncating"])
        index_from = int(settings["index_from"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ClassifierFileError(_("{folder} does not hold an opened classifier ({problem}).").format(
            folder=folder.name, problem=exc)) from None
    return open_classifier(read_model(model_data, file), read_vocabulary(vocabulary_data, vocabulary_file), framing,
                           file=file, vocabulary_file=vocabulary_file, index_from=index_from)
