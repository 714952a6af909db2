"""A shown or sent view in words names its settings as the page does, in the reader's language, and no
value in a link can break it."""

from lstm_core import i18n
from ui.classroom.view_words import describe


def test_a_gates_view_is_said_as_the_page_says_it():
    params = {"layer": "0", "unit": "42", "show": "f", "tab": "Find units for a pattern",
              "pattern": "after a newline", "text": "To be"}
    assert describe("gates", params) == ("Gates: layer 1, unit 42, forget f, tab “Find units for a pattern”, "
                                         "pattern “after a newline”, their own text")
    # The pattern is said only where the page uses it.
    assert describe("gates", {"unit": "3", "tab": "Text, one unit", "pattern": "after a newline"}) == \
        "Gates: unit 3, tab “Text, one unit”"
    assert describe("anatomy", {"tab": "Counting parameters"}) == "Anatomy: tab “Counting parameters”"
    assert describe("anatomy", {}) == "Anatomy"


def test_a_sample_view_names_its_sampling():
    said = describe("sample", {"prime": "ROMEO:\n" + "x" * 60, "t": "0.5", "k": "5", "seed": "7",
                               "length": "300", "compare": "cells"})
    assert said.replace("\\", "") == "Sample: from “ROMEO: xxxxxxxxxxxxxxxxxxxxxxx…”, temperature 0.5, top-k 5, seed 7, " \
                   "300 characters, The cells"
    assert describe("sample", {"greedy": "1", "t": "0.5", "k": "0"}) == "Sample: greedy"


def test_in_chinese_and_with_values_no_page_would_give():
    try:
        i18n.set_resolver(lambda: "zh")
        said = describe("gates", {"layer": "1", "unit": "9", "show": "tanh_c"})
        assert said == f"{i18n._('Gates')}：第 2 层，神经元 9，tanh(c)"
    finally:
        i18n.set_resolver(lambda: "en")
    odd = describe("gates", {"layer": "x", "unit": "**9**", "show": "<b>", "tab": "[a](b)"})
    assert "<b>" not in odd and "**9**" not in odd and "](" not in odd
