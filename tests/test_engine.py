"""The NumPy engine against Keras, the .keras reader, and the engine's own invariants."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from helpers_models import random_network  # noqa: E402

from lstm_core.inference import engine  # noqa: E402
from lstm_core.training.keras_model import build_char_model  # noqa: E402
from lstm_core.inference.keras_config import from_keras_model  # noqa: E402
from lstm_core.inference.keras_file import from_keras_file  # noqa: E402
from lstm_core.inference.netweights import WeightsError  # noqa: E402
from lstm_core.spec import ModelSpec  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
VOCAB, EMBED, UNITS = 13, 5, 8
TOL = 1e-5
L = keras.layers


def perturb(model, seed: int, scale: float = 0.5):
    """Replace fresh initial weights by normal(0, scale) ones, so that gates saturate for real."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, scale, w.shape).astype("float32") for w in model.get_weights()])
    return model


def char_model(cell: str, layers: int, dropout: float = 0.0, seed: int = 0):
    spec = ModelSpec(vocab_size=VOCAB, cell=cell, layers=layers, units=UNITS, embed_dim=EMBED, dropout=dropout)
    return perturb(build_char_model(spec, seed=seed), seed)


def functional(*layers):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x)


def keras_out(model, ids: np.ndarray) -> np.ndarray:
    return np.asarray(model(np.asarray(ids)[None], training=False))[0]


def saved(model, tmp_path: Path, name: str = "m.keras") -> Path:
    path = tmp_path / name
    model.save(path)
    return path


def assert_same_weights(a, b) -> None:
    assert np.array_equal(a.embedding, b.embedding)
    assert np.array_equal(a.head.kernel, b.head.kernel) and np.array_equal(a.head.bias, b.head.bias)
    for la, lb in zip(a.layers, b.layers, strict=True):
        assert (la.cell, la.units, la.bidirectional, la.return_sequences) == \
               (lb.cell, lb.units, lb.bidirectional, lb.return_sequences)
        for da, db in zip(la.directions, lb.directions, strict=True):
            for name in ("kernel", "recurrent_kernel", "bias"):
                assert np.array_equal(getattr(da, name), getattr(db, name))


# ---------------------------------------------------------------- equality with Keras

@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_trace_matches_keras_for_char_models(cell, layers, tmp_path):
    model = char_model(cell, layers, dropout=0.2 if layers == 2 else 0.0, seed=layers)
    # Deeper models read shorter texts: Keras' eager RNN loop is what makes this test slow.
    ids = np.random.default_rng(layers).integers(0, VOCAB, size=(2, {1: 200, 2: 110, 3: 50}[layers]))
    expected = np.asarray(model.predict(ids, verbose=0)) if layers == 1 else np.asarray(model(ids, training=False))
    net = from_keras_model(model)
    from_file = from_keras_file(saved(model, tmp_path))
    assert_same_weights(net, from_file)
    assert net.return_sequences and net.head.activation == "softmax" and len(net.layers) == layers
    for row, want in zip(ids, expected):
        got = engine.trace(from_file, row)
        assert got.probs.shape == (len(row), VOCAB)
        np.testing.assert_allclose(got.probs, want, atol=TOL, rtol=0)
        np.testing.assert_allclose(got.final_probs, want[-1], atol=TOL, rtol=0)


def test_bidirectional_lstm_many_to_one(tmp_path):
    model = perturb(keras.Sequential([keras.Input(shape=(None,), dtype="int32"), L.Embedding(VOCAB, EMBED),
                                      L.Bidirectional(L.LSTM(6)), L.Dense(1, activation="sigmoid")]), seed=3)
    net = from_keras_model(model)
    assert_same_weights(net, from_keras_file(saved(model, tmp_path)))
    assert net.layers[0].bidirectional and not net.return_sequences and net.head.activation == "sigmoid"
    encoder = keras.Model(model.inputs[0], model.layers[1].output)
    rng = np.random.default_rng(3)
    for length in (50, 97):
        ids = rng.integers(0, VOCAB, size=length)
        got = engine.trace(net, ids)
        np.testing.assert_allclose(got.final_probs, keras_out(model, ids), atol=TOL, rtol=0)
        np.testing.assert_allclose(got.layers[0].final, keras_out(encoder, ids), atol=TOL, rtol=0)
        assert got.probs.shape == (length, 1) and got.layers[0].output.shape == (length, 12)
        assert got.layers[0].backward["h"].shape == (length, 6)
    with pytest.raises(ValueError, match="bidirectional"):
        engine.initial_state(net)


