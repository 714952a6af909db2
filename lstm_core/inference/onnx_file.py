"""Reading a character model from an ONNX file (PyTorch's torch.onnx.export) into a Network.

The file is read as data (its protobuf), never run. LSTM Lab follows the graph back from its first
output to its input and accepts only what it can compute exactly: the input ids, an embedding (Gather
on a weight table) or one-hot vectors, then ONNX LSTM, GRU (linear_before_reset=1, as PyTorch
exports it) or RNN (tanh) operators with their default activations and zero initial states, then a
Dense head (MatMul + Add, or Gemm), then Softmax or Sigmoid, or nothing (logits). Around them the
exporter's reshaping (Transpose, Squeeze, Unsqueeze, Reshape, ...) is followed axis by axis, so that
a transposition that mixes time with the batch is refused rather than run wrongly. Other outputs
(the final states a model may return too) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lstm_core.i18n import _
from lstm_core.inference.gate_order import ONNX_ORDER, keras_cell
from lstm_core.inference.keras_config import MAX_PARAMETERS, input_table, logits_head
from lstm_core.inference.netweights import DenseHead, Network, RecurrentLayer, WeightsError, checked_float32

CELL_OF_OP = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
DEFAULT_ACTIVATIONS = {"lstm": ["Sigmoid", "Tanh", "Tanh"], "gru": ["Sigmoid", "Tanh"], "rnn": ["Tanh"]}
# Operators that only move the data between axes or pass it on unchanged (Dropout at inference time).
LAYOUT_OPS = ("Transpose", "Squeeze", "Unsqueeze", "Reshape", "Identity", "Cast", "Dropout")
HEAD_OPS = {"Softmax": "softmax", "Sigmoid": "sigmoid"}
FLOATS = (1, 10, 11)  # ONNX's FLOAT, FLOAT16 and DOUBLE element types
READ_OPS = "LSTM, GRU, RNN, Gather, OneHot, MatMul, Add, Gemm, Softmax, Sigmoid, " + ", ".join(LAYOUT_OPS)
# Shapes and values that make zeros whatever they are made of: an initial state built from the input's
# batch size (Shape, Gather, Concat, ...) and then ConstantOfShape is zero.
ZERO_KEEPING = ("Slice", "Reshape", "Unsqueeze", "Squeeze", "Transpose", "Expand", "Cast", "Identity", "Gather",
                "Tile")


def _cannot(message: str, **fields) -> WeightsError:
    return WeightsError(_("LSTM Lab cannot run this model: {problem}").format(problem=message.format(**fields)))


def _named(node) -> str:
    return repr(node.name) if node.name else node.op_type


@dataclass
class _Flow:
    """The tensor on the way from the input to the output: what each of its axes is.

    Axes are labelled "t0"/"t1" (the input's two axes: which is time and which the batch is learnt at
    the first recurrent operator), "F" (features: `width` numbers), "D" (directions: `dirs`), "1" (an
    axis of length 1) or "N" (the batch and time merged: rows that are the steps of one text)."""

    axes: list[str]
    width: int = 0
    dirs: int = 1
    stage: str = "ids"  # ids -> features -> logits -> probabilities
    time: str | None = None
    batch: str | None = None
    layers: list[RecurrentLayer] = field(default_factory=list)
    embedding: np.ndarray | None = None
    form: str = ""
    head: tuple[np.ndarray, np.ndarray] | None = None
    activation: str | None = None


class _Graph:
    def __init__(self, model):
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.graph = model.graph
        self.opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
        self.initializers = {t.name: t for t in self.graph.initializer}
        self.producer = {out: node for node in self.graph.node for out in node.output}
        for node in self.graph.node:
            if node.domain not in ("", "ai.onnx"):
                raise _cannot(_("its graph uses the operator {op} from {domain}, which is not a standard ONNX "
                                "operator."), op=node.op_type, domain=repr(node.domain))

    def attrs(self, node) -> dict:
        out = {}
        for a in node.attribute:
            value = self.helper.get_attribute_value(a)
            out[a.name] = value.decode() if isinstance(value, bytes) else \
                [v.decode() if isinstance(v, bytes) else v for v in value] if isinstance(value, list) else value
        return out

    def const(self, name: str) -> np.ndarray | None:
        """The value of a tensor the graph holds as a constant; None for one computed from the input."""
        if name in self.initializers:
            tensor = self.initializers[name]
            if tensor.data_location == tensor.EXTERNAL:
                raise WeightsError(_("LSTM Lab will not read this .onnx file: its weight {name} is kept in another "
                                     "file. Export the model into one file.").format(name=repr(name)))
            return self.numpy_helper.to_array(tensor)
        node = self.producer.get(name)
        if node is None:
            return None
        attrs = self.attrs(node)
        if node.op_type == "Constant":
            for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
                if key in attrs:
                    value = attrs[key]
                    return self.numpy_helper.to_array(value) if key == "value" else np.asarray(value)
            return None
        if node.op_type in ("Identity", "Cast", "Transpose"):
            value = self.const(node.input[0])
            if value is None or node.op_type != "Transpose":
                return value
            return np.transpose(value, attrs.get("perm"))
        return None

    def zeros(self, name: str) -> bool:
        """Whether a tensor is all zeros, whatever shape it takes (an absent optional input is)."""
        if not name:
            return True
        value = self.const(name)
        if value is not None:
            return not np.any(value)
        node = self.producer.get(name)
        if node is None:
            return False
        if node.op_type == "ConstantOfShape":
            value = self.attrs(node).get("value")
            return value is None or not np.any(self.numpy_helper.to_array(value))
        if node.op_type == "Concat":
            return all(self.zeros(i) for i in node.input)
        return node.op_type in ZERO_KEEPING and self.zeros(node.input[0])

    def main_input(self, node) -> int:
        """Which input of a node on the way to the output carries the text's data (the others are weights)."""
        op = node.op_type
        if op in ("MatMul", "Add"):
            computed = [k for k, name in enumerate(node.input) if self.const(name) is None]
            if len(computed) != 1:
                raise _cannot(_("its {op} node {node} combines two computed tensors; LSTM Lab reads {op} only as "
                                "the output layer's weights or bias."), op=op, node=_named(node))
            return computed[0]
        if op == "Gather":
            return 1 if self.const(node.input[0]) is not None else 0
        if op in CELL_OF_OP or op in LAYOUT_OPS or op in HEAD_OPS or op in ("Gemm", "OneHot"):
            return 0
        raise _cannot(_("its graph uses the ONNX operator {op} (node {node}); LSTM Lab reads only {supported}."),
                      op=op, node=_named(node), supported=READ_OPS)

    def path(self) -> tuple[object, list[tuple[object, int]]]:
        """The graph's input and the nodes from it to the first output, each with which of its outputs
        the path takes."""
        inputs = [i for i in self.graph.input if i.name not in self.initializers]
        if len(inputs) != 1 or not self.graph.output:
            raise _cannot(_("it must have one input (the characters' ids) and an output; this graph has {inputs} "
                            "inputs and {outputs} outputs."), inputs=len(inputs), outputs=len(self.graph.output))
        steps, name = [], self.graph.output[0].name
        while name != inputs[0].name:
            node = self.producer.get(name)
            if node is None or len(steps) > len(self.graph.node):
                raise _cannot(_("its first output does not depend on its input."))
            steps.append((node, list(node.output).index(name)))
            name = node.input[self.main_input(node)]
        return inputs[0], steps[::-1]


