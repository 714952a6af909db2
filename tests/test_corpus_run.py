"""A corpus run counts what the single-stream engine would show, stream boundaries as documented."""

import numpy as np
import pytest
from helpers_models import random_network

from lstm_core.data.vocab import CharVocab
from lstm_core.inference import engine, unit_stats
from lstm_core.inference.corpus_run import BINS, Cancelled, CorpusOptions, bin_index, run

TEXT = ("HAMLET\nTo be, or not to be (that is the question):\nWhether 'tis nobler in the mind\n"
        "OPHELIA\n\"Good my lord,\" how does your honour?\n") * 8
VOCAB = CharVocab.from_text(TEXT)


def network(cell="lstm"):
    return random_network(cell, layers=2, units=10, vocab=VOCAB.size, seed=3)


def whole(net, warmup=len(TEXT), streams=7, **options):
    """Every stream warmed up from character 0: the single stream's state everywhere."""
    return run(net, VOCAB, TEXT, options=CorpusOptions(streams=streams, warmup=warmup, steps=16, **options))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_with_the_state_carried_the_counts_are_the_single_streams(cell):
    net = network(cell)
    traced = engine.trace(net, VOCAB.ids(TEXT))
    result = whole(net)
    assert result.characters == len(TEXT)
    for k, layer in enumerate(traced.layers):
        for q in engine.QUANTITIES[cell]:
            values = layer.forward[q]
            np.testing.assert_allclose(result.mean(k, q), values.mean(axis=0), atol=1e-5)
            for counted, exact in zip(result.saturation(k, q), unit_stats.saturation(values)):
                np.testing.assert_allclose(counted, exact, atol=1.5 / len(TEXT))  # a value on a threshold may tip


