"""Character models in ONNX graphs (as PyTorch exports them): LSTM Lab's probabilities equal onnxruntime's
for each recurrent operator, stacked and bidirectional layers, each input form and head; what it cannot
compute is refused naming the operator."""

import numpy as np
import pytest
from onnx import numpy_helper
from helpers_onnx import graph, random_weights, run, softmax

from lstm_core.inference.engine import trace
from lstm_core.inference.netweights import WeightsError
from lstm_core.inference.onnx_file import from_onnx_bytes

V, E, H = 7, 5, 6
TOL = 1e-5
IDS = np.random.default_rng(9).integers(0, V, size=23)


def feed(input_form: str) -> np.ndarray:
    return np.eye(V, dtype=np.float32)[IDS] if input_form == "float" else IDS


@pytest.mark.parametrize("op,layers,dirs,input_form,head,many_to_one", [
    ("LSTM", 1, 1, "gather", "softmax", False),
    ("LSTM", 2, 1, "gather", "logits", False),
    ("GRU", 2, 1, "onehot", "softmax", False),
    ("RNN", 1, 1, "float", "logits", False),
    ("LSTM", 2, 1, "float", "softmax", True),
    ("GRU", 1, 2, "gather", "softmax", False),
    ("LSTM", 2, 2, "gather", "logits", False),
    ("GRU", 2, 1, "gather", "softmax", "h_n"),
    ("LSTM", 1, 2, "onehot", "softmax", "h_n"),  # a bidirectional layer's final states, side by side
])
def test_probabilities_equal_onnxruntime(op, layers, dirs, input_form, head, many_to_one):
    w = random_weights(op, layers, V, E if input_form == "gather" else None, H, dirs=dirs, seed=layers + dirs)
    model = graph(w, input_form=input_form, head=head, many_to_one=many_to_one)
    net = from_onnx_bytes(model.SerializeToString())
    assert (len(net.layers), net.bidirectional, net.head.from_logits) == (layers, dirs == 2, head == "logits")
    assert net.input_form == ("embedding" if input_form == "gather" else "one-hot")
    expected = run(model, feed(input_form))
    expected = softmax(expected) if head == "logits" else expected
    got = trace(net, IDS)
    if many_to_one:
        assert not net.return_sequences
        np.testing.assert_allclose(got.final_probs, expected, atol=TOL, rtol=0)
    else:
        np.testing.assert_allclose(got.probs, expected, atol=TOL, rtol=0)


def test_the_last_step_of_a_bidirectional_output_is_refused():
    # out[:, -1] of a bidirectional layer is not what a many-to-one bidirectional layer gives.
    model = graph(random_weights("LSTM", 1, V, E, H, dirs=2), many_to_one=True)
    with pytest.raises(WeightsError, match="bidirectional.*h_n"):
        from_onnx_bytes(model.SerializeToString())


def test_a_gru_that_resets_before_its_weights_is_refused_clearly():
    # linear_before_reset=0 is Keras' reset_after=False, which the engine does not compute.
    model = graph(random_weights("GRU", 1, V, E, H), linear_before_reset=0)
    with pytest.raises(WeightsError, match="linear_before_reset=0"):
        from_onnx_bytes(model.SerializeToString())


@pytest.mark.parametrize("op", ["Relu", "Neg"])
def test_an_operator_it_does_not_read_is_named(op):
    model = graph(random_weights("LSTM", 2, V, E, H), extra=op)
    with pytest.raises(WeightsError, match=rf"operator {op} \(node '{op.lower()}_"):
        from_onnx_bytes(model.SerializeToString())


def test_a_damaged_file_is_said_to_be_damaged():
    model = graph(random_weights("LSTM", 1, V, E, H)).SerializeToString()
    with pytest.raises(WeightsError, match="damaged"):
        from_onnx_bytes(model[: len(model) // 2])
    with pytest.raises(WeightsError, match="damaged"):
        from_onnx_bytes(b"not a model")
    model = graph(random_weights("LSTM", 1, V, E, H))
    del next(n for n in model.graph.node if n.op_type == "Gather").input[0]  # a lookup without its table
    with pytest.raises(WeightsError, match="damaged.*Gather"):
        from_onnx_bytes(model.SerializeToString())


def test_an_initial_state_that_is_not_zero_is_refused():
    model = graph(random_weights("LSTM", 1, V, E, H))
    start = next(n for n in model.graph.node if n.op_type == "ConstantOfShape")
    start.attribute[0].t.CopyFrom(numpy_helper.from_array(np.array([0.5], np.float32)))
    with pytest.raises(WeightsError, match="initial_h"):
        from_onnx_bytes(model.SerializeToString())
