"""A tab's models come back after a server restart (a new session for the same address), and the
page says what could not come back."""

import shutil

from helpers_apptest import app_test
from lstm_core.storage.persistence import PRETRAINED
from ui import workspace
from ui.models import pretrained_key

SHIPPED = {pretrained_key(name) for name, folder in PRETRAINED.items() if (folder / "model.keras").is_file()}


def new_session(ws=None, page="pages/sample.py"):
    at = app_test()
    if ws is not None:
        at.query_params["ws"] = ws
    at.run()
    at.first_infos = infos(at)  # what the first page drawn said
    at.switch_page(page)
    at.run()
    assert not at.exception
    return at


def infos(at):
    return [i.value for i in at.info]


def test_a_new_tab_gets_a_workspace_in_its_address():
    at = new_session()
    ws = at.session_state["workspace_id"]
    assert len(ws) == 32 and at.query_params["ws"] == ws
    assert (workspace.root() / ws).is_dir()
    assert not any("reconnected" in i for i in at.first_infos + infos(at))


def test_after_a_restart_the_saved_models_and_the_choice_come_back(tiny_model_dir):
    first = new_session()
    ws = first.session_state["workspace_id"]
    folder = workspace.root() / ws
    # What the first session left on disk: a model it trained, the active choice, and a training
    # that was still running when the server went down.
    shutil.copytree(tiny_model_dir, folder / "run-20260101-000000-abcdef")
    (folder / "state.json").write_text('{"active_model": "run-20260101-000000-abcdef", "training": "run-x"}')

    second = new_session(ws)  # the server restarted; the tab reconnects with its address
    assert second.session_state["workspace_id"] == ws
    registry = second.session_state["models"]
    assert set(registry) == SHIPPED | {"run-20260101-000000-abcdef"}
    assert registry["run-20260101-000000-abcdef"].source == "Trained here"
    assert second.session_state["active_model"] == "run-20260101-000000-abcdef"
    notice = [i for i in second.first_infos if "reconnected" in i]
    assert notice and "1 saved model is back" in notice[0] and "training was running" in notice[0]
    assert not any("reconnected" in i for i in infos(second))  # said once
    assert not second.exception


def test_a_forged_or_unknown_workspace_id_gets_a_fresh_one():
    for forged in ("../../etc", "0" * 31 + "g", "f" * 32):  # the last is well formed but does not exist
        at = new_session(forged)
        ws = at.session_state["workspace_id"]
        assert ws != forged and len(ws) == 32
        assert set(at.session_state["models"]) == SHIPPED


def test_a_reload_takes_up_the_running_training_and_can_stop_it():
    from helpers_apptest import rerun_until
    from test_page_train import button

    first = new_session(page="pages/train.py")
    for key, value in (("train_units", 8), ("train_embed", 4), ("train_seq_len", 16), ("train_batch", 8),
                       ("train_duration", 0)):
        first.select_slider(key=key).set_value(value).run()
    button(first, "Start").click().run()
    job = first.session_state["train_job"]
    try:
        # The tab reloads (a new session for the same address) while the run goes on.
        second = new_session(first.session_state["workspace_id"], page="pages/train.py")
        assert second.session_state["train_job"] is job and job.is_alive
        assert any("still running" in i for i in second.first_infos)
        assert not button(second, "Stop").disabled and button(second, "Start").disabled
        # A reload of Train itself shows the run live: no banner sends the student to the page they are on.
        third = app_test()
        third.query_params["ws"] = first.session_state["workspace_id"]
        third.switch_page("pages/train.py")
        third.run()
        assert not third.exception and third.session_state["train_job"] is job
        assert not [i for i in infos(third) if "reconnected" in i or "still running" in i], infos(third)
        assert second.select_slider(key="train_duration").value == 0  # the run's own time: until stopped
        rerun_until(second, lambda: job.view().steps >= 2 and len(second.metric) == 4, "the run shown live")
        assert second.get("plotly_chart")
        button(second, "Stop").click().run()
        rerun_until(second, lambda: any(s.startswith("Stopped") for s in [i.value for i in second.info]),
                    "the stop, from the second session")
        assert not job.is_alive
    finally:
        job.stop()
        job.join(timeout=60)


