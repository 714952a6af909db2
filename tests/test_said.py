"""Messages said where no reader is known (lstm_core.said): English as a value, the reader's
language where a page says them, intact across a process boundary."""

import pickle

import pytest

from lstm_core import i18n
from lstm_core.said import Explained, Said, said_of, say

DIED = "The training process ended unexpectedly (exit code {code})."
READ_BACK = "The trained model could not be read back: {problem}"
NOTHING = "Nothing was trained."


@pytest.fixture
def chinese():
    i18n.set_resolver(lambda: "zh")
    yield
    i18n.set_resolver(lambda: "en")


class Unreadable(Explained):
    """An error explained for a person, as the packages define theirs."""


def test_its_value_is_the_english_text():
    said = Said(DIED, code=3)
    assert said == "The training process ended unexpectedly (exit code 3)."
    assert isinstance(said, str) and str(said) == said
    assert (said.msgid, said.args) == (DIED, {"code": 3})
    assert say(said) == said  # no session: English
    assert say("plain text") == "plain text"


def test_it_says_itself_in_the_readers_language(chinese):
    said = Said(DIED, code=3)
    assert say(said) == "训练进程意外结束（退出码 3）。"
    assert str(said) == "The training process ended unexpectedly (exit code 3)."  # logs stay English


def test_it_survives_pickle(chinese):
    said = pickle.loads(pickle.dumps(Said(DIED, code=3)))
    assert isinstance(said, Said) and (said.msgid, said.args) == (DIED, {"code": 3})
    assert said == "The training process ended unexpectedly (exit code 3)."
    assert say(said) == "训练进程意外结束（退出码 3）。"


def test_it_nests(chinese):
    said = pickle.loads(pickle.dumps(Said(READ_BACK, problem=Said(NOTHING))))
    assert said == "The trained model could not be read back: Nothing was trained."
    assert say(said) == "无法读回训练好的模型：什么也没有训练。"
    both = Said(NOTHING).then(Said(DIED, code=1))
    assert both == "Nothing was trained. The training process ended unexpectedly (exit code 1)."
    assert say(both) == "什么也没有训练。训练进程意外结束（退出码 1）。"
    assert Said(NOTHING).then("") == NOTHING


def test_an_explained_error_carries_its_said(chinese):
    exc = Unreadable(READ_BACK, problem=Unreadable(NOTHING))
    assert str(exc) == "The trained model could not be read back: Nothing was trained."
    assert said_of(exc) is exc.said and say(exc.said) == "无法读回训练好的模型：什么也没有训练。"
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is Unreadable and say(again.said) == say(exc.said)


def test_an_error_among_the_arguments_is_kept_as_what_it_says():
    said = Said(READ_BACK, problem=OSError("disk full"))
    assert said.args == {"problem": "disk full"} and said == "The trained model could not be read back: disk full"
    assert said_of(KeyError("x")) == "'x'"


def test_a_text_without_arguments_is_said_as_it_is(chinese):
    """No arguments, no template: a refusal quoting a file named '{x}.py' says it, braces and all."""
    text = "The zip contains '{x}.py', which is not part of an LSTM Lab model."
    said = Said(text)
    assert said == text and say(said) == text
    assert str(Unreadable(text)) == text and say(Unreadable(text).said) == text