@pytest.mark.parametrize("outputs", [VOCAB, 1])
def test_an_output_layer_without_activation_gives_logits_the_engine_turns_into_probabilities(outputs, tmp_path):
    # Trained with from_logits=True: the model's own outputs are logits; the loss applied softmax
    # (sigmoid for one output), and so must LSTM Lab.
    model = perturb(functional(L.Embedding(VOCAB, EMBED), L.GRU(6, return_sequences=True), L.Dense(outputs)), seed=5)
    ids = np.random.default_rng(5).integers(0, VOCAB, size=40)
    logits = keras_out(model, ids).astype(np.float64)
    if outputs == 1:
        expected = 1 / (1 + np.exp(-logits))
    else:
        expected = np.exp(logits - logits.max(axis=1, keepdims=True))
        expected /= expected.sum(axis=1, keepdims=True)
    for net in (from_keras_model(model), from_keras_file(saved(model, tmp_path))):
        assert net.head.from_logits and net.head.activation == ("softmax" if outputs > 1 else "sigmoid")
        np.testing.assert_allclose(engine.trace(net, ids).probs, expected, atol=TOL, rtol=0)


def test_bidirectional_gru_in_the_middle_of_a_many_to_many_stack():
    model = perturb(functional(L.Embedding(VOCAB, EMBED), L.Bidirectional(L.GRU(5, return_sequences=True)),
                               L.Dropout(0.3), L.SimpleRNN(4, return_sequences=True),
                               L.Dense(VOCAB, activation="softmax")), seed=4)
    ids = np.random.default_rng(4).integers(0, VOCAB, size=90)
    got = engine.trace(from_keras_model(model), ids)
    np.testing.assert_allclose(got.probs, keras_out(model, ids), atol=TOL, rtol=0)


def test_stacked_lstm_many_to_one_and_its_trajectory(tmp_path):
    model = perturb(functional(L.Embedding(VOCAB, EMBED), L.LSTM(7, return_sequences=True), L.LSTM(6),
                               L.Dense(1, activation="sigmoid")), seed=5)
    net = from_keras_file(saved(model, tmp_path))
    ids = np.random.default_rng(5).integers(0, VOCAB, size=80)
    got = engine.trace(net, ids)
    np.testing.assert_allclose(got.final_probs, keras_out(model, ids), atol=TOL, rtol=0)
    # The trajectory: after each character, what the model would answer if the text ended there.
    for t in (0, 17, 50):
        np.testing.assert_allclose(got.probs[t], keras_out(model, ids[:t + 1]), atol=TOL, rtol=0)


# ---------------------------------------------------------------- the engine's own invariants

@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_step_and_feed_reproduce_trace(cell):
    net = random_network(cell, layers=2, seed=1)
    ids = np.random.default_rng(1).integers(0, net.vocab_size, size=80)
    whole = engine.trace(net, ids)
    state = engine.initial_state(net)
    for t, token in enumerate(ids):
        logits, probs, state = engine.step(net, token, state)
        # The first layer runs the very same arithmetic; deeper ones differ only by x·W's summation order.
        np.testing.assert_array_equal(state.h[0], whole.layers[0]["h"][t])
        np.testing.assert_allclose(state.h[1], whole.layers[1]["h"][t], atol=1e-6, rtol=0)
        np.testing.assert_allclose(probs, whole.probs[t], atol=1e-6, rtol=0)
        np.testing.assert_allclose(logits, whole.logits[t], atol=1e-5, rtol=0)
    fed_logits, fed_probs, fed = engine.feed(net, ids, engine.initial_state(net))
    np.testing.assert_array_equal(fed_probs, probs)
    np.testing.assert_array_equal(fed.h[1], state.h[1])