def test_without_warm_up_each_stream_starts_afresh_where_it_starts():
    net = network()
    streams = 5
    result = run(net, VOCAB, TEXT, options=CorpusOptions(streams=streams, warmup=0, steps=16))
    length = -(-len(TEXT) // streams)
    pieces = [engine.trace(net, VOCAB.ids(TEXT[s:s + length])) for s in range(0, len(TEXT), length)]
    restarted = np.concatenate([p.layers[1].forward["c"] for p in pieces])
    np.testing.assert_allclose(result.mean(1, "c"), restarted.mean(axis=0), atol=1e-5)
    single = engine.trace(net, VOCAB.ids(TEXT)).layers[1].forward["c"].mean(axis=0)
    assert np.abs(result.mean(1, "c") - single).max() > 1e-4  # the restarts show


def test_a_warm_up_reads_the_characters_before_a_streams_start_without_counting_them():
    net = network()
    streams, warmup = 4, 30
    result = run(net, VOCAB, TEXT, options=CorpusOptions(streams=streams, warmup=warmup, steps=16))
    length = -(-len(TEXT) // streams)
    rows = []
    for s in range(0, len(TEXT), length):
        begin = max(0, s - warmup)
        rows.append(engine.trace(net, VOCAB.ids(TEXT[begin:s + length])).layers[0].forward["f"][s - begin:])
    np.testing.assert_allclose(result.mean(0, "f"), np.concatenate(rows).mean(axis=0), atol=1e-5)


@pytest.mark.parametrize("quantity", ["i", "g", "c", "h", "z_f"])
def test_the_streamed_auc_is_the_exact_one_within_the_histograms_resolution(quantity):
    net = network()
    layer = engine.trace(net, VOCAB.ids(TEXT)).layers[1].forward[quantity]
    result = whole(net)
    for name, mask in unit_stats.pattern_masks(TEXT).items():
        exact = unit_stats.roc_auc(layer, mask)
        found = result.auc(1, quantity, name)
        assert np.all(np.abs(found.auc - exact) <= found.resolution + 1e-9), name
        assert (found.n_inside, found.n_outside) == (mask.sum(), (~mask).sum())
        assert np.all((found.se > 0) & (found.se < 0.5))


def test_a_ranking_from_the_counts_is_ordered_as_rank_units_orders_the_values():
    net = network()
    values = engine.trace(net, VOCAB.ids(TEXT)).layers[0].forward["f"]
    mask = unit_stats.inside_quotes(TEXT)
    exact = unit_stats.rank_units(values, mask)
    counted = whole(net).ranking(0, "f", "inside quotes")
    np.testing.assert_allclose(counted.mean_inside, exact.mean_inside, atol=1e-5)
    np.testing.assert_allclose(counted.effect_size, exact.effect_size, atol=1e-3)
    assert (counted.n_inside, counted.n_outside) == (exact.n_inside, exact.n_outside)
    assert set(counted.top(3)) & set(exact.top(3))


def test_user_patterns_are_counted_beside_the_built_in_ones():
    net = network()
    mask = np.array([c == "o" for c in TEXT])
    result = run(net, VOCAB, TEXT, patterns={"the letter o": mask}, options=CorpusOptions(streams=3, steps=16))
    assert "the letter o" in result.patterns and "inside quotes" in result.patterns
    assert result.auc(0, "h", "the letter o").n_inside == mask.sum()


def test_matchs_bits_and_the_log_probabilities_are_the_traces():
    net = network()
    traced = engine.trace(net, VOCAB.ids(TEXT))
    result = whole(net, on_threshold=0.1)
    for k, layer in enumerate(traced.layers):
        np.testing.assert_array_equal(result.layers[k].bits, np.packbits(layer.forward["h"] >= 0.1, axis=1))
        np.testing.assert_array_equal(result.on(k, 5, 50), layer.forward["h"][5:50] >= 0.1)
    ids = VOCAB.ids(TEXT)
    expected = np.log(traced.probs[np.arange(len(ids) - 1), ids[1:]])
    np.testing.assert_allclose(result.log_probs, expected, atol=1e-5)


def test_the_counts_take_as_much_memory_for_a_long_text_as_for_a_short_one():
    net = network()

    def sizes(text):
        result = run(net, VOCAB, text, options=CorpusOptions(streams=4, steps=16, match_bits=False))
        return {(k, name): getattr(layer, name).nbytes for k, layer in enumerate(result.layers)
                for name in ("total", "squares", "below", "above", "hist", "inside_total", "inside_hist")}

    assert sizes(TEXT[:400]) == sizes(TEXT * 3)


def test_bins_never_decrease_with_the_value_and_stay_in_range():
    values = {"f": np.linspace(0, 1, 100_001, dtype=np.float32),
              "h": np.linspace(-1, 1, 100_001, dtype=np.float32),
              "c": np.concatenate([[-1e9], np.linspace(-50, 50, 100_001), [1e9]]).astype(np.float32)}
    for quantity, v in values.items():
        bins = bin_index(v, quantity)
        assert np.all(np.diff(bins) >= 0) and bins.min() >= 0 and bins.max() < BINS
        assert len(np.unique(bins)) > 150  # fine enough to tell values apart
    # A gate near 1 is told apart as finely as one near 0.
    assert len(np.unique(bin_index(np.float32([0.99, 0.999, 0.9999]), "f"))) == 3


def test_cancel_stops_the_run_and_progress_reaches_one():
    net = network()
    heard = []
    run(net, VOCAB, TEXT, options=CorpusOptions(streams=4, steps=16), progress=heard.append)
    assert heard[-1] == 1.0 and heard == sorted(heard) and len(heard) > 2
    asked = []
    with pytest.raises(Cancelled):
        run(net, VOCAB, TEXT, options=CorpusOptions(streams=4, steps=16), cancelled=lambda: asked.append(1) or True)
    assert len(asked) == 1


def test_a_bidirectional_network_cannot_be_streamed():
    net = random_network("lstm", units=4, vocab=VOCAB.size, bidirectional=True)
    with pytest.raises(ValueError, match="bidirectional"):
        run(net, VOCAB, TEXT)
