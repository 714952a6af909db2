"""A small picture of a Gates view a student sent: the start of its text, coloured by its unit. It is drawn
from the view's link, so it shows what *Show to the class* opens (a student's own model is not shared: the
link, and so the picture, fall back to the pretrained model, as the view's words say)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lstm_core.i18n import _
from lstm_core.inference.engine import trace
from ui import models
from ui.figures import gates as fg
from ui.gates.defaults import DEFAULT_QUANTITY, passage

PICTURE_CHARS = 120


def _number(raw: str | None, top: int) -> int | None:
    try:
        return min(max(int(raw), 0), top) if raw is not None else None
    except ValueError:
        return None


@st.cache_data(show_spinner=False, max_entries=256)
def _values(model_key: str, _model, text: str, layer: int, quantity: str) -> np.ndarray:
    """Every unit's values of one quantity over the text, shared by every teacher's tab: the models a link
    names (pretrained or published) are the same in every session, so their key stands for them."""
    forward = trace(_model.net, _model.vocab.encode(text).ids).layers[layer].forward
    return np.tanh(forward["c"]) if quantity == "tanh_c" else forward[quantity]


def gates_picture(params: dict[str, str]) -> str | None:
    """HTML of the view's first characters coloured by its unit, with the unit named; None when the view
    names no unit or its model is not here."""
    registry = models.models()
    key = params.get("model", models.PRETRAINED_KEY)
    entry = registry.get(key) or registry.get(models.PRETRAINED_KEY)
    if entry is None:
        return None
    net = entry.model.net
    layer = _number(params.get("layer", "0"), len(net.layers) - 1)
    if layer is None:
        return None
    cell = net.layers[layer].cell
    unit = _number(params.get("unit"), net.layers[layer].units - 1)
    quantity = params.get("show")
    if quantity not in fg.QUANTITY_LABELS[cell]:
        quantity = DEFAULT_QUANTITY[cell]
    text = (params.get("text") or passage(entry.model))[:PICTURE_CHARS]
    if "\n" in text[PICTURE_CHARS // 2:]:  # ends with a whole line, not in a word
        text = text[:text.rindex("\n") + 1]
    if unit is None or not text:
        return None
    values = _values(entry.key, entry.model, text, layer, quantity)
    lo, hi = fg.value_range(quantity, values[:, unit])
    label = _("unit {unit}, {label}").format(unit=unit, label=_(fg.QUANTITY_LABELS[cell][quantity]))
    return fg.legend_html(lo, hi, label) + fg.colored_text_html(text, values[:, unit], lo, hi, font_px=13)