def test_the_engine_prepares_its_copy_of_a_network_once_and_drops_it_with_the_network():
    net = random_network("lstm", layers=2, seed=5)
    kept = len(engine._PREPARED)
    assert net not in engine._PREPARED  # a network that is only kept carries no second copy
    engine.trace(net, [1, 2, 3])
    first = engine.prepared(net)
    engine.step(net, 1, engine.initial_state(net))
    assert engine.prepared(net) is first
    del net, first
    gc.collect()
    assert len(engine._PREPARED) == kept


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("table", [True, False])
def test_the_stepper_goes_on_as_step_does(cell, table, monkeypatch):
    if not table:  # a vocabulary too big for the first layer's table: it reads the embedding
        monkeypatch.setattr(engine, "MAX_TABLE_ELEMENTS", 0)
    net = random_network(cell, layers=3, seed=4)
    assert (engine.prepared(net)[0][0].table is not None) == table
    ids = np.random.default_rng(4).integers(0, net.vocab_size, size=60)
    _, _, start = engine.feed(net, ids[:10], engine.initial_state(net))
    given = [a.copy() for a in start.h + start.c if a is not None]
    stepper, state = engine.Stepper(net, start), start
    kept = []
    for token in ids[10:]:
        logits, _, state = engine.step(net, token, state)
        kept.append(stepper.step(int(token)))
        # The same arithmetic; fused products only sum in another order.
        np.testing.assert_allclose(kept[-1], logits, atol=1e-5, rtol=0)
    assert not np.shares_memory(kept[0], kept[1])  # each step's logits are the caller's to keep
    for mine, theirs in zip(stepper.state.h + stepper.state.c, state.h + state.c):
        if theirs is None:
            assert mine is None
        else:
            np.testing.assert_allclose(mine, theirs, atol=1e-6, rtol=0)
    for old, now in zip(given, [a for a in start.h + start.c if a is not None]):
        np.testing.assert_array_equal(old, now)  # the state it started from is as it was


def test_step_leaves_the_given_state_alone():
    net = random_network("lstm", layers=2, seed=2)
    _, _, state = engine.feed(net, [1, 2, 3], engine.initial_state(net))
    before = [a.copy() for a in state.h + state.c]
    _, _, after = engine.step(net, 4, state)
    for old, now in zip(before, state.h + state.c):
        np.testing.assert_array_equal(old, now)
    assert not np.array_equal(after.h[0], state.h[0])
    with pytest.raises(ValueError):
        state.h[0][0] = 1.0  # read-only: nobody can change a state behind the engine's back


def test_feed_of_nothing_is_the_head_of_the_state():
    net = random_network("gru", seed=3)
    zero = engine.initial_state(net)
    _, probs, state = engine.feed(net, [], zero)
    np.testing.assert_allclose(probs, engine.trace(net, []).final_probs, atol=1e-7)
    assert state.h == zero.h


def test_lstm_gates_stay_in_range_and_the_cell_update_is_exact():
    net = random_network("lstm", layers=1, units=16, scale=0.5, seed=4)
    t = engine.trace(net, np.random.default_rng(4).integers(0, net.vocab_size, size=200))
    lay = t.layers[0]
    for gate in ("i", "f", "o"):
        # In float32 a sigmoid can round to exactly 0 or 1; the open interval holds for the bulk.
        assert ((lay[gate] >= 0) & (lay[gate] <= 1)).all()
        assert ((lay[gate] > 0) & (lay[gate] < 1)).mean() > 0.99
        np.testing.assert_allclose(lay[gate], 1 / (1 + np.exp(-lay["z_" + gate].astype(np.float64))), atol=1e-6)
    for bounded in ("g", "h"):
        assert (np.abs(lay[bounded]) <= 1).all()
    np.testing.assert_allclose(lay["g"], np.tanh(lay["z_g"].astype(np.float64)), atol=1e-6)
    c_prev = np.vstack([np.zeros((1, 16), np.float32), lay["c"][:-1]])
    np.testing.assert_array_equal(lay["c"], lay["f"] * c_prev + lay["i"] * lay["g"])
    np.testing.assert_allclose(lay["h"], lay["o"] * np.tanh(lay["c"]), atol=1e-6)
    assert lay["f"].min() < 0.1 and lay["f"].max() > 0.9  # the weights make the gates really open and close


def test_gru_update_rule():
    net = random_network("gru", layers=1, units=6, seed=5)
    lay = engine.trace(net, np.arange(1, net.vocab_size)).layers[0]
    h_prev = np.vstack([np.zeros((1, 6), np.float32), lay["h"][:-1]])
    np.testing.assert_array_equal(lay["h"], lay["z"] * h_prev + (1 - lay["z"]) * lay["hh"])
    assert ((lay["r"] >= 0) & (lay["r"] <= 1)).all() and (np.abs(lay["hh"]) <= 1).all()


