"""Links to a view: the page's settings in the address's query parameters, so that a link opens the same
picture in another browser. A link never carries the workspace id (`ws`): it shares a view, not a
student's or a teacher's models. Only models anyone can open (shipped or published) go into it.

Each page's fields are read from the address the first time the page runs in a session (before the
page sets its defaults) and written back on every run from the session's values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

from lstm_core.i18n import _
from ui import models
from ui.literal import literal
from ui.sample import ranges as sample


def _flag(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError(raw)
    return raw == "1"


def _number(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


@dataclass(frozen=True)
class Field:
    """One query parameter of a page's view: the session key it fills, how its text is read (ValueError
    when it cannot be), and what the page's widget accepts (choices, or a range a value is held to)."""

    key: str
    parse: Callable[[str], object] = str
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None


# page -> query parameter -> Field. Values that depend on the model (a layer, a unit, a gate) are checked
# by the page itself (ui.widget_state.keep), which notes a link's value it cannot use.
FIELDS: dict[str, dict[str, Field]] = {
    "gates": {"layer": Field("gates_layer", int, low=0), "unit": Field("gates_unit", int, low=0),
              "show": Field("gates_quantity"), "tab": Field("gates_tab"), "text": Field("gates_text"),
              "pattern": Field("gates_predicate")},
    "sample": {"prime": Field("sample_prime"),
               "t": Field("sample_temperature", _number, choices=sample.TEMPERATURES),
               "greedy": Field("sample_greedy", _flag), "k": Field("sample_top_k", int, low=0),
               "p": Field("sample_top_p", _number, low=sample.TOP_P_MIN, high=sample.TOP_P_MAX),
               "seed": Field("sample_seed", int, low=0, high=sample.SEED_MAX),
               "length": Field("sample_length", int, low=sample.LENGTH_MIN, high=sample.LENGTH_MAX),
               "compare": Field("sample_compare", choices=tuple(sample.COMPARE_BY))},
    "anatomy": {"tab": Field("anatomy_tab")},
}
KEPT = ("ws", "lang")  # the app's own parameters, left alone
MODEL = "model"
_FROM_LINK = "view_link_from"  # session key -> (parameter, text) of the values a link gave


def adopt(page: str) -> None:
    """The first time `page` runs in this session: the values its link carries go into session state,
    held to what the page's widgets accept; a value that is not is left out (or held to the nearest end
    of its range) with a one-line note."""
    adopted = st.session_state.setdefault("view_link_adopted", set())
    if page not in adopted:
        adopted.add(page)
        given = st.session_state.setdefault(_FROM_LINK, {})
        for param, field in FIELDS.get(page, {}).items():
            raw = st.query_params.get(param)  # the last one, when repeated
            if raw is None:
                continue
            try:
                value = field.parse(raw)
            except ValueError:
                _note(param, raw)
                continue
            if field.choices is not None and value not in field.choices:
                _note(param, raw)
                continue
            held = value
            if field.low is not None:
                held = max(held, field.low)
            if field.high is not None:
                held = min(held, field.high)
            if held != value:
                _note(param, raw, held)
            st.session_state[field.key] = held
            given[field.key] = (param, raw)
            if field.key == "gates_unit":
                st.session_state.gates_unit_from_link = True  # not replaced by the page's suggestion
    if "view_link_model" not in st.session_state:
        st.session_state.view_link_model = True
        asked = st.query_params.get(MODEL)
        if asked and shareable(asked) and asked in models.models():
            models.choose(asked)


def open_view(page: str, params: dict[str, str]) -> None:
    """Go to `page` as a link with `params` opens it (a view the teacher shows): its fields the link leaves
    out go back to the page's defaults; the tab's own workspace and language stay."""
    st.session_state.get("view_link_adopted", set()).discard(page)
    st.session_state.pop("view_link_model", None)
    for param, field in FIELDS.get(page, {}).items():
        if param not in params:
            st.session_state.pop(field.key, None)
    kept = {k: st.query_params[k] for k in KEPT if k in st.query_params}
    st.switch_page(f"pages/{page}.py", query_params={**params, **kept})


def left_out(key: str) -> None:
    """The page could not use the value a link gave `key` (not one of its choices): say so, once."""
    given = st.session_state.get(_FROM_LINK, {}).pop(key, None)
    if given is not None:
        _note(*given)


def _note(param: str, raw: str, used: object = None) -> None:
    shown = literal(raw if len(raw) <= 24 else raw[:24] + "…")
    if used is None:
        st.toast(_("The link's {param}={value} is not something this page can show: left out.").format(
            param=param, value=shown), icon=":material/link_off:")
    else:
        st.toast(_("The link's {param}={value} is out of range: {used} is used instead.").format(
            param=param, value=shown, used=literal(used)), icon=":material/link:")


def publish(page: str) -> None:
    """Write the page's view into the address (replacing another page's fields), once the page has run:
    the address then holds what the page shows."""
    st.session_state.pop(_FROM_LINK, None)  # a link's values are only its own on the run that read them
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
    if active and shareable(active):
        out[MODEL] = active
    for param, field in FIELDS.get(page, {}).items():
        key = field.key
        value = st.session_state.get(key, st.session_state.get(f"{key}__kept"))  # a tab bar's copy: ui.i18n.tabs
        if value is None or key.endswith(("_text", "_prime")) and value == st.session_state.get(f"{key}__default"):
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


def shareable(key: str) -> bool:
    return key == models.PRETRAINED_KEY or key.startswith((models.PRETRAINED_KEY + ":", models.PUBLISHED_PREFIX))
