"""Shared fixtures: tiny models trained for a few steps, so tests stay fast on two CPU cores."""

import os
import tempfile

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Workspaces (the models a tab saves, ui.workspace) go to a throwaway folder, never ~/.cache.
os.environ["LSTM_LAB_DATA_DIR"] = tempfile.mkdtemp(prefix="lstm-lab-test-data-")
# The app that tests run in this process keeps no spare training process (lstm_core.training.spare):
# it would outlive the test that started it, among the children of every test after. test_spare.py
# keeps spares of its own.
os.environ["LSTM_LAB_SPARE_PROCESS"] = "no"


# LSTM Lab's pages are in `pages/` but defined by st.navigation only: under AppTest too, Streamlit's
# older `pages/` folder mode stays off (why, and what it relies on: ui.pages_folder).
from ui import pages_folder  # noqa: E402  (after the environment above)

pages_folder.keep_off_in_apptest()

TINY_TEXT = ("To be, or not to be, that is the question:\n"
             "Whether 'tis nobler in the mind to suffer\n"
             "The slings and arrows of outrageous fortune,\n") * 20


@pytest.fixture(scope="session")
def tiny_text() -> str:
    return TINY_TEXT


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A two-layer LSTM trained for a few steps and saved as a model folder."""
    from lstm_core.storage.persistence import save_model_folder
    from lstm_core.spec import ModelSpec
    from lstm_core.training.trainer import TrainConfig, Trainer
    from lstm_core.data.vocab import CharVocab

    vocab = CharVocab.from_text(TINY_TEXT)
    spec = ModelSpec(vocab_size=vocab.size, cell="lstm", layers=2, units=12, embed_dim=8)
    trainer = Trainer(spec, vocab, vocab.ids(TINY_TEXT), TrainConfig(seq_len=16, batch_size=8, seed=1))
    result = trainer.run(steps=3)
    folder = tmp_path_factory.mktemp("models") / "tiny"
    save_model_folder(folder, trainer.float_model(with_optimizer=True), vocab, spec,
                      {"label": "tiny test model", "corpus": {"name": "tiny"},
                       "metrics": {"val_loss_nats": result.progress.val_loss, "steps": trainer.steps}})
    return folder


@pytest.fixture(autouse=True)
def _settings_read_afresh():
    """Each test starts from the settings the environment gives, and leaves them so: a module's shared
    AppTest, made before the next test's own fixtures, must not keep a folder of a test before it."""
    from lstm_core import settings

    settings.reread()
    yield
    settings.reread()  # torn down last of the test's fixtures: monkeypatch has given the environment back


@pytest.fixture
def lab_env(monkeypatch):
    """lab_env(NAME, value) sets an LSTM_LAB_* variable (None removes it) and reads the settings again,
    as a server started with it would; it returns them, or raises SettingsError as the server would."""
    from lstm_core import settings

    def set_variable(name: str, value: str | None):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
        return settings.reread()

    return set_variable
