"""Links to a view: the page's settings in the address's query parameters, so that a link opens the same
picture in another browser. A link never carries the workspace id (`ws`): it shares a view, not a
student's or a teacher's models. Only models anyone can open (shipped or published) go into it.

Each page's fields are read from the address the first time the page runs in a session (before the
page sets its defaults) and written back on every run from the session's values.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import streamlit as st

from ui import models


def _flag(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError(raw)
    return raw == "1"


# page -> query parameter -> (session key, parse). Values the page does not accept are reset by its
# own checks (ui.widget_state.keep), as for any stale value.
FIELDS: dict[str, dict[str, tuple[str, Callable[[str], object]]]] = {
    "gates": {"layer": ("gates_layer", int), "unit": ("gates_unit", int), "show": ("gates_quantity", str),
              "tab": ("gates_tab", str), "text": ("gates_text", str), "pattern": ("gates_predicate", str)},
    "sample": {"prime": ("sample_prime", str), "t": ("sample_temperature", float), "greedy": ("sample_greedy", _flag),
               "k": ("sample_top_k", int), "p": ("sample_top_p", float), "seed": ("sample_seed", int),
               "length": ("sample_length", int), "compare": ("sample_compare", str)},
    "anatomy": {"tab": ("anatomy_tab", str)},
}
KEPT = ("ws", "lang")  # the app's own parameters, left alone
MODEL = "model"


def adopt(page: str) -> None:
    """The first time `page` runs in this session: the values its link carries go into session state."""
    adopted = st.session_state.setdefault("view_link_adopted", set())
    if page not in adopted:
        adopted.add(page)
        for param, (key, parse) in FIELDS.get(page, {}).items():
            raw = st.query_params.get(param)
            if raw is None:
                continue
            try:
                st.session_state[key] = parse(raw)
            except ValueError:
                continue
            if key == "gates_unit":
                st.session_state.gates_unit_from_link = True  # not replaced by the page's suggestion
    if "view_link_model" not in st.session_state:
        st.session_state.view_link_model = True
        asked = st.query_params.get(MODEL)
        if asked and _shareable(asked) and asked in models.models():
            models.choose(asked)


def publish(page: str) -> None:
    """Write the page's view into the address (replacing another page's fields)."""
    wanted = view(page)
    for param in list(st.query_params):
        if param not in KEPT and param not in wanted:
            del st.query_params[param]
    for param, value in wanted.items():
        if st.query_params.get(param) != value:
            st.query_params[param] = value


def view(page: str) -> dict[str, str]:
    """The page's view as query parameters: its fields set in this session, and a shareable model."""
    out = {}
    active = st.session_state.get("active_model")
    if active and _shareable(active):
        out[MODEL] = active
    for param, (key, _parse) in FIELDS.get(page, {}).items():
        value = st.session_state.get(key, st.session_state.get(f"{key}__kept"))  # a tab bar's copy: ui.i18n.tabs
        if value is None or (key.endswith("_text") or key.endswith("_prime")) and \
                value == st.session_state.get(f"{key}__default"):
            continue  # the page's own default text: no need to carry it
        out[param] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return out


def link(page: str) -> str:
    """The address of this view for someone else: the page and its view, the language, no workspace."""
    base = str(st.context.url or "").split("?", 1)[0]
    params = view(page)
    if st.query_params.get("lang"):
        params["lang"] = st.query_params["lang"]
    return base + ("?" + urlencode(params) if params else "")


def _shareable(key: str) -> bool:
    return key == models.PRETRAINED_KEY or key.startswith((models.PRETRAINED_KEY + ":", models.PUBLISHED_PREFIX))
