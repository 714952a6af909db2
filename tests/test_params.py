import pytest

from lstm_core.inference.params import layer_counts, recurrent_formula, recurrent_params, total_params
from lstm_core.spec import ModelSpec, SpecError


def test_textbook_examples():
    assert recurrent_params("lstm", 300, 50) == 70_200
    assert recurrent_params("lstm", 32, 40) == 11_680
    assert recurrent_formula("lstm", 300, 50) == "4·(m + n + 1)·n = 4·(300 + 50 + 1)·50"


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 3])
def test_counts_equal_keras(cell, layers):
    from lstm_core.training.keras_model import build_char_model

    spec = ModelSpec(vocab_size=23, cell=cell, layers=layers, units=7, embed_dim=5, dropout=0.1)
    model = build_char_model(spec)
    assert total_params(spec) == model.count_params()
    weighted = [layer for layer in model.layers if layer.weights]
    assert [row.count for row in layer_counts(spec)] == [layer.count_params() for layer in weighted]


@pytest.mark.parametrize("kwargs", [dict(cell="transformer"), dict(layers=0), dict(layers=4), dict(units=0),
                                    dict(units=2.5), dict(embed_dim=10_000), dict(dropout=1.0), dict(vocab_size=1)])
def test_impossible_shapes_are_refused(kwargs):
    with pytest.raises(SpecError):
        ModelSpec(**{"vocab_size": 10, **kwargs})
