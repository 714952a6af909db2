"""Hostile uploads under Streamlit's AppTest (which drives st.file_uploader), and the engine checks
they rely on that tests/test_persistence.py and tests/test_corpora.py do not cover.

What the person sees: a clear message in the uploader's place, no exception, and nothing they had
lost: the active model, the text uploaded or typed before. The browser versions (set_input_files,
Streamlit's own size limit, script in the page) are in tests/e2e/test_hostile_uploads_e2e.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test
import hostile_files as hf
from lstm_core.data.corpora import CorpusError, user_text
from lstm_core.storage import json_record
from lstm_core.storage.char_meta import CharMeta
from lstm_core.storage.persistence import (DEFAULT_MODEL, ModelFileError, import_zip, load_keras_model,
                                           load_model_folder, save_model_folder)
from lstm_core.sentiment import data as sentiment_data
from lstm_core.sentiment import store
from lstm_core.sentiment.meta import SentimentMeta
from ui.literal import literal



# -- the engine: archives Python cannot unpack, and texts that are not UTF-8 ---------------------


@pytest.mark.parametrize("build, words", [
    (hf.encrypted, "password-protected"),
    (hf.unsupported_method, "compression method LSTM Lab cannot unpack"),
    (hf.corrupt_deflate, "The zip archive is damaged"),
])
def test_zips_python_cannot_unpack_are_refused_with_a_message(tmp_path, build, words):
    with pytest.raises(ModelFileError, match=words):
        import_zip(build(), tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-unpacked is left


def test_a_zip_bomb_that_lies_about_its_sizes_is_never_inflated(tmp_path):
    data = hf.bomb_lying_sizes(gigabytes=4)
    assert len(data) < 8 * 2**20
    with pytest.raises(ModelFileError, match="damaged"):
        import_zip(data, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_lambda_layer_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ModelFileError, match="is a Lambda"):
        import_zip(hf.lambda_layer(marker), tmp_path / "uploads")
    assert not marker.exists()


def test_sentiment_zips_python_cannot_unpack_are_refused(tmp_path):
    with pytest.raises(store.SentimentModelError, match="damaged"):
        store.import_zip(hf.sentiment_corrupt_deflate(), tmp_path)
    encrypted = hf.zip_of(hf.sentiment_entries())
    for name in hf.FILES:
        encrypted = hf._patch_headers(encrypted, name, flags=0x1)
    with pytest.raises(store.SentimentModelError, match="password-protected"):
        store.import_zip(encrypted, tmp_path)


def test_a_zip_entry_named_with_braces_is_refused_by_its_name(tmp_path):
    """A file name is text from the zip, never a format string: '{x}.py' is named, never a KeyError."""
    for kind_import, error, files in ((store.import_zip, store.SentimentModelError, hf.sentiment_entries()),
                                      (import_zip, ModelFileError, hf.entries())):
        with pytest.raises(error, match=r"\{x\}\.py"):
            kind_import(hf.zip_of({**files, "{x}.py": b"print(1)"}), tmp_path / "u")


# -- meta.json: every field of the wrong type, or absurd, refused at load with the field's name ------------

CHAR_META, SENTIMENT_META = hf.full_char_meta(), hf.full_sentiment_meta()
CHAR_WRONG = hf.wrong_fields(CharMeta, CHAR_META)
SENTIMENT_WRONG = hf.wrong_fields(SentimentMeta, SENTIMENT_META)
# Values of the right type that no model has: the message names the field (or, in the spec, its last part).
ABSURD_CHAR = [("metrics.steps", ("metrics", "steps"), -5), ("corpus.chars", ("corpus", "chars"), -1),
               ("train.cool_down", ("train", "cool_down"), 7.0), ("units", ("spec", "units"), 10**9)]
ABSURD_SENTIMENT = [("margin", ("margin",), 99), ("test.accuracy.all", ("test", "accuracy", "all"), 3.0),
                    ("history[0].val_acc", ("history", 0, "val_acc"), -0.5)]


def _one_per_part(cases: list) -> list:
    """The first case of each top-level part of the record: the pages meet each part once (every field is
    checked at load by the tests above, in milliseconds each; a page's AppTest costs a second)."""
    seen, kept = set(), []
    for case in cases:
        part = case[1][0]
        if part not in seen:
            seen.add(part)
            kept.append(case)
    return kept


CHAR_ON_PAGES, SENTIMENT_ON_PAGES = _one_per_part(CHAR_WRONG), _one_per_part(SENTIMENT_WRONG)


def _ids(cases: list) -> list[str]:
    return [f"{field}={value!r}" for field, _place, value in cases]


def _names(field: str, message: str) -> bool:
    return f"“{field}”" in message or (field == "units" and "units must be" in message)


def test_the_full_meta_files_load_as_they_are(tmp_path):
    """The baseline of the tests below: with every field right, both models load."""
    assert import_zip(hf.with_meta(hf.entries(), CHAR_META), tmp_path / "c").meta.imported.parameters == 1000
    assert store.import_zip(hf.with_meta(hf.sentiment_entries(), SENTIMENT_META), tmp_path / "s").meta.test


@pytest.mark.parametrize("field, place, value", CHAR_WRONG + ABSURD_CHAR, ids=_ids(CHAR_WRONG + ABSURD_CHAR))
def test_a_character_model_meta_field_of_the_wrong_type_is_refused_naming_it(tmp_path, field, place, value):
    meta = hf.with_value(CHAR_META, place, value)
    with pytest.raises(ModelFileError) as refused:
        import_zip(hf.with_meta(hf.entries(), meta), tmp_path)
    assert _names(field, str(refused.value)), str(refused.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("field, place, value", SENTIMENT_WRONG + ABSURD_SENTIMENT,
                         ids=_ids(SENTIMENT_WRONG + ABSURD_SENTIMENT))
def test_a_sentiment_model_meta_field_of_the_wrong_type_is_refused_naming_it(tmp_path, field, place, value):
    meta = hf.with_value(SENTIMENT_META, place, value)
    with pytest.raises(store.SentimentModelError) as refused:
        store.import_zip(hf.with_meta(hf.sentiment_entries(), meta), tmp_path)
    assert _names(field, str(refused.value)), str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_test_results_without_vaders_accuracy_for_a_domain_are_refused(tmp_path):
    """The quality tab shows VADER's accuracy next to each domain's: one missing is a damaged file."""
    meta = hf.with_value(SENTIMENT_META, ("test", "vader_accuracy"), {"all": 0.7})
    with pytest.raises(store.SentimentModelError, match="“test.vader_accuracy.movies” is missing"):
        store.import_zip(hf.with_meta(hf.sentiment_entries(), meta), tmp_path)


def test_the_typed_record_survives_a_save_and_a_load(tmp_path):
    """What a folder's meta.json says comes back equal after saving it with a model and loading it."""
    shipped = load_model_folder(DEFAULT_MODEL)
    written = {k: v for k, v in CHAR_META.items() if k not in ("format", "version", "kind", "spec")}
    folder = save_model_folder(tmp_path / "again", load_keras_model(DEFAULT_MODEL), shipped.vocab, shipped.spec,
                               written)
    again = load_model_folder(folder)
    assert again.meta == json_record.from_json(CharMeta, CHAR_META)
    assert again.meta.held_out.plays == shipped.meta.held_out.plays and again.meta.spec == shipped.spec


def test_the_typed_sentiment_record_survives_a_save_and_a_load(tmp_path):
    shipped = store.load_folder("default")
    written = {k: v for k, v in SENTIMENT_META.items() if k not in ("format", "version", "kind", "spec")}
    folder = store.save_folder(tmp_path / "again", store.load_keras_model("default"), shipped.vocab, shipped.spec,
                               written)
    assert store.load_folder(folder).meta == shipped.meta


@pytest.mark.parametrize("data, words", [
    (hf.utf16_text(), "saved as UTF-16"),
    (hf.GOOD_TEXT.encode("utf-16-le"), "saved as UTF-16"),  # no byte-order mark
    (hf.GOOD_TEXT.encode("utf-16-be"), "saved as UTF-16"),
    (hf.GOOD_TEXT.encode("utf-32"), "saved as UTF-32"),
    (hf.png(), "binary file"),
    (hf.random_bytes(), "binary file"),
])
def test_wide_and_binary_texts_get_their_own_message(data, words):
    with pytest.raises(CorpusError, match=words):
        user_text(data, min_chars=10)


def test_a_utf16_csv_is_named_as_such():
    with pytest.raises(sentiment_data.DataError, match="saved as UTF-16"):
        sentiment_data.parse_csv("text\tlabel\nA fine film\t1\n".encode("utf-16"))


def test_literal_escapes_every_markdown_character():
    text = 'a*b_c`d$e[f](g)<h>!#+-.|~:&="\'^\\ {x}'
    escaped = literal(text + "\nnext line")
    assert escaped.replace("\\", "") == (text + " next line").replace("\\", "")
    for ch in "*_`$[]()<>!#+-.|~:&=\"'^{}":
        assert f"\\{ch}" in escaped, ch


# -- the sidebar's model zip -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def home():
    at = app_test()
    at.run()
    assert not at.exception
    return at


def _sidebar_upload(at: AppTest, name: str, data: bytes) -> None:
    at.sidebar.file_uploader(key="model_upload").set_value((name, data, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("name, build, words", [
    ("bomb.zip", hf.bomb_lying_sizes, "metadata file is damaged"),
    ("declares-4GB.zip", hf.bomb_huge_declared, "zip bomb"),
    ("traversal.zip", hf.path_traversal, "unsafe entry name"),
    ("lambda.zip", lambda: hf.lambda_layer(Path("/nonexistent/ran")), "is a Lambda"),
    ("encrypted.zip", hf.encrypted, "password-protected"),
    ("corrupt.zip", hf.corrupt_deflate, "The zip archive is damaged"),
    ("deflate64.zip", hf.unsupported_method, "compression method"),
    ("picture.zip", hf.png, "not a zip archive"),
    ("empty.zip", lambda: b"", "not a zip archive"),
])
def test_sidebar_refuses_a_bad_model_zip_and_keeps_the_active_model(home, name, build, words):
    at = home
    before = (at.session_state["active_model"], list(at.session_state["models"]))
    _sidebar_upload(at, name, build())
    errors = _errors(at.sidebar.error)
    assert any("That model could not be used." in e and words in e for e in errors), errors
    assert (at.session_state["active_model"], list(at.session_state["models"])) == before
    assert at.sidebar.selectbox(key="active_model_choice").value == before[0]
    at.run()  # any later rerun (the person does something else): the file is still there, so is why
    assert _errors(at.sidebar.error) == errors


@pytest.mark.parametrize("field, place, value", CHAR_ON_PAGES, ids=_ids(CHAR_ON_PAGES))
def test_sidebar_refuses_a_model_whose_meta_has_a_field_of_the_wrong_type(home, field, place, value):
    at = home
    before = (at.session_state["active_model"], list(at.session_state["models"]))
    _sidebar_upload(at, "meta.zip", hf.with_meta(hf.entries(), hf.with_value(CHAR_META, place, value)))
    errors = _errors(at.sidebar.error)
    assert any("That model could not be used." in e and f"“{field}”" in e for e in errors), errors
    assert (at.session_state["active_model"], list(at.session_state["models"])) == before


def test_a_model_whose_meta_says_only_what_it_must_works_on_every_page():
    """Everything but the header and the spec is optional: the pages do without it, and never fail later."""
    at = app_test().run()
    bare = {k: CHAR_META[k] for k in ("format", "version", "kind", "spec")}
    _sidebar_upload(at, "bare.zip", hf.with_meta(hf.entries(), bare))
    active = at.session_state["active_model"]
    assert active.startswith("upload:")
    for page in ("pages/gates.py", "pages/sample.py", "pages/anatomy.py", "pages/train.py", "pages/home.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.session_state["active_model"] == active


def _errors(elements) -> list[str]:
    """Error messages, without the backslashes that escape what the files say."""
    return [e.value.replace("\\", "") for e in elements]


def test_a_model_label_is_shown_literally_in_the_sidebar():
    at = app_test().run()
    _sidebar_upload(at, "labels.zip", hf.script_labels())
    assert at.session_state["active_model"].startswith("upload:")  # a working model: accepted, active
    assert any("it is now the active model" in m.value for m in at.sidebar.success)
    card = next(m.value for m in at.sidebar.markdown if "**Corpus:**" in m.value)
    assert literal("Corpus " + hf.SCRIPT_LABEL) in card
    assert "[click](" not in card and "![t](" not in card and "**bold**" not in card


# -- the Train page's text file ------------------------------------------------------------------------


@pytest.fixture
def train():
    at = app_test().run()
    at.switch_page("pages/train.py").run()
    at.radio(key="train_source").set_value("upload").run()
    assert not at.exception
    return at


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_train_keeps_the_earlier_text_when_a_bad_file_follows(train):
    at = train
    at.file_uploader(key="train_upload").set_value(("good.txt", hf.GOOD_TEXT.encode(), "text/plain")).run()
    assert not at.error
    for name, data, words in [("notepad.txt", hf.utf16_text(), "saved as UTF-16"),
                              ("scan.txt", hf.png(), "binary file"),
                              ("latin1.txt", hf.latin1_text(), "not UTF-8"),
                              ("empty.txt", b"", "empty")]:
        at.file_uploader(key="train_upload").set_value((name, data, "text/plain")).run()
        assert not at.exception
        errors = [e.replace("\\", "") for e in _texts(at.error)]
        assert any(words in e and "go back to **good.txt**, uploaded earlier" in e for e in errors), errors
        assert at.session_state["train_last_upload"][0] == "good.txt"  # not replaced by the bad file
        at.file_uploader(key="train_upload").set_value(None).run()  # the person removes the bad file
        assert not at.error
        shown = [c.replace("\\", "") for c in _texts(at.caption)]  # names are Markdown-escaped
        assert any("good.txt" in c and "uploaded earlier" in c for c in shown), shown


def test_the_same_text_under_another_name_is_trained_under_that_name(train):
    at = train
    for name in ("first.txt", "second.txt"):
        at.file_uploader(key="train_upload").set_value((name, hf.GOOD_TEXT.encode(), "text/plain")).run()
        assert not at.error and not at.exception
        shown = " ".join(m.replace("\\", "") for m in _texts(at.markdown) + _texts(at.caption))
        assert name in shown and (name == "first.txt" or "first.txt" not in shown), shown


def test_train_paste_survives_a_detour_through_a_bad_upload(train):
    at = train
    at.radio(key="train_source").set_value("paste").run()
    at.text_area(key="train_paste").input(hf.GOOD_TEXT).run()
    at.radio(key="train_source").set_value("upload").run()
    at.file_uploader(key="train_upload").set_value(("random.txt", hf.random_bytes(), "text/plain")).run()
    assert any("binary file" in e for e in _texts(at.error))
    at.radio(key="train_source").set_value("paste").run()
    assert at.text_area(key="train_paste").value == hf.GOOD_TEXT
    assert not at.error and not at.exception


# -- the Sentiment page's classifier zip and CSV ---------------------------------------------------------


@pytest.fixture(scope="module")
def sentiment():
    at = app_test().run()
    at.switch_page("pages/sentiment.py")
    at.session_state["sent_tab"] = "How good is it?"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("field, place, value", SENTIMENT_ON_PAGES, ids=_ids(SENTIMENT_ON_PAGES))
def test_sentiment_refuses_a_classifier_whose_meta_has_a_field_of_the_wrong_type(sentiment, field, place, value):
    at = sentiment
    before = at.session_state["sent_model"]
    data = hf.with_meta(hf.sentiment_entries(), hf.with_value(SENTIMENT_META, place, value))
    at.file_uploader(key="sent_model_upload").set_value(("meta.zip", data, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = _errors(at.error)
    assert any("That classifier could not be used." in e and f"“{field}”" in e for e in errors), errors
    assert at.session_state["sent_model"] == before


def test_a_classifier_whose_meta_says_only_what_it_must_is_used_and_shown():
    at = app_test().run()
    at.switch_page("pages/sentiment.py")
    at.session_state["sent_tab"] = "How good is it?"
    at.run()
    bare = {k: SENTIMENT_META[k] for k in ("format", "version", "kind", "spec")}
    at.file_uploader(key="sent_model_upload").set_value(("bare.zip", hf.with_meta(hf.sentiment_entries(), bare),
                                                         "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["sent_model"].startswith("upload:")
    assert any("no test results" in i.value for i in at.info)
    for tab in ("Classify", "Retrain", "How good is it?"):
        at.session_state["sent_tab"] = tab
        at.run()
        assert not at.exception, (tab, [e.value for e in at.exception])


def test_sentiment_shows_the_regenerate_command_literally():
    at = app_test().run()
    at.switch_page("pages/sentiment.py")
    at.session_state["sent_tab"] = "How good is it?"
    at.run()
    command = "make it` [click](javascript:alert(1)) `**bold**"
    data = hf.with_meta(hf.sentiment_entries(), {**SENTIMENT_META, "regenerate": command})
    at.file_uploader(key="sent_model_upload").set_value(("cmd.zip", data, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    caption = next(c.value for c in at.caption if "Regenerate this model with" in c.value)
    assert literal(command) in caption and "[click](" not in caption


def test_sentiment_refuses_bad_classifiers_and_csvs():
    at = app_test().run()
    at.switch_page("pages/sentiment.py")
    at.session_state["sent_tab"] = "How good is it?"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    before = at.session_state["sent_model"]
    for name, data, words in [("corrupt.zip", hf.sentiment_corrupt_deflate(), "The zip archive is damaged"),
                              ("char-model.zip", hf.good_model_zip(), "That classifier could not be used."),
                              ("empty.zip", b"", "not a zip archive")]:
        at.file_uploader(key="sent_model_upload").set_value((name, data, "application/zip")).run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("That classifier could not be used." in e and words in e for e in _texts(at.error)), \
            _texts(at.error)
        assert at.session_state["sent_model"] == before
        at.run()
        assert any(words in e for e in _texts(at.error)), "the message went away with the next rerun"
    at.session_state["sent_tab"] = "Retrain"
    at.run()
    at.file_uploader(key="sent_csv").set_value(
        ("excel.csv", "text,label\nA fine film,1\n".encode("utf-16"), "text/csv")).run()
    assert not at.exception
    assert any("saved as UTF-16" in e for e in _texts(at.error)), _texts(at.error)
