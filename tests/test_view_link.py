"""Links to a view: a page's settings go into the address and come back from it, without the workspace."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def opened(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(params)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_gates_link_opens_the_same_view():
    at = opened("pages/gates.py", model="pretrained:tang", unit="17", show="f", tab="All units")
    assert at.session_state["active_model"] == "pretrained:tang"
    assert at.number_input(key="gates_unit").value == 17  # not the unit the page would have suggested
    assert at.segmented_control(key="gates_quantity").value == "f"
    assert at.session_state["gates_tab"] == "All units"
    assert "gates_heatmap" in {p.proto.id.rsplit("-", 1)[-1] for p in at.get("plotly_chart")}


def test_the_view_goes_into_the_address_and_never_the_workspace():
    at = opened("pages/sample.py")
    at.select_slider(key="sample_temperature").set_value(1.5).run()
    at.number_input(key="sample_seed").set_value(7).run()
    params = dict(at.query_params)
    assert params.get("t") in ("1.5", ["1.5"]) and params.get("seed") in ("7", ["7"])
    assert "ws" in params  # the tab's own address keeps its workspace...
    [shared] = [c.value for c in at.sidebar.code]  # ...the link to share does not
    assert "seed=7" in shared and "t=1.5" in shared and "ws=" not in shared


def test_nonsense_in_a_link_is_ignored():
    at = opened("pages/gates.py", unit="many", show="zz", tab="Nowhere", model="run-private")
    assert at.session_state["active_model"] == "pretrained"
    assert at.segmented_control(key="gates_quantity").value in ("tanh_c", "h")
