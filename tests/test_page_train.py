"""The Train page in Streamlit's AppTest: widgets, the parameter table, bad input, and a tiny live run."""

import numpy as np
import pytest
from helpers_apptest import app_test, rerun_until

from lstm_core.data.corpora import GutenbergStatus
from lstm_core.training.character_runs import latest
from ui.train import session as ts

TIMEOUT = 120.0
TEXT = ("To be, or not to be, that is the question:\n"
        "Whether 'tis nobler in the mind to suffer\n"
        "The slings and arrows of outrageous fortune,\n"
        "Or to take arms against a sea of troubles\n") * 12
REPEATED = "The validation text also appears in the training text"


@pytest.fixture
def at():
    app = app_test()
    app.run()
    app.switch_page("pages/train.py")
    app.run()
    assert not app.exception
    yield app
    job = app.session_state["train_job"] if "train_job" in app.session_state else None
    if job is not None:  # never leave a thread training after the test
        job.stop()
        job.join(timeout=TIMEOUT)


def button(at, label):
    matches = [b for b in at.button if b.label == label]
    assert len(matches) == 1, f"buttons: {[b.label for b in at.button]}"
    return matches[0]


def texts(elements):
    return [e.value for e in elements]


def listed(at, run_id: str) -> bool:
    """The run's model is in the session's list as a trained one: "Stopped" shows as soon as a run stops, the
    model once its process has saved it."""
    entry = at.session_state["models"].get(run_id)
    return entry is not None and not isinstance(entry, ts.TrainingEntry)


def param_total(at) -> int:
    table = at.table[0].value
    return int(str(table.loc["Total", "Parameters"]).replace(",", ""))


def test_widgets_and_defaults(at):
    assert at.title[0].value == "Train a model"
    assert at.radio(key="train_source").value == "builtin"
    assert at.segmented_control(key="train_cell").value == "lstm"
    assert at.segmented_control(key="train_layers").value == 1
    assert at.select_slider(key="train_units").value == 256
    assert at.select_slider(key="train_embed").value == 32
    assert at.slider(key="train_dropout").value == 0.0
    assert at.select_slider(key="train_seq_len").value == 16
    assert at.select_slider(key="train_batch").value == 128
    assert at.select_slider(key="train_lr").value == 0.01
    assert at.number_input(key="train_seed").value == 0
    assert at.select_slider(key="train_duration").value == 60
    assert not button(at, "Start").disabled
    assert button(at, "Stop").disabled and button(at, "Resume").disabled
    # The built-in three plays: length and vocabulary are shown.
    assert any("391,629 characters" in m and "Hamlet" in m for m in texts(at.markdown)), texts(at.markdown)
    assert not at.error


def test_parameter_table_follows_the_settings(at):
    table = at.table[0].value
    assert list(table.index) == ["Embedding", "LSTM 1", "Dense (softmax)", "Total"]
    assert "4·(32 + 256 + 1)·256" in table.loc["LSTM 1", "Formula"]
    assert param_total(at) == 66 * 32 + 4 * (32 + 256 + 1) * 256 + 257 * 66
    at.select_slider(key="train_units").set_value(64).run()
    assert param_total(at) == 66 * 32 + 4 * (32 + 64 + 1) * 64 + 65 * 66
    at.segmented_control(key="train_cell").set_value("gru").run()
    at.segmented_control(key="train_layers").set_value(2).run()
    table = at.table[0].value
    assert list(table.index) == ["Embedding", "GRU 1", "GRU 2", "Dense (softmax)", "Total"]
    assert param_total(at) == 66 * 32 + 3 * (32 + 64 + 2) * 64 + 3 * (64 + 64 + 2) * 64 + 65 * 66
    at.checkbox(key="train_lowercase").check().run()  # fewer characters, a smaller vocabulary
    assert param_total(at) < 66 * 32 + 3 * (32 + 64 + 2) * 64 + 3 * (64 + 64 + 2) * 64 + 65 * 66
    assert not at.exception


