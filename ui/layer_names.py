"""A network's layers as the layer selectors of Gates and Anatomy name them: the number, the cell and its
units, short enough for a narrow box in either language (the selector's label says "Layer")."""

from __future__ import annotations

from lstm_core.spec import CELL_NAMES


def layer_names(net) -> dict[int, str]:
    return {i: f"{i + 1} ({CELL_NAMES[layer.cell]}, {layer.units})" for i, layer in enumerate(net.layers)}
