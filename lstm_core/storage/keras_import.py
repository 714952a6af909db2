"""Opening a character model trained elsewhere: a plain `.keras` file, a PyTorch model exported to ONNX
(`.onnx`) or its state_dict saved with safetensors (`.safetensors`), with its vocabulary, becomes a model
folder that every page reads like one of LSTM Lab's own.

The folder keeps a `.keras` file as it came; an ONNX or safetensors model is written into the folder
as the `.keras` file it is equivalent to (keras_writer), so that every folder, its zip and its published
copy keep one format. With it go LSTM Lab's vocabulary (id 0 for characters the model
never saw, then the model's characters in its own order) and, in meta.json under `imported`, which
of the model's ids each of LSTM Lab's ids is (`keras_ids`): loading re-indexes the weights with it
(netweights.as_char_model). A model with no out-of-vocabulary id of its own reads an unknown
character as zeros and never predicts one. Everything that does not fit is said in one message.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from lstm_core.data.vocab import CharVocab, VocabError
from lstm_core.data.vocab_forms import ForeignVocab, VocabFormError, read_vocabulary
from lstm_core.i18n import _
from lstm_core.inference.keras_file import from_keras_file
from lstm_core.inference.netweights import Network, WeightsError, weights_list
from lstm_core.inference.onnx_file import from_onnx_bytes
from lstm_core.inference.torch_state import from_safetensors_bytes
from lstm_core.spec import CELL_NAMES, MAX_EMBED, MAX_LAYERS, MAX_UNITS, ModelSpec
from lstm_core.storage.keras_writer import keras_bytes
from lstm_core.storage.model_zip import read_members
from lstm_core.storage.model_folder import FORMAT, FORMAT_VERSION, META_FILE, MODEL_FILE, VOCAB_FILE
from lstm_core.storage.persistence import LoadedModel, ModelFileError, import_zip, load_model_folder

MAX_KERAS_BYTES = 512 << 20
# The model files that open with a vocabulary, and how each is read.
READERS = {".keras": lambda data: from_keras_file(io.BytesIO(data)), ".onnx": from_onnx_bytes,
           ".safetensors": from_safetensors_bytes}
MODEL_SUFFIXES = tuple(READERS)


def is_model_file(name: str) -> bool:
    return name.lower().endswith(MODEL_SUFFIXES)


def import_keras(model_data: bytes, vocab_data: bytes, dest_root: str | Path, *, model_name: str = MODEL_FILE,
                 vocab_name: str = "vocabulary") -> LoadedModel:
    """A new model folder under `dest_root` from a model file (`.keras`, `.onnx` or `.safetensors`, told
    apart by `model_name`; anything else is read as `.keras`) and its vocabulary file."""
    problems: list[str] = []
    net = None
    if not model_data:
        problems.append(_("{file} is empty.").format(file=model_name))
    elif len(model_data) > MAX_KERAS_BYTES:
        problems.append(_("{file} is larger than {most} MB.").format(file=model_name, most=MAX_KERAS_BYTES >> 20))
    else:
        try:
            net = READERS.get(Path(model_name).suffix.lower(), READERS[".keras"])(model_data)
        except WeightsError as exc:
            problems.append(_("{file}: {problem}").format(file=model_name, problem=exc))
    head = _head_problems(net, model_name) if net is not None else []
    problems += head
    foreign = None
    if not vocab_data.strip():
        problems.append(_("{file} is empty.").format(file=vocab_name))
    elif net is not None and not head:  # the vocabulary is checked against the model's ids
        try:
            foreign = read_vocabulary(vocab_data, net.output_size)
        except VocabFormError as exc:
            problems.append(_("{file}: {problem}").format(file=vocab_name, problem=exc))
    if problems:
        # Each problem names its file and what is wrong; the sidebar says that the model was not opened.
        raise ModelFileError(" ".join(p if p.endswith((".", "?")) else p + "." for p in problems))
    return _write(net, foreign, model_data, Path(dest_root), model_name, vocab_name)


def _head_problems(net: Network, model_name: str) -> list[str]:
    out = []
    if net.head.activation != "softmax" or net.output_size < 2:
        out.append(_("{file} ends in {outputs} {activation} output(s): it classifies whole texts rather than "
                     "predicting the next character, which LSTM Lab's character pages need").format(
            file=model_name, outputs=net.output_size, activation=net.head.activation))
    elif net.vocab_size != net.output_size:
        out.append(_("{file} reads {inputs} different tokens but predicts {outputs}: a character model reads "
                     "and predicts the same characters").format(file=model_name, inputs=net.vocab_size,
                                                               outputs=net.output_size))
    if net.bidirectional:
        out.append(_("{file} has a bidirectional layer, which reads the text from the end too: it cannot predict "
                     "the next character").format(file=model_name))
    return out


def _write(net: Network, foreign: ForeignVocab, model_data: bytes, root: Path, model_name: str,
           vocab_name: str) -> LoadedModel:
    chars = foreign.chars
    rows = [foreign.unknown_id] + [foreign.tokens.index(c) for c in chars]
    try:
        vocab = CharVocab(chars)
    except VocabError as exc:
        raise ModelFileError(_("{file}: {problem}").format(file=vocab_name, problem=exc)) from None
    first = net.layers[0]
    spec = ModelSpec(vocab_size=vocab.size, cell=first.cell, layers=min(len(net.layers), MAX_LAYERS),
                     units=min(first.units, MAX_UNITS), embed_dim=min(net.embed_dim, MAX_EMBED))
    shape = " → ".join(f"{CELL_NAMES[layer.cell]}({layer.units})" for layer in net.layers)
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "kind": "char-lm",
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "label": f"{shape} · {Path(model_name).stem}",
            "corpus": {"label": _("unknown (trained elsewhere)")},
            "spec": spec.to_dict(),
            "imported": {"file": model_name, "vocabulary_file": vocab_name, "vocabulary": foreign.form,
                         "input": net.input_form, "keras_ids": rows,
                         "parameters": sum(int(a.size) for a in weights_list(net)),
                         "layers": [{"cell": layer.cell, "units": layer.units} for layer in net.layers]}}
    suffix = Path(model_name).suffix.lower()
    # A .keras file is kept as it came; the other forms are written as the .keras file they equal.
    keras = keras_bytes(net) if suffix in READERS and suffix != ".keras" else model_data
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".incoming-"))
    try:
        (tmp / MODEL_FILE).write_bytes(keras)
        (tmp / VOCAB_FILE).write_text(vocab.to_json(), encoding="utf-8")
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
        load_model_folder(tmp)
        dest = root / f"upload-{uuid.uuid4().hex[:12]}"
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return load_model_folder(dest)


def open_model(path: str | Path, vocab: str | Path | None, scratch: str | Path) -> LoadedModel:
    """The command line's MODEL: a model folder (or a pretrained model's name), or a `.keras`, `.onnx`
    or `.safetensors` file with `vocab` (imported into a folder under `scratch`)."""
    if is_model_file(str(path)):
        if vocab is None:
            raise ModelFileError(_("{file} needs its vocabulary: give it with --vocab FILE.")
                                 .format(file=Path(path).name))
        try:
            model_data, vocab_data = Path(path).read_bytes(), Path(vocab).read_bytes()
        except OSError as exc:
            raise ModelFileError(_("Cannot read {file}: {error}").format(file=exc.filename, error=exc.strerror)) \
                from None
        return import_keras(model_data, vocab_data, scratch, model_name=Path(path).name, vocab_name=Path(vocab).name)
    if vocab is not None:
        raise ModelFileError(_("--vocab goes with a .keras, .onnx or .safetensors file; a model folder has its "
                               "vocabulary already."))
    return load_model_folder(path)


def open_uploaded(files: list[tuple[str, bytes]], dest_root: str | Path) -> LoadedModel:
    """The sidebar's upload, as (name, bytes) pairs: an LSTM Lab model zip; a model file (`.keras`,
    `.onnx` or `.safetensors`) and its vocabulary; or a zip of those two."""
    if len(files) == 1 and files[0][0].lower().endswith(".zip"):
        data = files[0][1]
        if not _loose_files(data):  # LSTM Lab's own zip, or no zip at all: import_zip says which
            return import_zip(data, dest_root)
        files = list(read_members(data, ModelFileError, most=2).items())
    models = [(n, d) for n, d in files if is_model_file(n)]
    others = [(n, d) for n, d in files if not is_model_file(n)]
    if len(models) == 1 and len(others) == 1:
        (model_name, model_data), (vocab_name, vocab_data) = models[0], others[0]
        return import_keras(model_data, vocab_data, dest_root, model_name=model_name, vocab_name=vocab_name)
    legacy = [n for n, _d in files if n.lower().endswith((".h5", ".hdf5"))]
    if legacy:
        raise ModelFileError(_("{file} is in Keras' older HDF5 format; LSTM Lab opens .keras files. Load it in Keras "
                               "and save it again: model.save(\"model.keras\").").format(file=legacy[0]))
    if len(models) == 1 and not others:
        # The box keeps the model file: dropping it again with its vocabulary would list it twice.
        raise ModelFileError(_("{file} needs its vocabulary: drop only the file that says which character each "
                               "id is; {file} stays in the box.").format(file=models[0][0]))
    raise ModelFileError(_("Upload one LSTM Lab model zip, or one model file (.keras, .onnx or .safetensors) "
                           "together with its vocabulary file (or the two in one zip). Got: {names}.")
                         .format(names=", ".join(n for n, _d in files)))


def _loose_files(data: bytes) -> bool:
    """Whether a zip holds a model file and its vocabulary rather than an LSTM Lab model folder (which
    has a meta.json)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = {PurePosixPath(n.replace("\\", "/")).name for n in zf.namelist() if not n.endswith("/")}
    except (zipfile.BadZipFile, ValueError, EOFError):
        return False
    return META_FILE not in names and any(is_model_file(n) for n in names)