def _input_flow(graph_input) -> _Flow:
    tensor = graph_input.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    if tensor.elem_type in (6, 7) and len(dims) == 2:  # INT32, INT64: ids, (batch, time) or (time, batch)
        return _Flow(["t0", "t1"])
    if tensor.elem_type == 1 and len(dims) == 3 and dims[2]:  # FLOAT: a vector per character
        return _Flow(["t0", "t1", "F"], width=dims[2], stage="features")
    raise _cannot(_("its input must be the characters' ids (whole numbers, two axes: the batch and the time) or "
                    "a vector of numbers for each character (three axes); this one is {shape}."),
                  shape=f"{tensor.elem_type}:{dims}")


def _axis(attrs: dict, flow: _Flow, default: int = 0) -> int:
    axis = attrs.get("axis", default)
    return axis + len(flow.axes) if axis < 0 else axis


def _axes_of(g: _Graph, node, attrs: dict, rank: int) -> list[int] | None:
    """Squeeze's and Unsqueeze's axes (counted in a tensor of `rank` axes): an attribute before
    opset 13, an input from then on."""
    axes = attrs.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        value = g.const(node.input[1])
        if value is None:
            raise _cannot(_("the axes of its {op} node {node} are computed, not written in the file."),
                          op=node.op_type, node=_named(node))
        axes = value.reshape(-1).tolist()
    return None if axes is None else sorted(int(a) + rank if a < 0 else int(a) for a in axes)


