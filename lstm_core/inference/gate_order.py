"""One direction of a recurrent layer stored as ONNX and PyTorch store it, in Keras' layout (netweights).

Both keep the input weights as a (gates·units, inputs) matrix and the recurrent ones as (gates·units,
units), each gate a block of rows, with two biases: one added to x·W, one to h·U. Only the order of
the gates differs: ONNX LSTM i,o,f,c and GRU z,r,h; PyTorch LSTM i,f,g,o and GRU r,z,n; Keras LSTM
i,f,c,o and GRU z,r,h. An LSTM or RNN adds its two biases; a GRU keeps them apart (Keras'
reset_after=True: the recurrent bias is inside the reset gate's product).
"""

from __future__ import annotations

import numpy as np

from lstm_core.inference.netweights import CellWeights

# For each stored order, where each of Keras' gates is (Keras' order: LSTM i,f,c,o; GRU z,r,h).
ONNX_ORDER = {"lstm": (0, 2, 3, 1), "gru": (0, 1, 2), "rnn": (0,)}
TORCH_ORDER = {"lstm": (0, 1, 2, 3), "gru": (1, 0, 2), "rnn": (0,)}


def keras_cell(cell: str, order: tuple[int, ...], w: np.ndarray, r: np.ndarray, wb: np.ndarray,
               rb: np.ndarray) -> CellWeights:
    """w (G·n, m), r (G·n, n), wb and rb (G·n,) in a stored gate order -> Keras' kernel (m, G·n),
    recurrent kernel (n, G·n) and bias; shapes are checked by the Network the cell goes into."""

    def keras_rows(a: np.ndarray) -> np.ndarray:
        blocks = np.split(np.asarray(a, dtype=np.float32), len(order), axis=0)
        return np.concatenate([blocks[k] for k in order], axis=0)

    kernel, recurrent = keras_rows(w).T, keras_rows(r).T
    wb, rb = keras_rows(wb), keras_rows(rb)
    bias = np.stack([wb, rb]) if cell == "gru" else wb + rb
    return CellWeights(kernel, recurrent, bias)
