"""The names the model lists show: where a model came from first, and for one trained here when its run
started, so that two runs on one text are told apart."""

from ui.models import ModelEntry

from lstm_core.storage.persistence import load_model_folder


def test_names_say_where_a_model_came_from_and_when_a_run_started():
    model = load_model_folder("default")
    assert ModelEntry("pretrained", "Pretrained", model).label == model.label  # "… pretrained on Shakespeare"
    assert "pretrained" in model.label
    trained = ModelEntry("run-20261201-143205-abc123", "Trained here", model).label
    assert trained == f"Trained here at 14:32: {model.label}"
    # Two runs of one model at different times have different names.
    assert ModelEntry("run-20261201-091500-def456", "Trained here", model).label != trained
    assert ModelEntry("my-folder", "Trained here", model).label == f"Trained here: {model.label}"
    assert ModelEntry("upload:x", "Uploaded", model).label == f"Uploaded: {model.label}"
    assert ModelEntry("published:x", "Published", model).label == f"From the teacher: {model.label}"