def _unfollowable(node) -> WeightsError:
    return _cannot(_("its {op} node {node} moves the data between axes in a way LSTM Lab cannot follow."),
                   op=node.op_type, node=_named(node))


def _size(flow: _Flow, label: str) -> int | None:
    return {"F": flow.width, "D": flow.dirs, "1": 1}.get(label)


def _layout(g: _Graph, node, flow: _Flow) -> None:
    attrs, op, axes = g.attrs(node), node.op_type, flow.axes
    if op == "Transpose":
        perm = attrs.get("perm", list(range(len(axes)))[::-1])
        if sorted(perm) != list(range(len(axes))):
            raise _unfollowable(node)
        flow.axes = [axes[p] for p in perm]
    elif op == "Squeeze":
        gone = _axes_of(g, node, attrs, len(axes))
        if gone is None or any(not 0 <= a < len(axes) or _size(flow, axes[a]) != 1 for a in gone):
            raise _unfollowable(node)
        flow.axes = [a for k, a in enumerate(axes) if k not in gone]
    elif op == "Unsqueeze":
        added = _axes_of(g, node, attrs, 0)
        if added is None:
            raise _unfollowable(node)
        new = _axes_of(g, node, attrs, len(axes) + len(added))
        out = list(axes)
        for a in new:
            out.insert(a, "1")
        flow.axes = out
    elif op == "Reshape":
        _reshape(g, node, flow)
    elif op == "Cast" and flow.stage != "ids" and attrs.get("to") not in FLOATS:
        raise _unfollowable(node)
    elif op == "Dropout" and len(node.input) > 2 and node.input[2] and g.const(node.input[2]) is not None \
            and bool(g.const(node.input[2])):
        raise _cannot(_("its Dropout node {node} is in training mode: export the model after model.eval()."),
                      node=_named(node))


def _reshape(g: _Graph, node, flow: _Flow) -> None:
    """The reshapes an exporter writes: the two directions' outputs side by side (…, D, F) -> (…, 2F),
    the batch and time merged into rows (…, F) -> (-1, F), or axes of length 1 added or taken away."""
    shape = g.const(node.input[1]) if len(node.input) > 1 else None
    if shape is None:
        raise _unfollowable(node)
    target, axes = [int(s) for s in shape.reshape(-1)], flow.axes
    out = [axes[k] if s == 0 and k < len(axes) else s for k, s in enumerate(target)]
    known = [a for a in axes if _size(flow, a) != 1]
    if len(target) == len(axes) - 1 and axes[-2:] == ["D", "F"] and out[:-1] == axes[:-2] \
            and target[-1] in (-1, flow.dirs * flow.width):
        flow.axes, flow.width, flow.dirs = axes[:-2] + ["F"], flow.dirs * flow.width, 1
    elif target == [-1, flow.width] and len(axes) == 3 and axes[-1] == "F" and "D" not in axes:
        flow.axes = ["N", "F"]
    elif [a for a in out if a not in (1, "1")] == known and -1 not in out:
        flow.axes = ["1" if a == 1 else a for a in out]
    else:
        raise _unfollowable(node)


