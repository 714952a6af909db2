"""No address crashes a page: every query parameter of every page with a view, out of range, of the
wrong type, empty, huge, non-ASCII or repeated, is clamped or left out with a one-line note, and the
address then holds only what the page shows."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test
from ui.view_link import FIELDS

ODD = ["", " ", "0", "-1", "7", "999", "99999999", "-99999999", "1e309", "-1e309", "nan", "inf", "0.5", "1.5",
       "3.00000001", "0x10", " 3 ", "1_000", "单元", "🙂", "<b>x</b>", "x" * 5000, "\x00", "%", "true", "None"]
VALUES = st.one_of(st.sampled_from(ODD), st.text(max_size=12), st.integers(-10**12, 10**12).map(str),
                   st.floats().map(str))
EXTRA = ["model", "lang", "junk"]


def params_of(page: str):
    names = st.sampled_from(sorted(FIELDS[page]) + EXTRA)
    one_or_repeated = st.one_of(VALUES, st.lists(VALUES, min_size=2, max_size=3))
    return st.dictionaries(names, one_or_repeated, max_size=4)


def opened(page: str, params: dict) -> AppTest:
    at = app_test()
    at.query_params.update(params)
    at.switch_page(f"pages/{page}.py")
    return at.run()


def check(page: str, params: dict) -> None:
    at = opened(page, params)
    assert not at.exception, (params, [e.value for e in at.exception])
    # What stays in the address is what the page shows: read back, it is each field's session value.
    for param, field in FIELDS[page].items():
        if param in at.query_params and field.key in at.session_state:
            shown = at.session_state[field.key]
            written = at.query_params[param]
            written = written[-1] if isinstance(written, list) else written
            expected = ("1" if shown else "0") if isinstance(shown, bool) else str(shown)
            assert written == expected, (param, written, shown)


SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(params_of("sample"))
def test_any_address_of_sample(params):
    check("sample", params)


@SETTINGS
@given(params_of("gates"))
def test_any_address_of_gates(params):
    check("gates", params)


@SETTINGS
@given(params_of("anatomy"))
def test_any_address_of_anatomy(params):
    check("anatomy", params)


def test_the_issues_addresses_are_held_to_the_page_with_a_note():
    at = opened("sample", {"p": "7", "k": "-3", "t": "99", "length": "99999999", "seed": "-1"})
    assert not at.exception
    assert at.slider(key="sample_top_p").value == 1.0 and at.slider(key="sample_top_k").value == 0
    assert at.select_slider(key="sample_temperature").value == 0.8  # t=99 is no stop of the scale: left out
    assert at.number_input(key="sample_length").value == 2000 and at.number_input(key="sample_seed").value == 0
    notes = [t.value.replace("\\", "") for t in at.toast]  # Markdown-escaped, as the link's text is
    assert len(notes) == 5, notes
    assert "The link's p=7 is out of range: 1.0 is used instead." in notes
    assert "The link's t=99 is not something this page can show: left out." in notes
    address = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert (address["p"], address["k"], address["length"], address["seed"]) == ("1.0", "0", "2000", "0")
    assert "t" not in address or address["t"] == "0.8"


def test_a_link_value_the_model_cannot_show_is_noted_once():
    at = opened("gates", {"unit": "100000", "layer": "7"})
    assert not at.exception
    notes = [t.value.replace("\\", "") for t in at.toast]
    assert any("unit=100000" in n for n in notes) and any("layer=7" in n for n in notes), notes
    at.run()  # the next run has nothing more to say
    assert not [t.value for t in at.toast if "link" in t.value]
