"""Small character models written as ONNX graphs with onnx.helper (the glue torch.onnx.export writes around
its recurrent operators included), random weights in ONNX's layout, and onnxruntime to run them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
OPSET = 17


@dataclass
class Weights:
    """The model's weights in ONNX's layout: per layer W (dirs, G·H, in), R (dirs, G·H, H), B (dirs, 2·G·H)."""

    op: str
    embedding: np.ndarray | None
    layers: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    head: tuple[np.ndarray, np.ndarray] | None = None  # W (F, V), b (V,)


def random_weights(op: str, layers: int, vocab: int, embed: int | None, units: int, dirs: int = 1,
                   seed: int = 0, scale: float = 0.5) -> Weights:
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return rng.normal(0, scale, shape).astype(np.float32)

    g = GATES[op] * units
    w = Weights(op, normal(vocab, embed) if embed else None)
    width = embed or vocab
    for _ in range(layers):
        w.layers.append((normal(dirs, g, width), normal(dirs, g, units), normal(dirs, 2 * g)))
        width = units * dirs
    w.head = (normal(width, vocab), normal(vocab))
    return w


def graph(w: Weights, *, input_form: str = "gather", head: str = "softmax", many_to_one: bool | str = False,
          linear_before_reset: int = 1, extra: str | None = None) -> onnx.ModelProto:
    """ids (batch, time) -> [Gather | OneHot] or float (batch, time, V) -> Transpose to time first -> recurrent
    operators (zero initial state made from the input's batch size, as the exporter does) -> back to batch
    first -> MatMul + Add (or last step and Gemm) -> Softmax or logits. `many_to_one`: True for the output's
    last step (out[:, -1]), "h_n" for the last layer's final states. `extra`: an operator put after the
    first recurrent layer's output."""
    nodes, inits = [], []
    vocab = w.head[0].shape[1]

    def init(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op, inputs, outputs, **attrs):
        nodes.append(helper.make_node(op, inputs, outputs, name=f"{op.lower()}_{len(nodes)}", **attrs))
        return outputs[0]

    if input_form == "float":
        graph_in = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "time", vocab])
        x = "x"
    else:
        graph_in = helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "time"])
        if input_form == "gather":
            x = node("Gather", [init("embed.weight", w.embedding), "ids"], ["embedded"])
        else:
            x = node("OneHot", ["ids", init("depth", np.array(vocab, np.int64)),
                                init("onehot_values", np.array([0, 1], np.float32))], ["onehot"], axis=-1)
    x = node("Transpose", [x], ["time_first"], perm=[1, 0, 2])
    batch = node("Slice", [node("Shape", ["ids" if input_form != "float" else "x"], ["shape"]),
                           init("zero", np.array([0], np.int64)), init("one", np.array([1], np.int64))], ["batch"])
    for k, (W, R, B) in enumerate(w.layers):
        dirs, units = W.shape[0], R.shape[2]
        state_shape = node("Concat", [init(f"dirs{k}", np.array([dirs], np.int64)), batch,
                                      init(f"units{k}", np.array([units], np.int64))], [f"state_shape{k}"], axis=0)
        h0 = node("ConstantOfShape", [state_shape], [f"h0_{k}"],
                  value=numpy_helper.from_array(np.zeros(1, np.float32)))
        inputs = [x, init(f"W{k}", W), init(f"R{k}", R), init(f"B{k}", B), "", h0]
        attrs = {"hidden_size": units, "direction": "bidirectional" if dirs == 2 else "forward"}
        if w.op == "LSTM":
            inputs.append(h0)
        if w.op == "GRU":
            attrs["linear_before_reset"] = linear_before_reset
        y = node(w.op, inputs, [f"Y{k}", f"Y_h{k}"], **attrs)
        if many_to_one == "h_n" and k == len(w.layers) - 1:  # (dirs, batch, H) -> (batch, dirs·H)
            x = node("Reshape", [node("Transpose", [f"Y_h{k}"], ["h_n"], perm=[1, 0, 2]),
                                 init("flat", np.array([0, -1], np.int64))], ["final"])
        elif dirs == 1:
            x = node("Squeeze", [y, init(f"axis{k}", np.array([1], np.int64))], [f"seq{k}"])
        else:  # (time, 2, batch, H) -> (time, batch, 2H): the forward and backward outputs side by side
            x = node("Reshape", [node("Transpose", [y], [f"tdir{k}"], perm=[0, 2, 1, 3]),
                                 init(f"merge{k}", np.array([0, 0, -1], np.int64))], [f"seq{k}"])
        if extra and k == 0:
            x = node(extra, [x], ["extra"])
    if many_to_one:  # out[-1] over time, then Gemm with the weight as PyTorch's Linear keeps it (V, F)
        if many_to_one is True:
            x = node("Gather", [x, init("last", np.array(-1, np.int64))], ["last_step"], axis=0)
        x = node("Gemm", [x, init("fc.weight", w.head[0].T.copy()), init("fc.bias", w.head[1])], ["logits"],
                 transB=1)
    else:
        x = node("Transpose", [x], ["batch_first"], perm=[1, 0, 2])
        x = node("Add", [node("MatMul", [x, init("fc_w", w.head[0])], ["xw"]), init("fc.bias", w.head[1])],
                 ["logits"])
    if head == "softmax":
        x = node("Softmax", [x], ["probs"], axis=-1)
    out = helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch"] + ([] if many_to_one else ["time"]) + [vocab])
    model = helper.make_model(helper.make_graph(nodes, "char_model", [graph_in], [out], inits),
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def run(model: onnx.ModelProto, feed: np.ndarray) -> np.ndarray:
    """What onnxruntime computes for one text (a batch of one)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: feed[None]})[0][0]


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits.astype(np.float64) - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
