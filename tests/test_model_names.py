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


def test_a_model_trained_here_is_named_in_the_readers_language():
    """Its name was made from its network and its text in the trainer's language; a reader of the other
    language (a student opening the teacher's published model) reads the text's title in theirs."""
    from dataclasses import replace

    from lstm_core import i18n
    from lstm_core.storage.char_meta import Corpus
    from lstm_core.storage.persistence import LoadedModel

    base = load_model_folder("default")
    network = f"{base.spec.cell_name} {base.spec.layers}×{base.spec.units} · "

    def trained_on(name, label, lowercase=False):
        meta = replace(base.meta, pretrained=False, label=network + label,
                       corpus=Corpus(name=name, label=label, lowercase=lowercase))
        return LoadedModel(base.folder, base.net, base.vocab, base.spec, meta)

    in_chinese = trained_on("shakespeare3", "莎士比亚：《尤利乌斯·凯撒》《哈姆雷特》《麦克白》")
    pasted = trained_on("user:Pasted text", "Pasted text (lowercase)", lowercase=True)
    uploaded = trained_on("user:notes.txt", "notes.txt")
    try:
        i18n.set_resolver(lambda: "en")
        assert in_chinese.label == network + "Shakespeare: Julius Caesar, Hamlet, Macbeth"
        assert ModelEntry("published:x", "Published", in_chinese).label == \
            "From the teacher: " + network + "Shakespeare: Julius Caesar, Hamlet, Macbeth"
        assert pasted.label == network + "Pasted text (lowercase)"
        i18n.set_resolver(lambda: "zh")
        assert in_chinese.label.startswith(network) and "Shakespeare" not in in_chinese.label
        assert pasted.label.startswith(network) and "Pasted" not in pasted.label
        assert uploaded.label == network + "notes.txt"  # a file's name is said as it is
    finally:
        i18n.set_resolver(lambda: "en")


def test_a_running_training_is_named_and_summed_up_in_the_readers_language():
    """The Train page's locked-settings line and the sidebar's running line name the run as the model
    list does: started by an English teacher, a Chinese tab reads the text's title in Chinese."""
    from lstm_core import i18n
    from lstm_core.training.trainer import TrainConfig
    from ui.train.session import JobInfo

    spec = load_model_folder("default").spec
    network = f"{spec.cell_name} {spec.layers}×{spec.units} · "
    info = JobInfo(corpus={"name": "shakespeare3", "label": "Shakespeare: Julius Caesar, Hamlet, Macbeth",
                           "chars": 1000, "lowercase": False},
                   spec=spec, config=TrainConfig(), label=network + "Shakespeare: Julius Caesar, Hamlet, Macbeth",
                   folder=None)
    try:
        i18n.set_resolver(lambda: "en")
        assert info.name == info.label
        assert info.summary().startswith(info.label + ", sequence length")
        i18n.set_resolver(lambda: "zh")
        assert info.name.startswith(network) and "Shakespeare" not in info.name
        assert info.summary().startswith(info.name) and "sequence length" not in info.summary()
    finally:
        i18n.set_resolver(lambda: "en")
