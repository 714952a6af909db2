"""Corpus runs saved on disk: read back equal, found again only for the same model, text, patterns and options."""

import dataclasses

import numpy as np
from helpers_models import random_network

from lstm_core.data.vocab import CharVocab
from lstm_core.inference.corpus_run import CorpusOptions, run
from lstm_core.storage import corpus_cache

TEXT = "HAMLET\nTo be, or not to be (that is the question).\n\"Words,\" said he.\n" * 6
VOCAB = CharVocab.from_text(TEXT)
OPTIONS = CorpusOptions(streams=3, steps=16)


def network(seed=0):
    return random_network("lstm", layers=2, units=9, vocab=VOCAB.size, seed=seed)


def test_a_saved_result_reads_back_equal(tmp_path):
    net = network()
    mask = np.array([c == "e" for c in TEXT])
    result = run(net, VOCAB, TEXT, patterns={"e": mask}, options=OPTIONS)
    key = corpus_cache.key(net, TEXT, {"e": mask}, OPTIONS)
    corpus_cache.save(result, key, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [f"{key}.npz"]  # no temporary file left behind
    loaded = corpus_cache.load(key, tmp_path)
    assert loaded.characters == result.characters and loaded.patterns == result.patterns
    assert loaded.on_threshold == result.on_threshold
    for ours, theirs in zip(result.layers, loaded.layers):
        assert ours.quantities == theirs.quantities and ours.binned == theirs.binned
        for field in dataclasses.fields(ours):
            if field.name not in ("quantities", "binned"):
                np.testing.assert_array_equal(getattr(ours, field.name), getattr(theirs, field.name))
    np.testing.assert_array_equal(loaded.log_probs, result.log_probs)
    np.testing.assert_array_equal(loaded.auc(1, "c", "e").auc, result.auc(1, "c", "e").auc)


def test_the_key_changes_with_the_weights_the_text_the_patterns_and_the_options(tmp_path):
    net = network()
    key = corpus_cache.key(net, TEXT, None, OPTIONS)
    corpus_cache.save(run(net, VOCAB, TEXT, options=OPTIONS), key, tmp_path)
    other_weights = network(seed=1)
    assert corpus_cache.model_hash(other_weights) != corpus_cache.model_hash(net)
    assert corpus_cache.model_hash(network()) == corpus_cache.model_hash(net)  # the same weights, made again
    others = [corpus_cache.key(other_weights, TEXT, None, OPTIONS), corpus_cache.key(net, TEXT[:-1], None, OPTIONS),
              corpus_cache.key(net, TEXT, {"e": np.array([c == "e" for c in TEXT])}, OPTIONS),
              corpus_cache.key(net, TEXT, None, dataclasses.replace(OPTIONS, warmup=0))]
    assert len({key, *others}) == 5
    assert corpus_cache.load(key, tmp_path) is not None
    assert all(corpus_cache.load(k, tmp_path) is None for k in others)


def test_an_unreadable_file_is_a_miss(tmp_path):
    (tmp_path / "0123abcd.npz").write_bytes(b"not a zip")
    assert corpus_cache.load("0123abcd", tmp_path) is None


def test_the_cache_lives_in_the_data_folder(lab_env, tmp_path):
    lab_env("LSTM_LAB_DATA_DIR", str(tmp_path))
    assert corpus_cache.default_root() == tmp_path / "corpus-cache"
