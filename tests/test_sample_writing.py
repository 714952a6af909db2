"""ui.sample.writing: a pretrained model's texts are computed once for every session; a session's own
models never share theirs."""

from helpers_models import random_network

from lstm_core.data.vocab import CharVocab
from lstm_core.inference import sampling
from ui.sample import writing
from ui.models import ModelEntry

VOCAB = CharVocab("abcd ")


def _entry(source: str, key: str) -> ModelEntry:
    return ModelEntry(key, source, model=None)


def _write(entry, net, seed=3):
    return writing.generation(entry, None, net, VOCAB, "ab", 40, 0.9, None, None, seed)


def test_a_pretrained_models_text_is_written_once_for_all_sessions():
    net = random_network(units=6, vocab=VOCAB.size, embed=4)
    entry = _entry("Pretrained", "pretrained-test-share")
    first, again = _write(entry, net), _write(entry, net)
    assert first is again, "the second session got the text the first one computed"
    assert first.text == sampling.generate(net, VOCAB, "ab", 40, 0.9, seed=3).text
    assert _write(entry, net, seed=4) is not first, "another seed is another text"
    shared = writing.comparison_text(entry, None, net, VOCAB, "ab", 30, 0.5, 3)
    assert shared == sampling.generate(net, VOCAB, "ab", 30, 0.5, seed=3).text


def test_models_of_a_session_are_never_shared():
    """Two sessions may hold different uploaded models under the same key: each computes its own."""
    vocab_size = VOCAB.size
    mine, theirs = (random_network(units=6, vocab=vocab_size, embed=4, seed=s) for s in (1, 2))
    for source in ("Uploaded", "Trained here", "Published"):
        entry = _entry(source, "same-key")
        a, b = _write(entry, mine), _write(entry, theirs)
        assert a is not b
        assert a.text == sampling.generate(mine, VOCAB, "ab", 40, 0.9, seed=3).text
        assert b.text == sampling.generate(theirs, VOCAB, "ab", 40, 0.9, seed=3).text
