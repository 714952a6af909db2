"""A view a teacher shows or a student sends, in the reader's words: its page and the settings its link
carries, as the page itself names them (layers numbered from 1, a quantity by its button's name)."""

from __future__ import annotations

from lstm_core.i18n import _
from ui.figures.gates import QUANTITY_SHORT
from ui.literal import literal
from ui.page_list import TITLES
from ui.sample.ranges import COMPARE_BY

PRIME_SHOWN = 30  # characters of a prime said; the rest is "…"
_PATTERN_TAB = "Find units for a pattern"


def _number(raw: str, shift: int = 0) -> str:
    try:
        return str(int(raw) + shift)
    except ValueError:
        return literal(raw)


def _gates(params: dict[str, str]) -> list[str]:
    words = []
    if "layer" in params:
        words.append(_("layer {n}").format(n=_number(params["layer"], 1)))
    if "unit" in params:
        words.append(_("unit {n}").format(n=_number(params["unit"])))
    if "show" in params:
        words.append(_(QUANTITY_SHORT[params["show"]]) if params["show"] in QUANTITY_SHORT else literal(params["show"]))
    words += _tab_only(params)
    if params.get("tab") == _PATTERN_TAB and "pattern" in params:
        words.append(_("pattern “{pattern}”").format(pattern=literal(_(params["pattern"]))))
    if "text" in params:
        words.append(_("their own text"))
    return words


def _sample(params: dict[str, str]) -> list[str]:
    words = []
    if "prime" in params:
        prime = params["prime"]
        cut = prime[:PRIME_SHOWN] + ("…" if len(prime) > PRIME_SHOWN else "")
        words.append(_("from “{prime}”").format(prime=literal(cut.replace("\n", " "))))
    if params.get("greedy") == "1":
        words.append(_("greedy"))
    elif "t" in params:
        words.append(_("temperature {t}").format(t=literal(params["t"])))
    if params.get("k", "0") != "0":
        words.append(_("top-k {k}").format(k=_number(params["k"])))
    if "p" in params:
        words.append(_("top-p {p}").format(p=literal(params["p"])))
    if "seed" in params:
        words.append(_("seed {n}").format(n=_number(params["seed"])))
    if "length" in params:
        words.append(_("{n} characters").format(n=_number(params["length"])))
    if params.get("compare") in COMPARE_BY:
        words.append(_(COMPARE_BY[params["compare"]]))
    return words


def _tab_only(params: dict[str, str]) -> list[str]:
    return [_("tab “{tab}”").format(tab=literal(_(params["tab"])))] if "tab" in params else []


def describe(page: str, params: dict[str, str]) -> str:
    """“Gates: layer 1, unit 42, forget f”; a page's name alone when its link carries no settings."""
    words = {"gates": _gates, "sample": _sample}.get(page, _tab_only)(params)
    title = _(TITLES.get(page, page))
    return _("{page}: {settings}").format(page=title, settings=_(", ").join(words)) if words else title
