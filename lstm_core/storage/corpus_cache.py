"""Corpus runs kept on disk, so a model is run over a corpus once: `<data>/corpus-cache/<key>.npz`.

The key is made of what decides the counts: the model's weights (model_hash), the text, the
patterns' masks and the run's options. Files hold plain arrays (np.savez, read back without
pickle) and are written aside and renamed, so a reader never finds half a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from lstm_core import settings
from lstm_core.inference.corpus_result import CorpusResult
from lstm_core.inference.corpus_run import CorpusOptions
from lstm_core.inference.netweights import Network

# Bumped when the counts a run keeps change meaning: older files are then never found.
FORMAT = 1


def default_root() -> Path:
    return settings.current().data_dir / "corpus-cache"


def model_hash(net: Network) -> str:
    """A digest of everything that decides the network's outputs: its shape and every weight."""
    digest = hashlib.sha256(f"{net.input_form}".encode())
    arrays = [net.embedding, net.head.kernel, net.head.bias]
    for layer in net.layers:
        digest.update(f"|{layer.cell},{layer.units},{layer.return_sequences}".encode())
        for weights in layer.directions:
            arrays += [weights.kernel, weights.recurrent_kernel, weights.bias]
    digest.update(net.head.activation.encode())
    for a in arrays:
        a = np.ascontiguousarray(a, dtype=np.float32)
        digest.update(str(a.shape).encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def key(net: Network, text: str, patterns: Mapping[str, np.ndarray] | None = None,
        options: CorpusOptions = CorpusOptions()) -> str:
    digest = hashlib.sha256(f"format {FORMAT}|{model_hash(net)}|{options.key()}".encode())
    digest.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    for name, mask in sorted((patterns or {}).items()):
        digest.update(name.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(np.packbits(np.asarray(mask, dtype=bool)).tobytes())
    return digest.hexdigest()[:32]


def _path(root: Path, cache_key: str) -> Path:
    if not cache_key.isalnum():
        raise ValueError(f"not a cache key: {cache_key!r}")
    return root / f"{cache_key}.npz"


def save(result: CorpusResult, cache_key: str, root: Path | None = None) -> Path:
    root = root or default_root()
    root.mkdir(parents=True, exist_ok=True)
    target = _path(root, cache_key)
    handle, tmp = tempfile.mkstemp(dir=root, prefix=".incoming-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **result.to_arrays())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load(cache_key: str, root: Path | None = None) -> CorpusResult | None:
    """The result saved under `cache_key`, or None when there is none (or it cannot be read)."""
    path = _path(root or default_root(), cache_key)
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return CorpusResult.from_arrays({name: arrays[name] for name in arrays.files})
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
