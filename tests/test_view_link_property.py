"""A link opens exactly the view it was made on: any settings of Sample or Gates, after any model change,
are what a fresh tab opening the link shows (a property, over settings Hypothesis draws)."""

from urllib.parse import parse_qs, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers_apptest import app_test
from lstm_core.storage.persistence import PRETRAINED
from ui.models import pretrained_key
from ui.sample.ranges import LENGTH_MAX, LENGTH_MIN, SEED_MAX, TEMPERATURES
from ui.view_link import FIELDS

SHIPPED = sorted(pretrained_key(name) for name, folder in PRETRAINED.items() if (folder / "model.keras").is_file())
FEW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tab(page: str, model: str):
    at = app_test().run()
    at.switch_page(f"pages/{page}.py").run()
    at.sidebar.selectbox(key="active_model_choice").set_value(model).run()
    return at


def _fresh_tab_of_link(at, page: str):
    """A new tab (another browser: no workspace) opening the link the sidebar shows (in AppTest, which
    serves no address, the link is its query: the page is the one it was made on)."""
    [shared] = [c.value for c in at.sidebar.code]
    fresh = app_test()
    fresh.query_params.update({k: v[-1] for k, v in parse_qs(urlsplit(shared).query, keep_blank_values=True).items()})
    fresh.switch_page(f"pages/{page}.py")
    return fresh.run()


def _same_view(page: str, made, opened) -> None:
    assert not opened.exception, [e.value for e in opened.exception]
    assert opened.session_state["active_model"] == made.session_state["active_model"]
    for param, field in FIELDS[page].items():
        if field.key in made.session_state:
            assert opened.session_state[field.key] == made.session_state[field.key], param


@FEW
@given(model=st.sampled_from(SHIPPED), t=st.sampled_from(TEMPERATURES), k=st.integers(0, 40),
       p=st.integers(1, 100).map(lambda n: n / 100), length=st.integers(LENGTH_MIN // 50, LENGTH_MAX // 50),
       seed=st.integers(0, SEED_MAX), prime=st.text(alphabet="abc XYZ,.!\n'", max_size=20))
def test_a_sample_link_opens_the_view_it_was_made_on(model, t, k, p, length, seed, prime):
    at = _tab("sample", model)
    at.text_area(key="sample_prime").input(prime).run()
    at.select_slider(key="sample_temperature").set_value(t).run()
    at.slider(key="sample_top_k").set_value(min(k, at.slider(key="sample_top_k").max)).run()
    at.slider(key="sample_top_p").set_value(p).run()
    at.number_input(key="sample_length").set_value(length * 50).run()
    at.number_input(key="sample_seed").set_value(seed).run()
    assert not at.exception, [e.value for e in at.exception]
    _same_view("sample", at, _fresh_tab_of_link(at, "sample"))


@FEW
@given(first=st.sampled_from(SHIPPED), then=st.sampled_from(SHIPPED), unit=st.integers(0, 2000),
       show=st.sampled_from(["i", "f", "g", "o", "c", "tanh_c", "h"]))
def test_a_gates_link_opens_the_view_it_was_made_on_after_a_model_change(first, then, unit, show):
    at = _tab("gates", first)
    box = at.number_input(key="gates_unit")
    box.set_value(min(unit, box.max)).run()
    quantity = at.segmented_control(key="gates_quantity")
    if show in quantity.options:  # a GRU has no c
        quantity.set_value(show).run()
    at.sidebar.selectbox(key="active_model_choice").set_value(then).run()  # the page may suggest another unit
    assert not at.exception, [e.value for e in at.exception]
    _same_view("gates", at, _fresh_tab_of_link(at, "gates"))