def test_pasting_too_short_a_text_shows_an_error_and_keeps_it(at):
    at.radio(key="train_source").set_value("paste").run()
    assert button(at, "Start").disabled  # nothing to train on yet
    at.text_area(key="train_paste").input("Too short.").run()
    assert any("at least" in e for e in texts(at.error)), texts(at.error)
    assert at.text_area(key="train_paste").value == "Too short."  # what the user typed is kept
    assert button(at, "Start").disabled
    at.text_area(key="train_paste").input(TEXT).run()
    assert not at.error and not button(at, "Start").disabled
    assert not at.exception


def test_sequence_longer_than_the_text_is_refused(at):
    at.radio(key="train_source").set_value("paste").run()
    at.text_area(key="train_paste").input(TEXT[:300]).run()
    assert not at.error
    at.select_slider(key="train_seq_len").set_value(512).run()
    assert any("sequence length" in e for e in texts(at.error)), texts(at.error)
    assert button(at, "Start").disabled
    assert at.text_area(key="train_paste").value == TEXT[:300]
    assert not at.exception


@pytest.mark.parametrize("name, data, words", [
    ("empty.txt", b"", "empty"),
    ("binary.txt", bytes(range(256)) * 40, "binary"),
    ("latin1.txt", "Ça va très bien, merci. ".encode("latin-1") * 20, "UTF-8"),
])
def test_bad_uploads_show_an_error(at, name, data, words, caplog):
    at.radio(key="train_source").set_value("upload").run()
    with caplog.at_level("INFO", logger="ui.refusals"):
        at.get("file_uploader")[0].set_value((name, data, "text/plain")).run()
    assert any(words in e for e in texts(at.error)), texts(at.error)
    assert button(at, "Start").disabled
    assert not at.exception
    # Whoever runs the server reads which box refused how many bytes and why; never the name or content.
    [said] = [r.getMessage() for r in caplog.records if r.name == "ui.refusals"]
    assert said.startswith(f"Refused an upload to Train's text ({len(data):,} bytes): ") and words in said
    assert name not in said


def test_huge_upload_is_refused(at, monkeypatch):
    import lstm_core.data.corpora as corpora

    monkeypatch.setattr(corpora, "MAX_USER_BYTES", 1000)  # the page calls user_text, which reads the cap
    at.radio(key="train_source").set_value("upload").run()
    at.get("file_uploader")[0].set_value(("big.txt", TEXT.encode() * 10, "text/plain")).run()
    assert any("limit" in e for e in texts(at.error)), texts(at.error)
    assert not at.exception


def test_a_good_upload_is_described(at):
    at.radio(key="train_source").set_value("upload").run()
    at.get("file_uploader")[0].set_value(("hamlet.txt", TEXT.encode(), "text/plain")).run()
    assert not at.error
    shown = [m.replace("\\", "") for m in texts(at.markdown)]  # user text is Markdown-escaped
    assert any("hamlet.txt" in m and f"{len(TEXT):,} characters" in m for m in shown), shown
    assert any(TEXT[:40] in c for c in texts(at.code))  # the preview


def test_very_high_learning_rate_warns(at):
    at.select_slider(key="train_lr").set_value(5.0).run()
    assert any("very high" in w for w in texts(at.warning)), texts(at.warning)
    assert not button(at, "Start").disabled  # allowed: seeing it diverge is instructive
    assert not at.exception


def test_gutenberg_offline_offers_a_download_that_explains_itself(at, monkeypatch):
    import lstm_core.data.corpora as corpora

    monkeypatch.setattr(corpora, "gutenberg_status",
                        lambda: GutenbergStatus(False, [], "NLTK's Gutenberg corpus is not on this computer yet."))
    monkeypatch.setattr(corpora, "download_gutenberg",
                        lambda timeout_s=5.0: GutenbergStatus(False, [], "could not be downloaded (offline?)"))
    at.run()
    assert "gutenberg" not in at.radio(key="train_source").options
    button(at, "Try to download").click().run()
    assert any("offline" in w for w in texts(at.warning)), texts(at.warning)
    assert not at.exception


