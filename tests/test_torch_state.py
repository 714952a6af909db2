"""PyTorch character models as safetensors state_dicts: the same random weights written in PyTorch's layout
and as an ONNX graph (ONNX's gate order) give LSTM Lab the probabilities onnxruntime computes from the graph,
so the PyTorch reading is checked against an independent implementation; what does not fit names its key."""

import json
import struct

import numpy as np
import pytest
from helpers_onnx import graph, random_weights, run, softmax
from safetensors.numpy import save

from lstm_core.inference.engine import trace
from lstm_core.inference.netweights import WeightsError
from lstm_core.inference.torch_state import from_safetensors_bytes

V, E, H = 7, 5, 6
IDS = np.random.default_rng(4).integers(0, V, size=21)
# Where each of PyTorch's gates is in ONNX's order: LSTM i,f,g,o from i,o,f,c; GRU r,z,n from z,r,h.
FROM_ONNX = {"LSTM": (0, 2, 3, 1), "GRU": (1, 0, 2), "RNN": (0,)}


def state_dict(w, module: str = "rnn") -> dict[str, np.ndarray]:
    """The weights as PyTorch's state_dict holds them: nn.Embedding `embed`, the recurrent module, nn.Linear `fc`."""

    def torch_rows(a):
        blocks = np.split(a, len(FROM_ONNX[w.op]), axis=0)
        return np.ascontiguousarray(np.concatenate([blocks[k] for k in FROM_ONNX[w.op]], axis=0))

    out = {} if w.embedding is None else {"embed.weight": w.embedding}
    for k, (W, R, B) in enumerate(w.layers):
        for d, suffix in enumerate(("", "_reverse")[:W.shape[0]]):
            half = B.shape[1] // 2
            out[f"{module}.weight_ih_l{k}{suffix}"] = torch_rows(W[d])
            out[f"{module}.weight_hh_l{k}{suffix}"] = torch_rows(R[d])
            out[f"{module}.bias_ih_l{k}{suffix}"] = torch_rows(B[d, :half])
            out[f"{module}.bias_hh_l{k}{suffix}"] = torch_rows(B[d, half:])
    out["fc.weight"], out["fc.bias"] = np.ascontiguousarray(w.head[0].T), w.head[1]
    return out


@pytest.mark.parametrize("op,layers,dirs,embedded", [
    ("LSTM", 2, 1, True),
    ("GRU", 2, 1, True),
    ("RNN", 1, 1, False),
    ("GRU", 1, 1, False),
    ("LSTM", 1, 2, True),
])
def test_a_state_dict_gives_what_onnxruntime_computes_from_the_same_weights(op, layers, dirs, embedded):
    w = random_weights(op, layers, V, E if embedded else None, H, dirs=dirs, seed=layers * 10 + dirs)
    net = from_safetensors_bytes(save(state_dict(w, op.lower())))
    assert (len(net.layers), net.bidirectional, net.layers[0].cell) == (layers, dirs == 2, op.lower())
    assert net.head.from_logits and net.head.activation == "softmax"
    assert net.input_form == ("embedding" if embedded else "one-hot")
    model = graph(w, input_form="gather" if embedded else "float", head="logits")
    expected = softmax(run(model, IDS if embedded else np.eye(V, dtype=np.float32)[IDS]))
    np.testing.assert_allclose(trace(net, IDS).probs, expected, atol=1e-5, rtol=0)


def test_a_missing_key_or_a_wrong_shape_is_named():
    weights = state_dict(random_weights("LSTM", 2, V, E, H))
    for key in ("rnn.bias_hh_l1", "rnn.weight_ih_l1"):
        with pytest.raises(WeightsError, match=rf"{key} is missing"):
            from_safetensors_bytes(save({k: a for k, a in weights.items() if k != key}))
    wrong = dict(weights, **{"rnn.weight_hh_l1": weights["rnn.weight_hh_l1"][:, :-1].copy()})
    with pytest.raises(WeightsError, match=r"rnn.weight_hh_l1 has shape \(24, 5\), expected \(24, 6\)"):
        from_safetensors_bytes(save(wrong))
    with pytest.raises(WeightsError, match="output layer.*none fits"):
        from_safetensors_bytes(save({k: a for k, a in weights.items() if k != "fc.bias"}))


def test_weights_it_does_not_know_are_named():
    weights = state_dict(random_weights("GRU", 1, V, E, H))
    with pytest.raises(WeightsError, match="norm.weight"):
        from_safetensors_bytes(save(dict(weights, **{"norm.weight": np.ones(H, np.float32)})))
    with pytest.raises(WeightsError, match="several recurrent modules"):
        from_safetensors_bytes(save(dict(weights, **{"gru2.weight_hh_l0": weights["rnn.weight_hh_l0"]})))
    with pytest.raises(WeightsError, match="damaged"):
        from_safetensors_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
    header = json.dumps({"fc.bias": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    with pytest.raises(WeightsError, match="NumPy cannot read"):  # bfloat16: save the weights as float32
        from_safetensors_bytes(struct.pack("<Q", len(header)) + header + bytes(4))
