"""Links to a view: a page's settings go into the address and come back from it, without the workspace."""

from streamlit.testing.v1 import AppTest

from helpers_apptest import app_test


def opened(page: str, **params) -> AppTest:
    at = app_test()
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


def _link(at: AppTest) -> str:
    [shared] = [c.value for c in at.sidebar.code]
    return shared


def test_the_link_shows_the_view_after_the_model_changed_under_it():
    """Unit 10, then another model: the page suggests its own unit, and the link says that one."""
    at = opened("pages/gates.py")
    at.number_input(key="gates_unit").set_value(10).run()
    assert "unit=10" in _link(at)
    at.sidebar.selectbox(key="active_model_choice").set_value("pretrained:gru").run()
    assert not at.exception
    unit = at.number_input(key="gates_unit").value
    shared = _link(at)
    assert f"unit={unit}" in shared and "model=pretrained%3Agru" in shared
    address = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert address["unit"] == str(unit)  # the address, too, is the page as it is now


def test_a_link_made_on_a_private_model_says_it_opens_the_pretrained_one(tiny_model_dir, tmp_path):
    import shutil

    from lstm_core.storage.persistence import load_model_folder
    from ui.models import ModelEntry

    at = opened("pages/gates.py")
    folder = tmp_path / "mine"
    shutil.copytree(tiny_model_dir, folder)
    at.session_state["models"]["run-mine"] = ModelEntry("run-mine", "Trained here", load_model_folder(folder))
    at.session_state["active_model"] = "run-mine"
    at.run()
    assert "model=" not in _link(at)
    [warning] = [w.value for w in at.sidebar.warning]
    assert "is your own" in warning and "opens the pretrained model" in warning