def test_a_tiny_training_run_live_then_stopped_and_registered(at):
    at.select_slider(key="train_units").set_value(8).run()
    at.select_slider(key="train_embed").set_value(4).run()
    at.select_slider(key="train_seq_len").set_value(16).run()
    at.select_slider(key="train_batch").set_value(8).run()
    at.select_slider(key="train_duration").set_value(0).run()  # until I stop it
    button(at, "Start").click().run()
    assert not at.exception
    assert button(at, "Start").disabled and not button(at, "Stop").disabled
    assert at.select_slider(key="train_units").disabled  # settings are locked while training

    job = at.session_state["train_job"]
    run_id = job.run_id
    # Progress, numbers, the chart and a sample appear after a few reruns.
    rerun_until(at, lambda: job.view().steps >= 5 and len(at.metric) == 4, "the first training steps")
    assert at.get("plotly_chart"), "no loss chart"
    # Short labels that fit two narrow columns in Chinese; the unit chosen above the numbers is in their help.
    assert [m.label for m in at.metric] == ["Step", "Epoch", "Training loss", "Validation loss"]
    assert "In nats per character." in at.metric[3].help
    assert not any(REPEATED in c for c in texts(at.caption))  # the plays' validation part is new text
    assert len(at.progress) == 1 and "characters/s" in at.progress[0].text
    assert any("Temperature" in m for m in texts(at.markdown))
    # The model being trained is offered in the session's model list, without becoming active.
    registry = at.session_state["models"]
    assert isinstance(registry[run_id], ts.TrainingEntry)
    live = registry[run_id]
    assert live.model.net is not None and live.source == "Training now"
    for _ in range(5):  # read twice around the snapshots, in case the thread took a new look meanwhile
        net_now = latest(job)[0]
        snaps = live.snapshots
        if latest(job)[0] is net_now:
            break
    assert snaps[0].step == 0 and snaps[-1].net is net_now  # the last snapshot is the model as it is now
    assert at.session_state["active_model"] != run_id

    # Switching pages neither stops nor loses the training; coming back shows it again.
    steps = job.view().steps
    at.switch_page("pages/home.py").run()
    assert not at.exception and job.is_alive
    at.switch_page("pages/train.py")
    rerun_until(at, lambda: job.view().steps > steps and len(at.metric) == 4, "training to go on")
    assert at.session_state["train_job"] is job and at.select_slider(key="train_units").value == 8

    button(at, "Stop").click().run()
    rerun_until(at, lambda: any(s.startswith("Stopped") for s in texts(at.info)), "the stop")
    rerun_until(at, lambda: listed(at, run_id), "the stopped model listed")
    # Saved, loaded back, registered and active; downloadable.
    entry = at.session_state["models"][run_id]
    assert not isinstance(entry, ts.TrainingEntry) and entry.source == "Trained here"
    assert at.session_state["active_model"] == run_id
    assert (entry.model.folder / "model.keras").is_file()
    assert entry.snapshots and entry.snapshots[-1].step == job.view().steps
    assert at.get("download_button")
    assert any("active model" in m for m in texts(at.markdown))
    assert not button(at, "Resume").disabled and not button(at, "Start").disabled

    # Resume continues the same network with a new learning rate.
    steps = job.view().steps
    at.select_slider(key="train_lr").set_value(0.001).run()
    # Until stopped: a run with a budget cools its rate down at the end, which a slow machine can reach.
    at.select_slider(key="train_duration").set_value(0).run()
    button(at, "Resume").click().run()
    rerun_until(at, lambda: job.view().steps > steps + 3, "more steps after resuming")
    assert job.view().progress.learning_rate == pytest.approx(0.001)
    button(at, "Stop").click().run()
    rerun_until(at, lambda: any(s.startswith("Stopped") for s in texts(at.info)), "the second stop")
    rerun_until(at, lambda: listed(at, run_id) and at.session_state["models"][run_id].model.meta.metrics.steps
                == job.view().steps, "the model of the second run listed")
    saved = at.session_state["models"][run_id].model
    assert saved.meta.metrics.steps == job.view().steps
    assert saved.meta.train.learning_rate == pytest.approx(0.001)
    assert not at.exception