@pytest.mark.parametrize("cell,head", [("lstm", "softmax"), ("gru", "softmax"), ("rnn", "sigmoid")])
def test_extreme_weights_give_finite_outputs_without_warnings(cell, head):
    net = random_network(cell, layers=2, scale=0.5 * 50, seed=6, head=head)
    ids = np.random.default_rng(6).integers(0, net.vocab_size, size=100)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        t = engine.trace(net, ids)
        _, probs, _ = engine.step(net, 3, engine.initial_state(net))
    assert np.isfinite(t.logits).all() and np.isfinite(t.probs).all() and np.isfinite(probs).all()
    if head == "softmax":
        np.testing.assert_allclose(t.probs.sum(axis=1), 1, atol=1e-5)
    assert ((t.probs >= 0) & (t.probs <= 1)).all()


@pytest.mark.parametrize("bidirectional", [False, True])
def test_empty_text_gives_empty_arrays(bidirectional):
    net = random_network("lstm", layers=2, units=4, seed=7, bidirectional=bidirectional)
    t = engine.trace(net, [])
    assert t.length == 0 and t.probs.shape == (0, net.vocab_size) and t.logits.shape == (0, net.vocab_size)
    assert all(t.layers[0][q].shape == (0, 4) for q in engine.QUANTITIES["lstm"])
    assert t.layers[1].output.shape == (0, 8 if bidirectional else 4)
    assert t.final_probs.shape == (net.vocab_size,) and abs(t.final_probs.sum() - 1) < 1e-6


def test_bad_ids_are_refused_clearly():
    net = random_network(seed=8)
    for bad in ([0, net.vocab_size], [-1], [[1, 2]], [0.5]):
        with pytest.raises(ValueError, match="ids"):
            engine.trace(net, bad)
    with pytest.raises(ValueError, match="outside"):
        engine.step(net, net.vocab_size, engine.initial_state(net))
    with pytest.raises(ValueError, match="state"):
        engine.step(net, 1, engine.initial_state(random_network(layers=2, seed=8)))


def test_hand_built_network_with_wrong_shapes_is_refused():
    good = random_network("gru", seed=9)
    layer = good.layers[0]
    with pytest.raises(WeightsError, match="bias"):
        type(good)(good.embedding, (type(layer)("gru", layer.units, type(layer.forward)(
            layer.kernel, layer.recurrent_kernel, layer.bias[0])),), good.head)
    with pytest.raises(WeightsError, match="kernel"):
        type(good)(good.embedding[:, :3], good.layers, good.head)


# ---------------------------------------------------------------- the .keras reader

