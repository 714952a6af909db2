"""The pretrained character models: none ever read a held-out play, their metadata says how they
do on those plays, and the default one's learning history loads in order of steps."""

import json

import numpy as np
import pytest

from lstm_core.data import corpora
from lstm_core.inference.engine import trace
from lstm_core.storage.history import load_history
from lstm_core.storage.persistence import ASSETS, DEFAULT_MODEL, PRETRAINED, load_model_folder
from lstm_core.inference.params import total_params

CHAR_MODELS = [p.parent for p in sorted(ASSETS.glob("*/meta.json"))
               if json.loads(p.read_text()).get("kind") == "char-lm"]


def test_the_held_out_plays_are_not_in_the_training_text():
    paths = corpora.training_play_paths()
    assert not set(corpora.HELD_OUT_PLAYS.values()) & set(paths)
    assert len(paths) == len(corpora._play_paths()) - 3
    text = corpora.shakespeare_text("shakespeare-train")
    for play in corpora.HELD_OUT_PLAYS:
        held = corpora.held_out_text(play)
        # A long passage from the middle of each held-out play appears nowhere in the training text.
        middle = held[len(held) // 2: len(held) // 2 + 400]
        assert middle not in text


@pytest.mark.parametrize("folder", CHAR_MODELS, ids=[f.name for f in CHAR_MODELS])
def test_every_pretrained_character_model_trained_without_the_held_out_plays(folder):
    meta = json.loads((folder / "meta.json").read_text())
    if meta["corpus"]["name"] in corpora.POETRY:  # held-out poems: tests/test_poetry.py checks the split
        assert meta["held_out"]["poems"]["count"] > 0 and meta["held_out"]["mean_loss_nats"] > 0
        return
    assert meta["corpus"]["name"] == "shakespeare-train"
    plays = meta["held_out"]["plays"]
    assert set(plays) == set(corpora.HELD_OUT_PLAYS)
    assert meta["held_out"]["mean_loss_nats"] == pytest.approx(np.mean([p["loss_nats"] for p in plays.values()]))


# The siblings that are shipped (each folder has its regenerate.sh; `make assets` builds what is missing).
SIBLINGS = [name for name in ("gru", "rnn") if (PRETRAINED[name] / "model.keras").is_file()]


@pytest.mark.parametrize("name", SIBLINGS)
def test_the_siblings_differ_from_the_lstm_only_in_their_cell(name):
    """Home compares the three cells' held-out losses as if only the cell differed: so it must."""
    lstm, sibling = load_model_folder("default"), load_model_folder(name)
    assert sibling.spec.cell == name and PRETRAINED[name].name == f"shakespeare-{name}"
    assert abs(total_params(sibling.spec) / total_params(lstm.spec) - 1) < 0.01
    assert (sibling.spec.layers, sibling.spec.embed_dim, sibling.spec.dropout) == \
        (lstm.spec.layers, lstm.spec.embed_dim, lstm.spec.dropout)
    assert sibling.vocab.chars == lstm.vocab.chars and sibling.meta.corpus == lstm.meta.corpus
    assert sibling.meta.metrics.steps == lstm.meta.metrics.steps
    assert set(sibling.meta.held_out.plays) == set(lstm.meta.held_out.plays)


def test_the_recorded_held_out_loss_is_what_the_engine_measures():
    model = load_model_folder(DEFAULT_MODEL)
    text = corpora.held_out_text("twelfth-night")[:5000]  # a slice: the recorded figure is the whole play
    ids = model.vocab.encode(text).ids
    probs = trace(model.net, ids[:-1]).probs
    loss = float(-np.mean(np.log(probs[np.arange(ids.size - 1), ids[1:]])))
    recorded = model.meta.held_out.plays["twelfth-night"].loss_nats
    assert abs(loss - recorded) < 0.3  # the same model, on a part of the same play


def test_the_learning_history_loads_ordered_by_step_from_noise_to_the_model():
    model = load_model_folder(DEFAULT_MODEL)
    history = load_history(DEFAULT_MODEL, model.net)
    assert history is not None
    steps = [s for s, _ in history.snapshots]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == model.meta.metrics.steps
    assert 8 <= len(steps) <= 12
    vals = [history.snapshot_val[s] for s in steps]
    assert vals[0] > 4.0 and vals[-1] < 1.6 and vals[-1] < vals[len(vals) // 2]
    # float16 snapshots cost under 0.001 nats per character (measured on the final weights).
    assert abs(history.float16_val_change) < 0.001
    final = history.snapshots[-1][1]
    np.testing.assert_allclose(final.embedding, model.net.embedding, atol=2e-3)
    assert [p.step for p in history.curve] == sorted(p.step for p in history.curve)