def test_a_validation_text_found_in_the_training_text_is_said_to_be(at):
    """TEXT repeats itself: its last 10% is in its first 90%, and a loss near 0 on it shows memory."""
    at.radio(key="train_source").set_value("paste").run()
    at.text_area(key="train_paste").input(TEXT).run()
    at.select_slider(key="train_units").set_value(8).run()
    at.select_slider(key="train_batch").set_value(8).run()
    at.select_slider(key="train_duration").set_value(0).run()
    button(at, "Start").click().run()
    job = at.session_state["train_job"]
    rerun_until(at, lambda: job.view().steps >= 2 and len(at.metric) == 4, "the first training steps")
    assert sum(REPEATED in c for c in texts(at.caption)) == 1
    button(at, "Stop").click().run()
    rerun_until(at, lambda: any(s.startswith("Stopped") for s in texts(at.info)), "the stop")
    assert sum(REPEATED in c for c in texts(at.caption)) == 1  # beside the final numbers too
    assert not at.exception


@pytest.mark.parametrize("native", ["yes", "no"])
def test_what_the_page_says_of_bfloat16_follows_the_processor(at, lab_env, native):
    """Both kinds of processor on any machine: the switch decides what "auto" trains in."""
    lab_env("LSTM_LAB_CPU_BFLOAT16", native)  # the training process inherits it
    bf16 = native == "yes"
    at.select_slider(key="train_units").set_value(8).run()
    at.select_slider(key="train_batch").set_value(8).run()
    at.select_slider(key="train_duration").set_value(0).run()
    keras_code = next(c.value for c in at.code if "keras.Sequential" in c.value)
    assert ("mixed_bfloat16" in keras_code) == bf16
    button(at, "Start").click().run()
    job = at.session_state["train_job"]
    rerun_until(at, lambda: job.view().steps >= 2 and len(at.metric) == 4, "the first training steps")
    assert job.view().progress.precision == ("bfloat16" if bf16 else "float32")
    said = [c for c in texts(at.caption) if "bfloat16" in c]
    assert len(said) == bf16, said  # said once, under the chart, or not at all
    button(at, "Stop").click().run()
    rerun_until(at, lambda: any(s.startswith("Stopped") for s in texts(at.info)), "the stop")
    # "Stopped" shows as soon as the run stops; the model is listed once its process has saved it.
    rerun_until(at, lambda: listed(at, job.run_id), "the stopped model listed")
    saved = at.session_state["models"][job.run_id].model
    assert saved.meta.train.precision == job.view().progress.precision
    assert not at.exception


def with_faults(monkeypatch, **faults):
    """The page's next training runs with `faults` injected in its child process (see helpers_training)."""
    from helpers_training import FaultyRecipe
    from lstm_core.training.train_worker import TrainRecipe

    def from_text(cls, spec, vocab, text, config, corpus_name=""):
        return FaultyRecipe(spec, vocab, vocab.ids(text), config, corpus_name, **faults)

    monkeypatch.setattr(TrainRecipe, "from_text", classmethod(from_text))


def test_a_run_that_turns_nan_is_explained_and_the_good_weights_are_kept(at, monkeypatch):
    with_faults(monkeypatch, nan_at=6)  # as a runaway update would
    at.select_slider(key="train_units").set_value(8).run()
    button(at, "Start").click().run()
    rerun_until(at, lambda: any("NaN" in w for w in texts(at.error)), "the divergence message")
    assert any("Lower the learning rate" in w for w in texts(at.error))
    job = at.session_state["train_job"]
    entry = at.session_state["models"][job.run_id]
    # Kept to look at, not made active: the pages go on showing the model they showed.
    assert entry.source == "Trained here" and at.session_state["active_model"] != job.run_id
    assert any("not** the active model" in m for m in texts(at.markdown))
    assert np.isfinite(entry.model.net.embedding).all() and entry.model.meta.metrics.steps == 4
    assert not button(at, "Resume").disabled  # lower the learning rate and go on
    assert not at.exception


def test_a_failing_training_shows_an_error_not_a_traceback(at, monkeypatch):
    with_faults(monkeypatch, fail_at=1)
    at.select_slider(key="train_units").set_value(8).run()
    button(at, "Start").click().run()
    rerun_until(at, lambda: any("Training failed" in e for e in texts(at.error)), "the error message")
    assert any("simulated failure" in e for e in texts(at.error))
    assert not button(at, "Start").disabled  # the user can try again
    job = at.session_state["train_job"]
    assert job.run_id not in at.session_state["models"]  # an untrained model is not offered
    assert at.session_state["active_model"] != job.run_id
    assert not at.exception
