"""Influence: how much each earlier character moved the model's prediction at one position, as in
Madsen's "Visualizing memorization in RNNs" (Distill, 2019).

Pick a position t. The target is log p(ids[t+1] | ids[0..t]): the log-softmax the head gives at t to
the character that really comes next. The influence of a position s ≤ t is ‖∂target/∂x_s‖₂, where
x_s = embedding[ids[s]] is the row the first recurrent layer reads at s. Later positions cannot
matter to a left-to-right model, so they are not part of the result.

One scalar target needs one backward pass: a float64 forward pass over the prefix ids[0..t] from the
zero state, keeping every gate, then backpropagation through time through all stacked layers. The
step adjoints are backprop.Layer's, whose tests check them against TensorFlow's
GradientTape: one copy of the cells' derivatives in the project, not two.

The time grows linearly with the position: one forward and one backward step per position and
layer.

Never imports Streamlit or TensorFlow. Its errors are a caller's mistakes (the Gates page only asks
for positions it offers), so they are plain English, like netweights' checks of programmer input.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

from lstm_core.inference.netweights import Network
from lstm_core.inference.backprop import Layer


def _check_net(net: Network) -> None:
    if not isinstance(net, Network):
        raise ValueError("net must be a Network (see lstm_core.inference.netweights)")
    if net.bidirectional:
        # The backward half reads the text after the position, so "earlier characters" is not the whole story.
        raise ValueError("Influence is only defined for left-to-right models, and this model has a "
                         "bidirectional layer.")
    if net.head.activation != "softmax":
        raise ValueError("Influence needs a model that predicts the next token with a softmax output "
                         "layer; this model's output layer uses sigmoid.")


def _ids(net: Network, ids) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError("ids must be a one-dimensional sequence of whole numbers")
    if arr.size < 2:
        raise ValueError("ids must hold at least two tokens: one read, and the next one to predict")
    if arr.min() < 0 or arr.max() >= net.vocab_size:
        raise ValueError(f"ids must lie between 0 and {net.vocab_size - 1} (the embedding's size)")
    return arr.astype(np.intp, copy=False)


def _position(position, length: int) -> int:
    if isinstance(position, bool):
        raise ValueError("position must be a whole number, not True or False")
    try:
        pos = operator.index(position)
    except TypeError:
        raise ValueError(f"position must be a whole number, not {position!r}") from None
    if not 0 <= pos <= length - 2:
        # The last id has no next token in the text, so it cannot be a position.
        raise ValueError(f"position must lie between 0 and {length - 2} (the text has {length} tokens, "
                         f"and the last one has no next token to predict), not {pos}")
    return pos


def log_prob_and_gradients(net: Network, inputs, target: int) -> tuple[float, np.ndarray]:
    """For an explicit (T, width) matrix of first-layer inputs (row s is what the first layer reads at s):
    log p(target) at the last row, and its gradient with respect to every row, (T, width), float64.

    `influence` feeds embedding rows; a caller may feed anything, e.g. a finite-difference check."""
    _check_net(net)
    xs = np.asarray(inputs, dtype=np.float64)
    if xs.ndim != 2 or xs.shape[0] == 0 or xs.shape[1] != net.embed_dim:
        raise ValueError(f"inputs must be a (positions, {net.embed_dim}) matrix with at least one row, "
                         f"not shape {xs.shape}")
    if not np.isfinite(xs).all():
        raise ValueError("inputs contain NaN or infinite values")
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise ValueError(f"target must be a token id (a whole number), not {target!r}")
    if not 0 <= target < net.output_size:
        raise ValueError(f"target must lie between 0 and {net.output_size - 1} (the model's outputs), not {target}")
    target = int(target)

    # Forward: batch of one, every layer's gates kept for its backward steps.
    stack = [Layer(layer.cell, layer.forward) for layer in net.layers]
    feed = xs[None]
    for layer in stack:
        feed = layer.forward(feed)
    h = feed[0, -1]
    kernel = np.asarray(net.head.kernel, dtype=np.float64)
    logits = h @ kernel + np.asarray(net.head.bias, dtype=np.float64)
    shifted = logits - logits.max()  # log-sum-exp without overflow
    log_z = np.log(np.exp(shifted).sum())
    log_prob = shifted[target] - log_z
    # d log softmax(l)[y] / dl = onehot(y) - p, so d/dh = K[:, y] - K·p.
    a_top = kernel[:, target] - kernel @ np.exp(shifted - log_z)

    # Backward through time: at each step from the top layer down, since a layer's input at t is
    # the output at t of the layer below; shapes (batch 1, one probe, units) as Layer expects.
    a_h = [np.zeros((1, 1, layer.n)) for layer in stack]
    a_c = [np.zeros((1, 1, layer.n)) if layer.cell == "lstm" else None for layer in stack]
    a_h[-1][0, 0] = a_top
    grads = np.empty_like(xs)
    for t in range(xs.shape[0] - 1, -1, -1):
        for depth in range(len(stack) - 1, -1, -1):
            dx, a_h[depth], a_c[depth] = stack[depth].backward_step(t, a_h[depth], a_c[depth])
            if depth:
                a_h[depth - 1] += dx
            else:
                grads[t] = dx[0, 0]
    return float(log_prob), grads


def input_gradients(net: Network, ids: Sequence[int] | np.ndarray, position: int) -> np.ndarray:
    """∂ log p(ids[position+1] | ids[0..position]) / ∂x_s for s = 0 … position: (position+1, width).

    x_s is embedding[ids[s]], what the first recurrent layer reads at s. 0 ≤ position ≤ len(ids)−2."""
    _check_net(net)
    arr = _ids(net, ids)
    pos = _position(position, len(arr))
    target = int(arr[pos + 1])
    if target >= net.output_size:
        raise ValueError(f"the token after position {pos} has id {target}, which the model's "
                         f"{net.output_size} outputs cannot predict")
    return log_prob_and_gradients(net, net.embedding[arr[:pos + 1]], target)[1]


def influence(net: Network, ids: Sequence[int] | np.ndarray, position: int) -> np.ndarray:
    """How much each position 0 … `position` moved the prediction of ids[position+1]: the L2 norm of
    the gradient of its log-probability with respect to that position's input vector.

    Returns a non-negative float64 array of length position+1."""
    return np.linalg.norm(input_gradients(net, ids, position), axis=1)
