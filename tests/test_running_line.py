"""While this session trains, every other page's sidebar says so, live, with a link to the page that shows it."""

from __future__ import annotations


from helpers_apptest import app_test
from helpers_training import TIMEOUT, tiny_recipe
from lstm_core.training.character_runs import character_job
from lstm_core.training.slots import TrainingSlots
from ui.train import session as ts


def _sidebar_text(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_other_pages_say_a_training_waits_and_link_to_train(tiny_text, tmp_path):
    slots = TrainingSlots(1)
    busy = slots.request()  # another session's training holds the only slot: this one stays in line
    job = character_job(tiny_recipe(tiny_text), tmp_path / "model", label="tiny model", slots=slots)
    try:
        job.start(seconds=60)
        info = ts.JobInfo({"name": "tiny"}, job.kind.recipe.spec, job.kind.recipe.config, "tiny model",
                          tmp_path / "model")
        at = app_test()
        at.session_state[ts.JOB_KEY], at.session_state[ts.INFO_KEY] = job, info
        at.run()
        at.switch_page("pages/gates.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert "“tiny model”: waiting for a free training slot" in _sidebar_text(at)
        links = [link for link in at.sidebar.get("page_link")]
        assert [link.proto.page for link in links if "Train" in link.proto.label] == ["train"]  # the Train page's address

        at.switch_page("pages/train.py").run()  # the Train page shows the training itself
        assert "“tiny model”" not in _sidebar_text(at)

        job.stop()
        assert job.join(timeout=TIMEOUT)
        at.switch_page("pages/sample.py").run()
        assert not at.exception and "“tiny model”" not in _sidebar_text(at)
    finally:
        job.stop()
        slots.release(busy)