def test_reading_a_file_never_imports_tensorflow(tmp_path):
    path = saved(char_model("lstm", 2, dropout=0.1), tmp_path)
    script = f"""
import sys
from lstm_core.inference import engine
from lstm_core.inference import keras_file
from lstm_core.inference import sampling
from lstm_core.data.vocab import CharVocab
net = keras_file.from_keras_file({str(path)!r})
engine.trace(net, [1, 2, 3])
sampling.generate(net, CharVocab("abcdefghijkl"), "abc", 20, seed=1)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
assert not loaded, loaded
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


def test_damaged_files_are_refused_with_a_clear_message(tmp_path):
    good = saved(char_model("gru", 1), tmp_path)
    raw = good.read_bytes()
    with zipfile.ZipFile(good) as z:
        config, weights = z.read("config.json"), z.read("model.weights.h5")

    cases = {
        "junk.keras": (b"this is not a zip file at all", "not a complete zip"),
        "truncated.keras": (raw[: len(raw) // 2], "damaged"),
        "nojson.keras": (_zip(tmp_path / "a", {"config.json": b"{not json", "model.weights.h5": weights}),
                         "not valid JSON"),
        "noweights.keras": (_zip(tmp_path / "b", {"config.json": config}), "no model.weights.h5"),
        "noconfig.keras": (_zip(tmp_path / "c", {"metadata.json": b"{}"}), "no config.json"),
        "junkh5.keras": (_zip(tmp_path / "d", {"config.json": config, "model.weights.h5": b"junk" * 100}),
                         "not a readable HDF5"),
        "huge.keras": (_zip(tmp_path / "e", {"config.json": b" " * (5 << 20), "model.weights.h5": weights}),
                       "limit"),
    }
    for name, (content, message) in cases.items():
        path = content if isinstance(content, Path) else tmp_path / name
        if not isinstance(content, Path):
            path.write_bytes(content)
        with pytest.raises(WeightsError, match=message):
            from_keras_file(path)


def test_weights_pointing_outside_the_file_or_not_finite_are_refused(tmp_path):
    good = saved(char_model("lstm", 1), tmp_path)
    with zipfile.ZipFile(good) as z:
        config, weights = z.read("config.json"), z.read("model.weights.h5")
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f["data"] = np.zeros((VOCAB, EMBED), np.float32)
    raw = tmp_path / "secret.bin"
    raw.write_bytes(bytes(VOCAB * EMBED * 4))
    tamperings = {
        "is a link": lambda f: f.__setitem__("layers/embedding/vars/0", h5py.ExternalLink(str(secret), "/data")),
        "not a plain array": lambda f: f.create_dataset("layers/embedding/vars/0", (VOCAB, EMBED), "f4",
                                                        external=[(str(raw), 0, VOCAB * EMBED * 4)]),
        "NaN": lambda f: f.__setitem__("layers/embedding/vars/0", np.full((VOCAB, EMBED), np.nan, np.float32)),
    }
    for message, tamper in tamperings.items():
        h5_path = tmp_path / "w.h5"
        h5_path.write_bytes(weights)
        with h5py.File(h5_path, "r+") as f:
            del f["layers/embedding/vars/0"]
            tamper(f)
        bad = _zip(tmp_path / "bad.keras", {"config.json": config, "model.weights.h5": h5_path.read_bytes()})
        with pytest.raises(WeightsError, match=message):
            from_keras_file(bad)


def test_weights_that_do_not_fit_the_configuration_are_refused(tmp_path):
    good = saved(char_model("lstm", 1), tmp_path)
    with zipfile.ZipFile(good) as z:
        config, weights = json.loads(z.read("config.json")), z.read("model.weights.h5")
    config["config"]["layers"][2]["config"]["units"] = UNITS + 1
    bad = _zip(tmp_path / "bad.keras", {"config.json": json.dumps(config).encode(), "model.weights.h5": weights})
    with pytest.raises(WeightsError, match=r"damaged.*'lstm_1'.*shape"):
        from_keras_file(bad)


def test_a_file_object_is_accepted_too(tmp_path):
    path = saved(char_model("rnn", 1), tmp_path)
    with open(path, "rb") as handle:
        assert_same_weights(from_keras_file(handle), from_keras_file(path))


@pytest.mark.parametrize("layers,named", [
    ([L.Embedding(VOCAB, EMBED), L.Lambda(lambda x: x * 2.0), L.LSTM(4), L.Dense(1, activation="sigmoid")],
     r"'lambda'.*Lambda"),
    ([L.Embedding(VOCAB, EMBED), L.Conv1D(4, 3), L.LSTM(4), L.Dense(1, activation="sigmoid")], r"'conv1d'.*Conv1D"),
    ([L.Embedding(VOCAB, EMBED), L.GRU(4, reset_after=False), L.Dense(1, activation="sigmoid")], "reset_after"),
    ([L.Embedding(VOCAB, EMBED), L.LSTM(4, use_bias=False), L.Dense(1, activation="sigmoid")], "use_bias"),
    ([L.Embedding(VOCAB, EMBED), L.SimpleRNN(4, activation="relu"), L.Dense(1, activation="sigmoid")],
     "activation='relu'"),
    ([L.Embedding(VOCAB, EMBED), L.LSTM(4, recurrent_activation="hard_sigmoid"), L.Dense(1, activation="sigmoid")],
     "recurrent_activation"),
    ([L.Embedding(VOCAB, EMBED, mask_zero=True), L.LSTM(4), L.Dense(1, activation="sigmoid")], "mask_zero"),
    ([L.Embedding(VOCAB, EMBED), L.LSTM(4), L.Dense(3, activation="relu")], "activation='relu'.*softmax, sigmoid or none"),
    ([L.Embedding(VOCAB, EMBED), L.LSTM(4), L.Dense(3), L.Activation("tanh")], "activation='tanh'"),
    ([L.Embedding(VOCAB, EMBED), L.Bidirectional(L.LSTM(4), merge_mode="sum"), L.Dense(1, activation="sigmoid")],
     "merge_mode"),
    ([L.Embedding(VOCAB, EMBED), L.Dense(4)], "no recurrent layer"),
])
def test_foreign_models_are_refused_naming_the_layer(layers, named, tmp_path):
    model = functional(*layers)
    with pytest.raises(WeightsError, match=named):
        from_keras_model(model)
    with pytest.raises(WeightsError, match=named):
        from_keras_file(saved(model, tmp_path))
