"""Testing what a unit does by changing it: silence units, clamp a gate, shift the forget gate's bias,
and measure how the model's predictions over a text change.

Each change is an edit of the weights, so the engine runs the changed network as it runs any other:
- **silence** unit j of a layer: nothing downstream hears it. Every product that reads its output h_j
  (its own layer's recurrent kernel, the next layer's kernel or the output layer) gets row j zeroed,
  which is exactly as if h_j were 0 for everyone who reads it;
- **clamp** a sigmoid gate of unit j to 0 or 1: the gate's column in both kernels is zeroed and its bias
  set to ±CLAMP_LOGIT, where the sigmoid is 0 or 1 in float32 (for a GRU the bias added inside the reset
  product is zeroed too);
- **shift** the forget-gate bias of an LSTM unit: above 0 it keeps more of its memory at every step,
  below 0 it forgets faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from lstm_core.i18n import _
from lstm_core.inference.engine import trace
from lstm_core.inference.netweights import CellWeights, Network

# The sigmoid gates that can be clamped, at their place in Keras' gate order (i, f, g, o; z, r, h).
GATE_INDEX = {"lstm": {"i": 0, "f": 1, "o": 3}, "gru": {"z": 0, "r": 1}, "rnn": {}}
CLAMP_LOGIT = 1e4  # sigmoid(±1e4) is exactly 1 or 0 in float32; the engine's tanh form never overflows


@dataclass(frozen=True)
class Change:
    """What to change in one layer: units to silence, (unit, gate) -> 0 or 1, unit -> forget-bias shift."""

    layer: int
    silence: tuple[int, ...] = ()
    clamp: tuple[tuple[int, str, float], ...] = ()
    forget_shift: tuple[tuple[int, float], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.silence or self.clamp or any(s for _u, s in self.forget_shift))


def changed(net: Network, change: Change) -> Network:
    """The network with `change` applied to its weights (a new Network; `net` is untouched)."""
    if not 0 <= change.layer < len(net.layers):
        raise ValueError(_("There is no layer {layer} in this model.").format(layer=change.layer + 1))
    layer = net.layers[change.layer]
    if layer.bidirectional:
        raise ValueError(_("Units of a bidirectional layer cannot be tested here."))
    n = layer.units
    units = [u for u in change.silence] + [u for u, _g, _v in change.clamp] + [u for u, _s in change.forget_shift]
    if any(not 0 <= u < n for u in units):
        raise ValueError(_("This layer has units 0 to {last}.").format(last=n - 1))
    kernel = np.array(layer.forward.kernel)
    recurrent = np.array(layer.forward.recurrent_kernel)
    bias = np.array(layer.forward.bias)
    for unit, gate, value in change.clamp:
        if gate not in GATE_INDEX[layer.cell] or value not in (0, 1):
            raise ValueError(_("A {cell} unit has no gate {gate} to clamp to {value}.").format(
                cell=layer.cell, gate=gate, value=value))
        col = GATE_INDEX[layer.cell][gate] * n + unit
        kernel[:, col] = 0.0
        recurrent[:, col] = 0.0
        logit = CLAMP_LOGIT if value == 1 else -CLAMP_LOGIT
        if bias.ndim == 2:  # GRU: row 0 is added to x·W, row 1 to h·U
            bias[0, col], bias[1, col] = logit, 0.0
        else:
            bias[col] = logit
    for unit, shift in change.forget_shift:
        if layer.cell != "lstm":
            raise ValueError(_("Only an LSTM unit has a forget gate."))
        bias[GATE_INDEX["lstm"]["f"] * n + unit] += shift
    silent = list(change.silence)
    recurrent[silent, :] = 0.0
    layers = list(net.layers)
    layers[change.layer] = replace(layer, forward=CellWeights(kernel, recurrent, bias))
    head = net.head
    if change.layer + 1 < len(layers):
        after = layers[change.layer + 1]
        reads = np.array(after.forward.kernel)
        reads[silent, :] = 0.0
        layers[change.layer + 1] = replace(after, forward=replace(after.forward, kernel=reads))
    else:
        reads = np.array(head.kernel)
        reads[silent, :] = 0.0
        head = replace(head, kernel=reads)
    return Network(net.embedding, tuple(layers), head, net.name, net.input_form)


# The engine computes in float32, and the same weights copied elsewhere in memory can give results that
# differ in the last bits (BLAS picks its kernels by alignment, differently on each kind of processor):
# a change of less than this is no change.
NOISE_NATS = 1e-5


@dataclass(frozen=True)
class Effect:
    """How a change moved the model's prediction of each next character of a text."""

    before: np.ndarray  # (T-1,) log p(true next character) at each position, unchanged model
    after: np.ndarray  # the same, changed model

    @property
    def delta(self) -> np.ndarray:
        """after - before: below 0 where the change made the true next character less likely."""
        return self.after - self.before

    @property
    def loss_before(self) -> float:
        return float(-self.before.mean())

    @property
    def loss_after(self) -> float:
        return float(-self.after.mean())

    def worst(self, count: int = 5) -> list[int]:
        """The positions whose next character lost most (only those that lost more than float32's noise)."""
        order = np.argsort(self.delta, kind="stable")[:count]
        return [int(t) for t in order if self.delta[t] < -NOISE_NATS]


def effect(net: Network, edited: Network, ids: Sequence[int] | np.ndarray) -> Effect:
    """log p(next character) before and after, at each of the text's positions but the last."""
    ids = np.asarray(ids)
    if ids.size < 2:
        raise ValueError(_("The text needs at least two characters."))
    return Effect(_next_log_probs(net, ids), _next_log_probs(edited, ids))


def _next_log_probs(net: Network, ids: np.ndarray) -> np.ndarray:
    probs = trace(net, ids[:-1]).probs
    picked = probs[np.arange(ids.size - 1), ids[1:]]
    return np.log(np.maximum(picked, np.finfo(np.float32).tiny)).astype(np.float64)

