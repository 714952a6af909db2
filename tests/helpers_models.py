"""Random NumPy networks for tests that do not need Keras (hand-built, so no TensorFlow start-up)."""

from __future__ import annotations

import numpy as np

from lstm_core.inference.netweights import CellWeights, DenseHead, Network, RecurrentLayer
from lstm_core.inference.params import GATES


def random_network(cell: str = "lstm", layers: int = 1, units: int = 8, vocab: int = 12, embed: int = 5,
                   scale: float = 0.5, seed: int = 0, head: str = "softmax", outputs: int | None = None,
                   bidirectional: bool = False, return_sequences: bool = True) -> Network:
    """Weights ~ normal(0, scale): large enough (0.5) that gates really open and close."""
    rng = np.random.default_rng(seed)

    def cell_weights(m: int) -> CellWeights:
        g = GATES[cell] * units
        bias = (2, g) if cell == "gru" else (g,)
        return CellWeights(rng.normal(0, scale, (m, g)), rng.normal(0, scale, (units, g)), rng.normal(0, scale, bias))

    stack, width = [], embed
    for k in range(layers):
        last = k == layers - 1
        stack.append(RecurrentLayer(cell, units, cell_weights(width), cell_weights(width) if bidirectional else None,
                                    return_sequences or not last, f"{cell}_{k + 1}"))
        width = units * (2 if bidirectional else 1)
    outputs = outputs or (vocab if head == "softmax" else 1)
    return Network(rng.normal(0, scale, (vocab, embed)), tuple(stack),
                   DenseHead(rng.normal(0, scale, (width, outputs)), rng.normal(0, scale, outputs), head))