def _checkpoint(folder, corpus: dict, steps: int, with_settings: bool = True):
    """A run's folder as its last checkpoint left it: a tiny LSTM trained `steps` steps on the default text."""
    from lstm_core.data.corpora import load_corpus
    from lstm_core.data.vocab import CharVocab
    from lstm_core.spec import ModelSpec
    from lstm_core.storage.persistence import save_model_folder
    from lstm_core.training.trainer import TrainConfig, Trainer

    text = load_corpus("shakespeare3").text
    vocab = CharVocab.from_text(text)
    trainer = Trainer(ModelSpec(vocab_size=vocab.size, units=8, embed_dim=4), vocab, vocab.ids(text),
                      TrainConfig(seq_len=16, batch_size=8, seed=1))
    trainer.run(steps=steps)
    if with_settings:
        trainer.save(folder, corpus={**corpus, "chars": len(text)}, label="LSTM 1×8 · checkpoint")
    else:  # a folder written by hand, as the fixtures do: no training settings
        save_model_folder(folder, trainer.float_model(with_optimizer=True), vocab, trainer.spec,
                          {"label": "LSTM 1×8 · checkpoint", "corpus": corpus, "metrics": {"steps": trainer.steps}})


def _restarted_on(run: str, checkpoint) -> object:
    """A tab whose server restarted while `run` trained, reconnected on Train with the run active."""
    first = new_session()
    ws = first.session_state["workspace_id"]
    checkpoint(workspace.root() / ws / run)
    (workspace.root() / ws / "state.json").write_text(f'{{"active_model": "{run}", "training": "{run}"}}')
    return new_session(ws, page="pages/train.py")


def test_after_a_restart_resume_trains_the_checkpoint_on_from_its_step():
    from helpers_apptest import rerun_until
    from test_page_train import button
    from ui.train import session as ts

    run = "run-20260101-000000-abcdef"
    at = _restarted_on(run, lambda folder: _checkpoint(folder, {"name": "shakespeare3", "label": "Shakespeare"}, 40))
    assert at.session_state["active_model"] == run and "train_job" not in at.session_state
    assert not button(at, "Resume").disabled
    at.select_slider(key="train_duration").set_value(15).run()
    button(at, "Resume").click().run()
    job = at.session_state["train_job"]
    try:
        assert job.run_id == run and job.is_alive
        seen = []
        rerun_until(at, lambda: seen.append(job.view().steps) or job.view().steps > 43, "steps after the checkpoint's")
        assert min(seen) >= 40  # it goes on from step 40, not from random weights at step 0
        # The run ends by itself after its 15 s (a Stop on a busy machine may come inside a step and end it).
        rerun_until(at, lambda: not job.is_alive and not isinstance(at.session_state["models"][run], ts.TrainingEntry),
                    "the run's end, saved")
        saved = at.session_state["models"][run].model
        assert saved.folder == workspace.root() / at.session_state["workspace_id"] / run
        assert saved.meta.metrics.steps == job.view().steps > 43 and at.session_state["active_model"] == run
    finally:
        job.stop()
        job.join(timeout=60)


def test_after_a_restart_a_checkpoint_without_what_resume_needs_says_why():
    from test_page_train import button

    run = "run-20260101-000000-abcdef"
    at = _restarted_on(run, lambda folder: _checkpoint(folder, {"name": "shakespeare3"}, 2, with_settings=False))
    assert button(at, "Resume").disabled
    assert any("training settings saved with the model" in c.value for c in at.caption)
    pasted = _restarted_on(run, lambda folder: _checkpoint(folder, {"name": "user:Pasted text", "label": "Pasted text"}, 2))
    assert button(pasted, "Resume").disabled
    assert any("choose the text this model learnt from (“Pasted text”)" in c.value for c in pasted.caption)
