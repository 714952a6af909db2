"""The Keras code shown on the Train page runs, and builds the very network the app trains."""

import pytest

from lstm_core.spec import ModelSpec
from lstm_core.inference.params import recurrent_params, total_params
from lstm_core.training.keras_code import TEXTBOOK_WINDOW, keras_code, textbook_code
from lstm_core.training.keras_model import build_char_model


@pytest.fixture
def float32_afterwards():
    """The bfloat16 code sets Keras' global policy, as a person's script would: later tests get float32 back."""
    import keras

    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
@pytest.mark.parametrize("spec", [ModelSpec(vocab_size=66, cell="lstm", layers=2, units=32, embed_dim=16, dropout=0.1),
                                  ModelSpec(vocab_size=40, cell="gru", layers=1, units=24, embed_dim=8),
                                  ModelSpec(vocab_size=30, cell="rnn", layers=3, units=12, embed_dim=4)])
def test_the_code_for_the_settings_builds_the_apps_network(spec, precision, float32_afterwards):
    space: dict = {}
    exec(keras_code(spec, seq_len=64, batch_size=16, learning_rate=0.01, precision=precision), space)  # noqa: S102
    model = space["model"]
    assert model.count_params() == total_params(spec)
    # Each layer computes in what the app's own network of that precision computes in.
    apps = build_char_model(spec, precision=precision)
    assert ([layer.dtype_policy.name for layer in model.layers]
            == [layer.dtype_policy.name for layer in apps.layers if layer.name != "chars"])
    x, y = next(space["windows"](__import__("numpy").arange(1, 500) % spec.vocab_size))
    assert x.shape == y.shape == (16, 64) and (x[:, 1:] == y[:, :-1]).all()  # the same window, one step on


def test_the_textbooks_recipe_runs_and_counts_as_the_textbook_does():
    space: dict = {}
    exec(textbook_code(58), space)  # noqa: S102
    chars = 57
    lstm = recurrent_params("lstm", chars, 128)
    assert space["model"].count_params() == lstm + 128 * chars + chars
    assert space["model"].input_shape == (None, TEXTBOOK_WINDOW, chars)