def _embedding(g: _Graph, node, flow: _Flow) -> None:
    attrs = g.attrs(node)
    if node.op_type == "Gather":
        table = g.const(node.input[0])
        if attrs.get("axis", 0) != 0 or table.ndim != 2:
            raise _cannot(_("its Gather node {node} does not look a character's vector up in a table."),
                          node=_named(node))
        flow.embedding, flow.width, flow.form = table, table.shape[1], "embedding"
    else:  # OneHot(ids, depth, values)
        depth, values = g.const(node.input[1]), g.const(node.input[2])
        if depth is None or values is None or values.reshape(-1).tolist() != [0, 1] or \
                attrs.get("axis", -1) not in (-1, len(flow.axes)):
            raise _cannot(_("its OneHot node {node} is not a plain one-hot vector of a fixed length."),
                          node=_named(node))
        flow.width = int(depth.reshape(-1)[0])
        flow.embedding, flow.form = np.eye(flow.width, dtype=np.float32), "one-hot"
    flow.axes = flow.axes + ["F"]
    flow.stage = "features"


def _recurrent(g: _Graph, node, taken: int, flow: _Flow) -> None:
    cell, attrs, name = CELL_OF_OP[node.op_type], g.attrs(node), _named(node)
    if flow.layers and not flow.layers[-1].return_sequences:
        raise _cannot(_("its recurrent node {node} follows one that gives only its last step."), node=name)
    direction = attrs.get("direction", "forward")
    if direction not in ("forward", "bidirectional"):
        raise _cannot(_("its {op} node {node} reads the text only backwards (direction={direction})."),
                      op=node.op_type, node=name, direction=direction)
    dirs, layout = 2 if direction == "bidirectional" else 1, attrs.get("layout", 0)
    if attrs.get("activations", DEFAULT_ACTIVATIONS[cell] * dirs) != DEFAULT_ACTIVATIONS[cell] * dirs:
        raise _cannot(_("its {op} node {node} uses the activations {activations}; LSTM Lab runs only the "
                        "default ones."), op=node.op_type, node=name, activations=attrs["activations"])
    for key, default in (("clip", None), ("input_forget", 0), ("activation_alpha", None), ("activation_beta", None)):
        if attrs.get(key, default) != default:
            raise _cannot(_("its {op} node {node} uses {key}={value}, which LSTM Lab does not compute."),
                          op=node.op_type, node=name, key=key, value=attrs[key])
    if cell == "gru" and attrs.get("linear_before_reset", 0) != 1:
        raise _cannot(_("its GRU node {node} uses linear_before_reset=0 (the reset gate applied to the state "
                        "before its weights, Keras' reset_after=False); LSTM Lab runs GRUs with "
                        "linear_before_reset=1, which is how PyTorch's GRU is exported."), node=name)
    inputs = list(node.input) + [""] * (8 - len(node.input))
    if inputs[4]:
        raise _cannot(_("its {op} node {node} is given the texts' lengths (sequence_lens); export it with "
                        "padded texts of one length instead."), op=node.op_type, node=name)
    for k, what in ((5, "initial_h"), (6, "initial_c"), (7, "P")):
        if not g.zeros(inputs[k]):
            raise _cannot(_("its {op} node {node} has a {input} input that LSTM Lab cannot tell is zero."),
                          op=node.op_type, node=name, input=what)
    if taken == 2:
        raise _cannot(_("its output is computed from the cell state of node {node}, not from its output."),
                      node=name)
    x = flow.axes
    if flow.stage != "features" or len(x) != 3 or x[2] != "F" or "D" in x or "N" in x:
        raise _cannot(_("its {op} node {node} does not read a sequence of vectors."), op=node.op_type, node=name)
    time, batch = (x[0], x[1]) if layout == 0 else (x[1], x[0])
    if flow.time is None:
        flow.time, flow.batch = time, batch
    elif (time, batch) != (flow.time, flow.batch):
        raise _cannot(_("its {op} node {node} reads the batch as time: the axes are mixed up on the way to it."),
                      op=node.op_type, node=name)
    units = attrs.get("hidden_size")
    weights = [g.const(n) if n else None for n in inputs[1:4]]
    if weights[0] is None or weights[1] is None or not isinstance(units, int) or units < 1:
        raise _cannot(_("the weights of its {op} node {node} are computed, not written in the file."),
                      op=node.op_type, node=name)
    width = len(ONNX_ORDER[cell]) * units
    bias_width = 2 * width
    w = checked_float32(weights[0], (dirs, width, flow.width), _("node {node} input W").format(node=name))
    r = checked_float32(weights[1], (dirs, width, units), _("node {node} input R").format(node=name))
    b = np.zeros((dirs, bias_width), np.float32) if weights[2] is None else \
        checked_float32(weights[2], (dirs, bias_width), _("node {node} input B").format(node=name))
    cells = [keras_cell(cell, ONNX_ORDER[cell], w[d], r[d], b[d, :width], b[d, width:]) for d in range(dirs)]
    sequences = taken == 0
    flow.layers.append(RecurrentLayer(cell, units, cells[0], cells[1] if dirs == 2 else None, sequences,
                                      node.name or f"{cell}_{len(flow.layers) + 1}"))
    if sequences:
        flow.axes = [time, "D", batch, "F"] if layout == 0 else [batch, time, "D", "F"]
    else:
        flow.axes = ["D", batch, "F"] if layout == 0 else [batch, "D", "F"]
    flow.width, flow.dirs = units, dirs


