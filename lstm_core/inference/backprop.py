"""Backpropagation through time in NumPy, one recurrent layer at a time: the forward pass keeps
every step's gates and states in float64, and `backward_step` gives the adjoints of one step.
Vanishing gradients (lstm_core.teaching.gradients) and which earlier characters a prediction leaned
on (influence.py) are both built on it; tests check it against TensorFlow's GradientTape.

Weights are in Keras' layout (netweights.CellWeights: gate order i, f, g, o for LSTM; z, r, h and
two bias rows for GRU).
"""

from __future__ import annotations

import numpy as np

from lstm_core.inference.netweights import CellWeights
from lstm_core.inference.params import GATES


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class Layer:
    """One layer's weights in float64, and what its forward pass kept for the backward pass."""

    def __init__(self, cell: str, weights: CellWeights):
        if cell not in GATES:
            raise ValueError(f"unknown cell kind {cell!r}")
        self.cell = cell
        self.W = np.asarray(weights.kernel, dtype=np.float64)
        self.U = np.asarray(weights.recurrent_kernel, dtype=np.float64)
        self.b = np.asarray(weights.bias, dtype=np.float64)
        self.n = self.U.shape[0]
        self.m = self.W.shape[0]
        self.cache: dict[str, np.ndarray] = {}

    def forward(self, xs: np.ndarray) -> np.ndarray:
        """xs (B, T, m) -> h (B, T, n), keeping every step's gates and states."""
        B, T, _ = xs.shape
        n = self.n
        h = np.zeros((B, n))
        c = np.zeros((B, n))
        keep = {name: np.empty((B, T, n)) for name in
                {"lstm": ("i", "f", "g", "o", "c", "c_prev", "h_prev", "h"),
                 "gru": ("z", "r", "hh", "rec_h", "h_prev", "h"),
                 "rnn": ("h_prev", "h")}[self.cell]}
        if self.cell == "gru":
            xw_all = xs @ self.W + self.b[0]
        else:
            xw_all = xs @ self.W + self.b
        for t in range(T):
            keep["h_prev"][:, t] = h
            if self.cell == "lstm":
                z = xw_all[:, t] + h @ self.U
                i, f = _sigmoid(z[:, :n]), _sigmoid(z[:, n:2 * n])
                g, o = np.tanh(z[:, 2 * n:3 * n]), _sigmoid(z[:, 3 * n:])
                keep["c_prev"][:, t] = c
                c = f * c + i * g
                h = o * np.tanh(c)
                for name, value in (("i", i), ("f", f), ("g", g), ("o", o), ("c", c)):
                    keep[name][:, t] = value
            elif self.cell == "gru":
                xw = xw_all[:, t]
                rec = h @ self.U + self.b[1]
                z = _sigmoid(xw[:, :n] + rec[:, :n])
                r = _sigmoid(xw[:, n:2 * n] + rec[:, n:2 * n])
                hh = np.tanh(xw[:, 2 * n:] + r * rec[:, 2 * n:])
                h = z * h + (1 - z) * hh
                for name, value in (("z", z), ("r", r), ("hh", hh), ("rec_h", rec[:, 2 * n:])):
                    keep[name][:, t] = value
            else:
                h = np.tanh(xw_all[:, t] + h @ self.U)
            keep["h"][:, t] = h
        self.cache = keep
        return keep["h"]

    def backward_step(self, t: int, a_h: np.ndarray, a_c: np.ndarray | None):
        """Adjoints of one step: given dL/dh_t (B, R, n) (and dL/dc_t for an LSTM), return
        (dL/dx_t (B, R, m), dL/dh_{t−1}, dL/dc_{t−1} or None)."""
        k = {name: a[:, t][:, None, :] for name, a in self.cache.items()}  # (B, 1, n): broadcast over R
        if self.cell == "lstm":
            tc = np.tanh(k["c"])
            dc = a_c + a_h * k["o"] * (1 - tc * tc)
            do = a_h * tc
            dz = np.concatenate([dc * k["g"] * k["i"] * (1 - k["i"]),
                                 dc * k["c_prev"] * k["f"] * (1 - k["f"]),
                                 dc * k["i"] * (1 - k["g"] * k["g"]),
                                 do * k["o"] * (1 - k["o"])], axis=-1)
            return dz @ self.W.T, dz @ self.U.T, dc * k["f"]
        if self.cell == "gru":
            z, r, hh = k["z"], k["r"], k["hh"]
            da = a_h * (1 - z) * (1 - hh * hh)  # through the candidate's tanh
            dpz = a_h * (k["h_prev"] - hh) * z * (1 - z)
            dpr = da * k["rec_h"] * r * (1 - r)
            dxw = np.concatenate([dpz, dpr, da], axis=-1)
            drec = np.concatenate([dpz, dpr, da * r], axis=-1)
            return dxw @ self.W.T, a_h * z + drec @ self.U.T, None
        da = a_h * (1 - k["h"] * k["h"])
        return da @ self.W.T, da @ self.U.T, None
