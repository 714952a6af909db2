"""Parameter counts with the textbook formulas, equal to Keras' count_params.

m is the layer's input size, n its number of units. Keras' GRU uses reset_after=True, which
keeps two bias vectors (one for the input, one for the recurrent part), hence the +2.
"""

from __future__ import annotations

from dataclasses import dataclass

from lstm_core.i18n import _
from lstm_core.spec import CELL_NAMES, ModelSpec

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
BIASES = {"lstm": 1, "gru": 2, "rnn": 1}


@dataclass(frozen=True)
class LayerCount:
    name: str
    formula: str
    count: int


def recurrent_params(cell: str, m: int, n: int) -> int:
    return GATES[cell] * (m + n + BIASES[cell]) * n


def recurrent_formula(cell: str, m: int, n: int) -> str:
    g, b = GATES[cell], BIASES[cell]
    lead = f"{g}·" if g > 1 else ""
    return f"{lead}(m + n + {b})·n = {lead}({m} + {n} + {b})·{n}"


def layer_counts(spec: ModelSpec) -> list[LayerCount]:
    v, e, n = spec.vocab_size, spec.embed_dim, spec.units
    rows = [LayerCount(_("Embedding"), f"V·E = {v}·{e}", v * e)]
    m = e
    for i in range(spec.layers):
        rows.append(LayerCount(f"{CELL_NAMES[spec.cell]} {i + 1}", recurrent_formula(spec.cell, m, n),
                               recurrent_params(spec.cell, m, n)))
        m = n
    rows.append(LayerCount(_("Dense (softmax)"), f"(n + 1)·V = ({n} + 1)·{v}", (n + 1) * v))
    return rows


def total_params(spec: ModelSpec) -> int:
    return sum(r.count for r in layer_counts(spec))