def _pick(g: _Graph, node, flow: _Flow) -> None:
    """Gather on the data: the last step of the sequence (out[:, -1]), or the only direction."""
    attrs, index = g.attrs(node), g.const(node.input[1])
    axis = _axis(attrs, flow)
    label = flow.axes[axis] if axis < len(flow.axes) else None
    if index is None or index.ndim != 0 or label is None:
        raise _unfollowable(node)
    if label == flow.time and int(index) == -1 and flow.layers and flow.layers[-1].return_sequences:
        last = flow.layers[-1]
        if last.bidirectional:
            # There the backward direction has read one character; a many-to-one bidirectional layer
            # (LSTM Lab's, Keras') gives the backward direction's state after the whole text (ONNX's Y_h).
            raise _cannot(_("its Gather node {node} takes the last step of a bidirectional layer's output, where "
                            "the backward direction has read only the last character; use the layer's final "
                            "states (h_n) instead."), node=_named(node))
        flow.layers[-1] = RecurrentLayer(last.cell, last.units, last.forward, last.backward, False, last.name)
    elif _size(flow, label) != 1:
        raise _unfollowable(node)
    flow.axes = flow.axes[:axis] + flow.axes[axis + 1:]


def _dense(g: _Graph, node, flow: _Flow) -> None:
    name = _named(node)
    if flow.stage != "features" or not flow.layers or flow.axes[-1] != "F" or "D" in flow.axes:
        raise _cannot(_("its {op} node {node} is not an output layer after the recurrent ones."), op=node.op_type,
                      node=name)
    if node.op_type == "MatMul":
        kernel = g.const(node.input[1 - g.main_input(node)])
        if g.main_input(node) != 0 or kernel.ndim != 2:
            raise _cannot(_("its MatMul node {node} is not an output layer's x·W."), node=name)
        bias = np.zeros(kernel.shape[1], np.float32)
    else:  # Gemm: alpha·A'·B' + beta·C
        attrs = g.attrs(node)
        if attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0 or attrs.get("transA", 0) or \
                len(flow.axes) != 2:
            raise _cannot(_("its Gemm node {node} is not a plain output layer x·W + b."), node=name)
        kernel = g.const(node.input[1])
        if kernel is None or kernel.ndim != 2:
            raise _cannot(_("the weights of its {op} node {node} are computed, not written in the file."),
                          op="Gemm", node=name)
        kernel = kernel.T if attrs.get("transB", 0) else kernel
        bias = g.const(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros(kernel.shape[1])
        if bias is None or bias.size not in (1, kernel.shape[1]):
            raise _cannot(_("its Gemm node {node} is not a plain output layer x·W + b."), node=name)
        bias = np.broadcast_to(bias.reshape(-1), (kernel.shape[1],))
    flow.head = (checked_float32(kernel, (flow.width, kernel.shape[1]), _("the output layer's kernel")),
                 bias)
    flow.width, flow.stage = kernel.shape[1], "logits"


def _bias(g: _Graph, node, flow: _Flow) -> None:
    kernel, bias = flow.head
    added = g.const(node.input[1 - g.main_input(node)])
    if flow.stage != "logits" or np.any(bias) or added.size != flow.width or added.shape[-1:] != (flow.width,):
        raise _cannot(_("its Add node {node} is not the output layer's bias."), node=_named(node))
    flow.head = (kernel, added.reshape(-1))


def _activation(g: _Graph, node, flow: _Flow) -> None:
    attrs = g.attrs(node)
    if flow.stage != "logits":
        raise _cannot(_("its {op} node {node} is not applied to the output layer."), op=node.op_type,
                      node=_named(node))
    if node.op_type == "Softmax":
        # Before opset 13, Softmax flattens every axis from `axis` on: exact only on the last one.
        axis = _axis(attrs, flow, default=-1 if g.opset >= 13 else 1)
        if axis != len(flow.axes) - 1 or flow.axes[-1] != "F":
            raise _cannot(_("its Softmax node {node} is not taken over the characters."), node=_named(node))
    flow.activation, flow.stage = HEAD_OPS[node.op_type], "probabilities"


def network(model) -> Network:
    """A Network from a parsed onnx.ModelProto."""
    g = _Graph(model)
    parameters = sum(int(np.prod(t.dims)) for t in g.graph.initializer)
    if parameters > MAX_PARAMETERS:
        raise WeightsError(_("LSTM Lab cannot run this model: it has {parameters:,} parameters, more than "
                             "the {most:,} it accepts.").format(parameters=parameters, most=MAX_PARAMETERS))
    graph_input, steps = g.path()
    flow = _input_flow(graph_input)
    for node, taken in steps:
        op = node.op_type
        if op in ("Gather", "OneHot") and flow.stage == "ids" and (op == "OneHot" or g.main_input(node) == 1):
            _embedding(g, node, flow)
        elif flow.stage == "ids" and op not in LAYOUT_OPS:
            raise _cannot(_("its {op} node {node} reads the characters' ids directly; LSTM Lab reads them "
                            "through an embedding (Gather) or as one-hot vectors."), op=op, node=_named(node))
        elif op in CELL_OF_OP:
            _recurrent(g, node, taken, flow)
        elif op == "Gather":
            _pick(g, node, flow)
        elif op in ("MatMul", "Gemm"):
            _dense(g, node, flow)
        elif op == "Add":
            _bias(g, node, flow)
        elif op in HEAD_OPS:
            _activation(g, node, flow)
        elif flow.stage == "probabilities" and op not in LAYOUT_OPS:
            raise _cannot(_("its {op} node {node} comes after the output's activation."), op=op, node=_named(node))
        else:
            _layout(g, node, flow)
    if flow.head is None:
        raise _cannot(_("it must end with an output layer (MatMul and Add, or Gemm) after its recurrent layers."))
    kernel, bias = flow.head
    embedding, form = flow.embedding, flow.form
    if embedding is None:  # the graph's input is already a vector per character
        embedding, form = input_table(flow.layers[0].input_dim, kernel.shape[1], flow.layers[0].name)
    head = DenseHead(kernel, bias, flow.activation) if flow.activation else logits_head(kernel, bias)
    return Network(embedding, tuple(flow.layers), head, g.graph.name, form)


def from_onnx_bytes(data: bytes) -> Network:
    """Read an ONNX model (the bytes of a `.onnx` file) without running anything in it."""
    import onnx  # imported when a file is opened: pages that never open one never load protobuf's onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise WeightsError(_("This .onnx file is damaged: it is not an ONNX model ({error}).").format(error=exc)) \
            from None
    if not model.graph.node:
        raise WeightsError(_("This .onnx file is damaged: its graph is empty."))
    try:  # the operators' inputs and attributes as ONNX defines them, before anything relies on them
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise WeightsError(_("This .onnx file is damaged: {error}").format(error=str(exc).splitlines()[0])) \
            from None
    return network(model)
