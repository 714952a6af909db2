"""The server's training slots: a limit, a fair queue, positions, and the configured default."""

import threading

import pytest

from lstm_core.settings import SettingsError
from lstm_core.training import slots as slots_module
from lstm_core.training.slots import TrainingSlots, default_limit


def test_first_come_first_served_with_positions():
    slots = TrainingSlots(2)
    a, b, c, d = (slots.request() for _ in range(4))
    assert [slots.position(t) for t in (a, b, c, d)] == [0, 0, 1, 2]
    assert slots.busy() == (2, 2)
    slots.release(c)  # leaving the queue moves the ones behind up
    assert slots.position(d) == 1 and slots.position(c) == -1
    slots.release(a)
    assert slots.position(d) == 0 and slots.busy() == (2, 0)
    slots.release(a)  # twice is harmless
    assert slots.busy() == (2, 0)


def test_a_waiting_thread_wakes_when_its_turn_comes():
    slots = TrainingSlots(1)
    first, second = slots.request(), slots.request()
    assert not slots.wait(second, 0.01)
    got = []
    waiter = threading.Thread(target=lambda: got.append(slots.wait(second, 10)))
    waiter.start()
    slots.release(first)
    waiter.join(10)
    assert got == [True] and slots.position(second) == 0


def test_the_limit_comes_from_the_environment_or_the_cores(monkeypatch, lab_env):
    lab_env("LSTM_LAB_MAX_TRAININGS", "3")
    assert default_limit() == 3
    lab_env("LSTM_LAB_MAX_TRAININGS", None)
    monkeypatch.setattr(slots_module.os, "cpu_count", lambda: 8)
    assert default_limit() == 4
    monkeypatch.setattr(slots_module.os, "cpu_count", lambda: 1)
    assert default_limit() == 1
    for bad in ("0", "-2", "many"):
        with pytest.raises(SettingsError, match="LSTM_LAB_MAX_TRAININGS"):
            lab_env("LSTM_LAB_MAX_TRAININGS", bad)
    with pytest.raises(ValueError):
        TrainingSlots(0)


@pytest.mark.parametrize("slots, says", [(2, "This server trains 2 models at a time"),
                                         (0, "This class trains its models on a cluster of machines")])
def test_the_waiting_notice_says_whose_queue_it_is(slots, says, monkeypatch):
    """A job's view has slots 0 when a Ray cluster trains the runs: the notice names the cluster's line."""
    # st.info caught here, not through AppTest.from_function: that leaves its script as __main__, and the
    # training tests' spawned processes would then run it.
    from ui.train import waiting

    said = []
    monkeypatch.setattr(waiting.st, "info", lambda text, icon=None: said.append(text))
    waiting.waiting_notice(3, slots)
    [info] = said
    assert "number 3 in line" in info and says in info
