"""The Keras code shown on the Train page runs, and builds the very network the app trains."""

import pytest

from lstm_core.spec import ModelSpec
from lstm_core.teaching.params import recurrent_params, total_params
from lstm_core.training.keras_code import TEXTBOOK_WINDOW, keras_code, textbook_code


@pytest.mark.parametrize("spec", [ModelSpec(vocab_size=66, cell="lstm", layers=2, units=32, embed_dim=16, dropout=0.1),
                                  ModelSpec(vocab_size=40, cell="gru", layers=1, units=24, embed_dim=8),
                                  ModelSpec(vocab_size=30, cell="rnn", layers=3, units=12, embed_dim=4)])
def test_the_code_for_the_settings_builds_the_apps_network(spec):
    space: dict = {}
    exec(keras_code(spec, seq_len=64, batch_size=16, learning_rate=0.01), space)  # noqa: S102
    assert space["model"].count_params() == total_params(spec)
    x, y = next(space["windows"](__import__("numpy").arange(1, 500) % spec.vocab_size))
    assert x.shape == y.shape == (16, 64) and (x[:, 1:] == y[:, :-1]).all()  # the same window, one step on


def test_the_textbooks_recipe_runs_and_counts_as_the_textbook_does():
    space: dict = {}
    exec(textbook_code(58), space)  # noqa: S102
    chars = 57
    lstm = recurrent_params("lstm", chars, 128)
    assert space["model"].count_params() == lstm + 128 * chars + chars
    assert space["model"].input_shape == (None, TEXTBOOK_WINDOW, chars)
