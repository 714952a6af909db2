"""A pretrained model's learning history: weight snapshots from its own training and its loss curve.

Written beside the model by lstm_core.training.pretrain: `history.npz` holds the weights at a few
log-spaced steps (float16, which changes the loss by far less than 0.001 nats per character: the
figure measured on the final weights is in history.json) and `history.json` the loss curve. Pages
show how the model went from noise to words without training it again.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_core.inference.netweights import Network, WeightsError, weights_list, with_weights

HISTORY_WEIGHTS, HISTORY_CURVE = "history.npz", "history.json"


@dataclass(frozen=True)
class CurvePoint:
    step: int
    train_loss: float
    val_loss: float | None


@dataclass(frozen=True)
class History:
    curve: tuple[CurvePoint, ...]
    snapshots: tuple[tuple[int, Network], ...]  # (step, weights then), by step
    snapshot_val: dict[int, float]  # validation loss at each snapshot's step
    float16_val_change: float


def load_history(folder: str | Path, net: Network) -> History | None:
    """The history beside the model `net` was read from; None when the folder has none."""
    folder = Path(folder)
    curve_path, weights_path = folder / HISTORY_CURVE, folder / HISTORY_WEIGHTS
    if not (curve_path.is_file() and weights_path.is_file()):
        return None
    try:
        meta = json.loads(curve_path.read_text(encoding="utf-8"))
        count = len(weights_list(net))
        with np.load(weights_path, allow_pickle=False) as saved:
            steps = sorted({int(key.split("/")[0].removeprefix("step")) for key in saved.files})
            snapshots = tuple((step, with_weights(net, [saved[f"step{step}/{i}"].astype(np.float32)
                                                        for i in range(count)])) for step in steps)
        curve = tuple(CurvePoint(int(p["step"]), float(p["train_loss"]),
                                 None if p.get("val_loss") is None else float(p["val_loss"])) for p in meta["curve"])
        snapshot_val = {int(s["step"]): float(s["val_loss"]) for s in meta["snapshots"]}
        return History(curve, snapshots, snapshot_val, float(meta.get("float16_val_change", 0.0)))
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, WeightsError):
        return None  # a damaged history costs the pages its pictures, never the model
