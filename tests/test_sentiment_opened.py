"""Opening the textbook's word-level classifiers (Embedding -> recurrent -> Dense(1, sigmoid), trained in
Keras on padded IMDB-style ids) with each vocabulary form: NumPy gives what Keras' own predict gives."""

import json

import numpy as np
import pytest

from helpers_models import random_network
from lstm_core.sentiment import scoring
from lstm_core.sentiment.framing import Framing
from lstm_core.sentiment.opened import (ClassifierFileError, default_framing, open_classifier, read_model,
                                        read_vocabulary)

TOL = 1e-5
# Most frequent first, as Keras' IMDB word index and a Tokenizer rank them.
WORDS = ("the and a of to is was it this movie film not good bad at all but acting great plot i "
         "loved hated boring wonderful story don't really very so just").split()
RANK = {w: i + 1 for i, w in enumerate(WORDS)}
TEXT = "The movie was not good at all, but the acting was great! Zzyzx really."


@pytest.fixture(scope="module")
def keras():
    from lstm_core.training.tf_runtime import keras as k
    return k()


def build(keras, rows: int, recurrent: str = "LSTM", maxlen: int | None = None):
    k = keras
    k.utils.set_random_seed(3)
    if recurrent == "Bidirectional":
        body = [k.layers.Bidirectional(k.layers.LSTM(8))]
    elif recurrent == "stacked GRU":
        body = [k.layers.GRU(8, return_sequences=True), k.layers.Dropout(0.3), k.layers.GRU(6)]
    else:
        body = [getattr(k.layers, recurrent)(8)]
    model = k.Sequential([k.Input((maxlen,), dtype="int32"), k.layers.Embedding(rows, 5), *body,
                          k.layers.Dropout(0.2), k.layers.Dense(1, activation="sigmoid")])
    # Weights away from their initial values (and a padding row that matters), so a mistake would show.
    rng = np.random.default_rng(1)
    model.set_weights([w + rng.normal(0, 0.4, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def saved(model, tmp_path) -> bytes:
    path = tmp_path / "classifier.keras"
    model.save(path)
    return path.read_bytes()


def tokenizer_json(oov: str | None, num_words: int | None = None) -> bytes:
    # What keras.preprocessing.text.Tokenizer(...).to_json() writes (Keras 3 no longer has the class).
    index = {**({oov: 1} if oov else {}), **{w: i + 1 + bool(oov) for i, w in enumerate(WORDS)}}
    return json.dumps({"class_name": "Tokenizer", "config": {
        "num_words": num_words, "filters": '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n', "lower": True, "split": " ",
        "char_level": False, "oov_token": oov, "document_count": 3, "word_index": json.dumps(index),
        "index_word": json.dumps({str(i): w for w, i in index.items()})}}).encode()


# Each form, with the ids its own pipeline gives TEXT (None: a word it leaves out) and how many rows
# the Embedding has. Keras' IMDB data: rank + 3, 1 before the review, 2 for a word without a row.
IMDB = [RANK.get(w) for w in "the movie was not good at all but the acting was great zzyzx really".split()]
FORMS = {
    "imdb": (json.dumps(RANK).encode(), [1] + [2 if r is None or r + 3 >= 24 else r + 3 for r in IMDB], 24),
    "imdb-shifted": (json.dumps({"<PAD>": 0, "<START>": 1, "<UNK>": 2, "<UNUSED>": 3,
                                 **{w: r + 3 for w, r in RANK.items()}}).encode(),
                     [1] + [2 if r is None else r + 3 for r in IMDB], len(WORDS) + 4),
    "tokenizer-oov": (tokenizer_json("<OOV>"), [1 if r is None else r + 1 for r in IMDB], len(WORDS) + 2),
    "tokenizer-num_words": (tokenizer_json(None, num_words=12), [r for r in IMDB if r is not None and r < 12], 12),
    "lines": (("\n[UNK]\n" + "\n".join(w.replace("'", "") for w in WORDS) + "\n").encode(),
              [1 if r is None else r + 1 for r in IMDB], len(WORDS) + 2),
    "list": (json.dumps(["<pad>", *WORDS]).encode(), [r for r in IMDB if r is not None], len(WORDS) + 1),
}


@pytest.mark.parametrize("form,recurrent,padding,truncating,maxlen", [
    ("imdb", "LSTM", "pre", "pre", 20),  # the textbook's model, num_words smaller than the index
    ("imdb-shifted", "Bidirectional", "post", "post", 12),  # cut: the last words go
    ("tokenizer-oov", "stacked GRU", "post", "pre", 16),
    ("tokenizer-num_words", "SimpleRNN", "pre", "post", 9),  # cut: unknown words left out first
    ("lines", "Bidirectional", "pre", "pre", 10),  # cut: the first words go
    ("list", "LSTM", "post", "pre", 14),
])
def test_each_vocabulary_form_and_padding_equals_keras(keras, tmp_path, form, recurrent, padding, truncating,
                                                       maxlen):
    data, theirs, rows = FORMS[form]
    model = build(keras, rows, recurrent, maxlen=maxlen)
    net = read_model(saved(model, tmp_path), "classifier.keras")
    assert net.input_length == maxlen and default_framing(net).maxlen == maxlen
    opened = open_classifier(net, read_vocabulary(data, "vocab"), Framing(maxlen, padding, truncating),
                             file="classifier.keras", vocabulary_file="vocab")
    verdict = scoring.score(opened.net, opened.vocab, TEXT)
    padded = keras.utils.pad_sequences([theirs], maxlen=maxlen, padding=padding, truncating=truncating)
    assert abs(verdict.prob - model.predict(padded, verbose=0)[0, 0]) < TOL
    # The trajectory: each beginning of the review, padded alike.
    words = len(verdict.reading.tokens)
    start = 1 if opened.vocab.framing.start_id is not None else 0
    body = [i for i in theirs[start:]]
    kept = body[-words:] if truncating == "pre" else body[:words]
    prefixes = keras.utils.pad_sequences([theirs[:start] + kept[:t + 1] for t in range(words)], maxlen=maxlen,
                                         padding=padding, truncating=truncating)
    np.testing.assert_allclose(verdict.trajectory, model.predict(prefixes, verbose=0)[:, 0], atol=TOL)
    # Occlusion: the review again without each word.
    without = keras.utils.pad_sequences([theirs[:start] + kept[:t] + kept[t + 1:] for t in range(words)],
                                        maxlen=maxlen, padding=padding, truncating=truncating)
    np.testing.assert_allclose(scoring.occlusion(opened.net, verdict.reading.ids, verdict.prob, opened.vocab.framing),
                               verdict.prob - model.predict(without, verbose=0)[:, 0], atol=TOL)
    # The gates view reads the trace at the words' positions.
    assert verdict.trace.length == maxlen
    assert verdict.first + words <= maxlen


def test_a_model_without_an_input_length_takes_the_maxlen_asked(keras, tmp_path):
    data, theirs, rows = FORMS["imdb"]
    model = build(keras, rows, "GRU")
    net = read_model(saved(model, tmp_path), "m.keras")
    assert net.input_length is None and default_framing(net) == Framing(200, "pre", "pre")
    opened = open_classifier(net, read_vocabulary(data, "index.json"), Framing(30, "post"), file="m.keras",
                             vocabulary_file="index.json")
    verdict = scoring.score(opened.net, opened.vocab, TEXT)
    padded = keras.utils.pad_sequences([theirs], maxlen=30, padding="post")
    assert abs(verdict.prob - model.predict(padded, verbose=0)[0, 0]) < TOL
    assert abs(scoring.start_probability(opened.net, opened.vocab.framing)
               - model.predict(keras.utils.pad_sequences([[1]], maxlen=30, padding="post"), verbose=0)[0, 0]) < TOL


def test_a_stated_index_from_shifts_the_word_index(keras, tmp_path):
    data, _theirs, _rows = FORMS["imdb"]
    parsed = read_vocabulary(data, "index.json")
    assert parsed.asks_index_from
    net = read_model(saved(build(keras, 40, "LSTM", maxlen=8), tmp_path), "m.keras")
    opened = open_classifier(net, parsed, Framing(8), file="m.keras", vocabulary_file="index.json", index_from=5)
    assert opened.vocab.encode(["the", "movie"]).ids.tolist() == [RANK["the"] + 5, RANK["movie"] + 5]
    assert opened.vocab.framing.start_id == 1 and opened.vocab.unknown_id == 2
    with pytest.raises(ClassifierFileError, match="With index_from=40, no word.*give the index_from"):
        open_classifier(net, parsed, Framing(8), file="m.keras", vocabulary_file="index.json", index_from=40)


def test_index_from_0_reads_a_word_index_of_ones_own(keras, tmp_path):
    # The textbook's word_to_int (ids from 1, 0 padding) padded "post": no start mark, unknown words left out.
    model = build(keras, len(WORDS) + 1, "SimpleRNN", maxlen=16)
    net = read_model(saved(model, tmp_path), "m.keras")
    opened = open_classifier(net, read_vocabulary(json.dumps(RANK).encode(), "word_to_int.json"),
                             Framing(16, "post"), file="m.keras", vocabulary_file="word_to_int.json", index_from=0)
    verdict = scoring.score(opened.net, opened.vocab, TEXT)
    assert verdict.reading.skipped == ("Zzyzx",)
    padded = keras.utils.pad_sequences([[r for r in IMDB if r is not None]], maxlen=16, padding="post")
    assert abs(verdict.prob - model.predict(padded, verbose=0)[0, 0]) < TOL


def test_a_vocabulary_larger_than_the_embedding_is_refused_naming_what_to_change(keras, tmp_path):
    net = read_model(saved(build(keras, 10, "LSTM", maxlen=8), tmp_path), "m.keras")
    with pytest.raises(ClassifierFileError, match=r"tok\.json.*ids up to 31.*only 10 rows.*num_words=10"):
        open_classifier(net, read_vocabulary(tokenizer_json(None), "tok.json"), Framing(8), file="m.keras",
                        vocabulary_file="tok.json")
    with pytest.raises(ClassifierFileError, match="maxlen must be 8, not 20"):
        open_classifier(net, read_vocabulary(FORMS["list"][0], "v.json"), Framing(20), file="m.keras",
                        vocabulary_file="v.json")


def test_models_that_are_not_embedding_recurrent_dense1_are_refused_naming_what_to_change(keras, tmp_path):
    k = keras
    many = k.Sequential([k.Input((None,)), k.layers.Embedding(30, 4), k.layers.LSTM(5, return_sequences=True),
                         k.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ClassifierFileError, match="return_sequences=False"):
        read_model(saved(many, tmp_path), "many.keras")
    chars = k.Sequential([k.Input((None,)), k.layers.Embedding(30, 4), k.layers.LSTM(5),
                          k.layers.Dense(30, activation="softmax")])
    with pytest.raises(ClassifierFileError, match=r"Dense\(30, softmax\).*Dense\(1, activation=\"sigmoid\"\)"):
        read_model(saved(chars, tmp_path), "chars.keras")
    two = k.Sequential([k.Input((None,)), k.layers.Embedding(30, 4), k.layers.SimpleRNN(5),
                        k.layers.Dense(2, activation="softmax")])  # the airline-tweets chapter's head
    with pytest.raises(ClassifierFileError, match=r"Dense\(2, softmax\).*binary_crossentropy"):
        read_model(saved(two, tmp_path), "two.keras")
    onehot = k.Sequential([k.Input((None, 30)), k.layers.LSTM(5), k.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ClassifierFileError, match=r"no Embedding.*Embedding\(num_words, d\)"):
        read_model(saved(onehot, tmp_path), "onehot.keras")
    long = k.Sequential([k.Input((1500,)), k.layers.Embedding(30, 4), k.layers.LSTM(3),
                         k.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ClassifierFileError, match="reads reviews of 1,500 ids; LSTM Lab reads at most 1,000"):
        read_model(saved(long, tmp_path), "long.keras")
    with pytest.raises(ClassifierFileError, match="not a complete zip archive"):
        read_model(b"not a zip at all", "fake.keras")
    with pytest.raises(ClassifierFileError, match="model.save"):
        read_model(b"\x89HDF", "old.h5")
    with pytest.raises(ClassifierFileError, match="vocab.txt: The vocabulary file is empty"):
        read_vocabulary(b"  \n", "vocab.txt")


@pytest.mark.parametrize("data,said", [
    (b"\xff\xfe\x00", "not UTF-8"),
    (b" \n ", "empty"),
    (b"\n[UNK]\n", "names no word"),
    (b"[1, 2]", "not every entry is a string"),
    (b'{"good": true}', "neither a list of words"),
    (b'{"good": -1}', "neither a list of words"),
    (b'{"class_name": "Tokenizer", "config": {"word_index": "{\\"a\\": -1}"}}', "no readable word_index"),
    (b'{"class_name": "Tokenizer", "config": {"word_index": "not json"}}', "no readable word_index"),
    (b'{"class_name": "Tokenizer", "config": {"char_level": true, "word_index": "{}"}}', "char_level=True"),
    (b'{"class_name": "Tokenizer", "config": {"word_index": "{\\"a\\": 1}", "split": ""}}', "filters or split"),
    (b'{"class_name": "Tokenizer", "config": {"word_index": "{\\"a\\": 3}", "num_words": 2}}', "None of the"),
])
def test_a_vocabulary_that_is_none_is_said_never_raised_otherwise(data, said):
    net = random_network("lstm", units=3, vocab=8, embed=2, head="sigmoid", return_sequences=False)
    with pytest.raises(ClassifierFileError, match=said):
        open_classifier(net, read_vocabulary(data, "v"), Framing(5), file="m.keras", vocabulary_file="v")


def test_a_long_review_is_cut_where_pad_sequences_cuts_it_before_the_pages_own_limit():
    net = random_network("lstm", units=3, vocab=len(WORDS) + 1, embed=2, head="sigmoid", return_sequences=False)
    text = " ".join(WORDS[i % len(WORDS)] for i in range(scoring.MAX_WORDS + 50))
    for truncating, words in (("pre", text.split()[-20:]), ("post", text.split()[:20])):
        opened = open_classifier(net, read_vocabulary(json.dumps(["<pad>", *WORDS]).encode(), "v"),
                                 Framing(20, truncating=truncating), file="m.keras", vocabulary_file="v")
        reading = scoring.read(text, opened.vocab)
        assert [t.text for t in reading.tokens] == words
        assert reading.notes == (f"The model was trained on reviews cut to 20 ids, so it reads only the "
                                 f"{'last' if truncating == 'pre' else 'first'} 20 words.",)


def test_the_command_line_reads_a_review_with_an_opened_classifier(keras, tmp_path, capsys):
    from lstm_core.cli import main

    data, theirs, rows = FORMS["tokenizer-oov"]
    model = build(keras, rows, "GRU")
    (tmp_path / "m.keras").write_bytes(saved(model, tmp_path))
    (tmp_path / "tokenizer.json").write_bytes(data)
    args = ["sentiment", str(tmp_path / "m.keras"), "--vocab", str(tmp_path / "tokenizer.json"), "--maxlen", "18",
            "--padding", "post", "--text", TEXT, "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    padded = keras.utils.pad_sequences([theirs], maxlen=18, padding="post")
    assert abs(out["probability_positive"] - model.predict(padded, verbose=0)[0, 0]) < TOL
    assert main(args[:2] + args[4:]) == 2
    assert "needs its vocabulary: give it with --vocab" in capsys.readouterr().err


def test_an_opened_classifier_kept_in_a_folder_opens_again_as_it_was(keras, tmp_path):
    from lstm_core.sentiment.opened import SETTINGS_FILE, load_folder, save_folder

    data, _theirs, rows = FORMS["imdb"]
    model_data = saved(build(keras, rows, "LSTM"), tmp_path)
    net = read_model(model_data, "imdb.keras")
    first = open_classifier(net, read_vocabulary(data, "index.json"), Framing(15, "post", "post"), file="imdb.keras",
                            vocabulary_file="index.json", index_from=4)
    folder = save_folder(tmp_path / "opened", first, model_data, data, 4)
    again = load_folder(folder)
    assert (again.label, again.vocab.framing, again.vocab.ids) == (first.label, first.vocab.framing, first.vocab.ids)
    assert scoring.score(again.net, again.vocab, TEXT).prob == scoring.score(first.net, first.vocab, TEXT).prob
    (folder / SETTINGS_FILE).write_text('{"file": "imdb.keras"}')
    with pytest.raises(ClassifierFileError, match="does not hold an opened classifier"):
        load_folder(folder)
    assert [p.name for p in (tmp_path / "opened").iterdir()] == [folder.name]  # nothing half-written left
