"""The Gates page's views of one layer's values: the facts beside the coloured text, the search for
units that follow a pattern of the text (built-in, a marked span, or a phrase), the units × characters
heat map, and the gate saturation plot. The page chooses the model, layer, quantity and unit, traces
the text, and hands these views the values.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from lstm_core.i18n import N_, _
from lstm_core.inference import regex_pattern, unit_stats
from lstm_core.said import say
from ui.figures import gates as fg
from ui import lesson_facts
from ui.widget_state import keep

HEATMAP_MAX_COLUMNS = 300
HEATMAP_DEFAULT_COLUMNS = 60
TOP_UNITS = 10
# The radio's values, in English; shown through _().
PATTERN_KINDS = (N_("A built-in pattern"), N_("A span I mark"), N_("A word or phrase"), N_("A regular expression"))
SORT_LABELS = {"index": N_("number"), "variance": N_("how much they change"),
               "saturation": N_("how often saturated"), "correlation": N_("match with the pattern")}


def tooltips(text: str, values: np.ndarray, unit: int, label: str, guesses: list, unknown: set) -> list[str]:
    """One hover text per character: the unit's value there and the model's guesses for the next one."""
    return [fg.tooltip(ch, t, label, unit, values[t], guesses[t] if t < len(guesses) else (), t in unknown)
            for t, ch in enumerate(text)]


def _adopt(unit: int) -> None:
    st.session_state.gates_unit = int(unit)


def about_unit(text: str, column: np.ndarray, unit: int, quantity: str, label: str) -> None:
    """A few facts about one unit on this text, and the built-in patterns it follows best."""
    lo, hi, sat_low, sat_high = _scale(quantity, column[:, None])
    left, right = unit_stats.saturation(column[:, None], sat_low, sat_high)
    st.markdown(_("**Unit {unit}** on this text").format(unit=unit))
    st.markdown(_("- {label} from {low} to {high}, on average {mean}\n"
                  "- near its low end at {left:.0%} of the characters, near its high end at {right:.0%}")
                .format(label=label, low=fg.fmt(column.min()), high=fg.fmt(column.max()), mean=fg.fmt(column.mean()),
                        left=left[0], right=right[0]))
    rows = []
    for name in unit_stats.patterns_in(text):
        auc = float(unit_stats.roc_auc(column[:, None], unit_stats.PREDICATES[name][1](text))[0])
        rows.append((max(auc, 1 - auc), name, auc > 0.5))
    if rows:
        rows.sort(reverse=True)
        lines = [(_("- {name}: **{score:.2f}** (higher inside)") if higher
                  else _("- {name}: **{score:.2f}** (lower inside)")).format(name=_(name), score=score)
                 for score, name, higher in rows[:3]]
        st.markdown(_("Built-in patterns it follows best (1.0 = perfectly, 0.5 = not at all):") + "\n"
                    + "\n".join(lines))


def pattern_controls(text: str):
    """The pattern chosen in the "Find units" tab: (mask, description) — always a mask, maybe all False."""
    st.markdown(_("Mark something in the text, and the page looks for the units whose value follows it."))
    kind_col, choice_col = st.columns([1, 2], gap="medium")
    with kind_col:
        kind = st.radio(_("Pattern"), PATTERN_KINDS, key="gates_pattern_kind", format_func=_, persist_state="session")
    with choice_col:
        return _pattern_choice(text, kind)


def _pattern_choice(text: str, kind: str):
    T = len(text)
    if kind == PATTERN_KINDS[0]:
        names = unit_stats.patterns_in(text) or list(unit_stats.PREDICATES)
        keep("gates_predicate", names, "after a newline" if "after a newline" in names else names[0])
        name = st.selectbox(_("Built-in pattern"), names, key="gates_predicate",
                            format_func=lambda k: _("{name}: {description}").format(
                                name=_(k), description=_(unit_stats.PREDICATES[k][0])))
        return unit_stats.PREDICATES[name][1](text), name
    if kind == PATTERN_KINDS[1]:
        if T < 2:
            st.caption(_("The text is too short to mark a span in."))
            return unit_stats.span_mask(T, 0, T), "the whole text"
        span = st.session_state.get("gates_span")
        if not (isinstance(span, (tuple, list)) and len(span) == 2 and 0 <= span[0] <= span[1] <= T):
            first_line = text.find("\n")
            st.session_state.gates_span = (0, min(T, first_line if first_line > 0 else 20))
        start, end = st.slider(_("Characters from … to …"), 0, T, key="gates_span",
                               help=_("Slide the two ends to mark a stretch of the text."))
        marked = html.escape(_("Marked:"))
        st.html(f'<div style="font-size:15px">{marked} '
                f'<code>{html.escape(_preview(text[start:end]))}</code></div>')
        return unit_stats.span_mask(T, start, end), f"characters {start}–{end}"
    if kind == PATTERN_KINDS[3]:
        return _regex_choice(text)
    st.session_state.setdefault("gates_substring", "to be")
    needle = st.text_input(_("Word or phrase (every occurrence, ignoring case)"), key="gates_substring",
                           persist_state="session")
    return unit_stats.substring_mask(text, needle or ""), f"“{needle}”"


def _regex_choice(text: str):
    st.session_state.setdefault("gates_regex", r"\b[A-Z]+\b")
    expression = st.text_input(_("Regular expression (a character is inside when a match covers it)"),
                               key="gates_regex", persist_state="session",
                               help=_("Python's syntax, e.g. [0-9]+ for numbers or [aeiou] for vowels. An expression "
                                      "that takes over {seconds:g} seconds on the text is stopped.").format(
                                   seconds=regex_pattern.TIMEOUT_S))
    try:
        return regex_pattern.regex_mask(text, expression or ""), f"/{expression}/"
    except regex_pattern.PatternError as exc:
        st.warning(say(exc.said))
        return np.zeros(len(text), dtype=bool), f"/{expression}/"


def _preview(s: str, n: int = 80) -> str:
    shown = "".join(fg.glyph(c) if c in "\n\t" else c for c in s)
    return shown if len(shown) <= n else shown[: n - 1] + "…"


def _way(sign: int) -> str:
    return _("higher inside") if sign > 0 else _("lower inside") if sign < 0 else _("no difference")


def _way_short(sign: int) -> str:
    """The ranking table's "inside" column."""
    return _("higher") if sign > 0 else _("lower") if sign < 0 else _("no difference")


def pattern_results(text, values, mask, pattern_name, quantity, label, guesses, unknown, cache) -> None:
    try:
        ranking = cache(("rank", mask.tobytes()), lambda: unit_stats.rank_units(values, mask))
    except ValueError as exc:
        st.warning(str(exc))
        return
    if pattern_name in unit_stats.PREDICATES:  # a lesson asks for a unit that follows a built-in pattern
        lesson_facts.note("unit_score", (pattern_name, float(ranking.score.max())))
    st.caption(_("Ranking the units of this layer by their **{label}** on {inside:,} characters in the "
                 "pattern and {outside:,} outside it. Take one character inside the pattern and one outside: "
                 "a unit's score is how often its value alone tells which is which (the unit being higher, or lower, "
                 "inside). 1.0 means always, 0.5 no better than a coin toss. (Statisticians call this the *AUC*, the area "
                 "under the ROC curve.)")
               .format(label=label, inside=ranking.n_inside, outside=ranking.n_outside))
    top = ranking.top(TOP_UNITS)
    chart, table = st.columns([1, 1], gap="medium")
    with chart:
        st.plotly_chart(fg.ranking_figure(top, ranking.score[top], ranking.sign[top]),
                        config={"displayModeBar": False}, key="gates_ranking_chart")
    with table:
        unit_col, score_col, inside_col = _("unit"), _("score"), _("inside")
        mean_in_col, mean_out_col = _("mean in"), _("mean out")
        frame = pd.DataFrame({
            unit_col: top,
            score_col: ranking.score[top],
            inside_col: [_way_short(s) for s in ranking.sign[top]],
            mean_in_col: ranking.mean_inside[top],
            mean_out_col: ranking.mean_outside[top],
        })
        number = st.column_config.NumberColumn(format="%.3f")
        st.dataframe(frame, hide_index=True, width="stretch", key="gates_ranking_table",
                     column_config={score_col: number, mean_in_col: number, mean_out_col: number,
                                    inside_col: st.column_config.TextColumn(help=_("Is the unit higher or lower "
                                                                                   "inside the pattern than outside?"))})
    choices = [int(u) for u in top]
    if st.session_state.get("gates_best_for") != (pattern_name, label, choices[0]):
        st.session_state.gates_best_for = (pattern_name, label, choices[0])
        st.session_state.gates_best_unit = choices[0]
    keep("gates_best_unit", choices, choices[0])
    best = st.selectbox(_("Unit to show over the text"), choices, key="gates_best_unit",
                        format_func=lambda u: _("unit {unit} (score {score:.2f}, {way})").format(
                            unit=u, score=ranking.score[u], way=_way(ranking.sign[u])))
    st.button(_("Show unit {unit} in the other tabs").format(unit=best), key="gates_adopt", on_click=_adopt,
              args=(best,), icon=":material/arrow_upward:")
    col = values[:, best]
    lo, hi = fg.value_range(quantity, col)
    st.html(fg.legend_html(lo, hi, _("unit {unit}, {label}").format(unit=best, label=label), pattern=True,
                           unknown=bool(unknown)))
    tips = tooltips(text, col, best, label, guesses, unknown)
    st.html(fg.colored_text_html(text, col, lo, hi, tooltips=tips, unknown_positions=unknown, underline=mask))


def heatmap(text: str, values: np.ndarray, quantity: str, label: str, mask: np.ndarray, unit: int,
             cache) -> None:
    T, n = values.shape
    c1, c2, c3 = st.columns([1, 1, 2])
    with c1:
        keep("gates_sort", list(unit_stats.SORTS), "variance")
        by = st.selectbox(_("Order units by"), list(unit_stats.SORTS), key="gates_sort", persist_state="session",
                          format_func=lambda k: _(SORT_LABELS[k]),
                          help=_("“match with the pattern” uses the pattern chosen under “Find units for a pattern”."))
    with c2:
        if n > 8:
            options = sorted({k for k in (8, 16, 32, 64, 128, 256, 512, 1024) if k < n} | {n})
            keep("gates_units_shown", options, min(n, 32) if min(n, 32) in options else n)
            shown = st.select_slider(_("Units shown"), options=options, key="gates_units_shown",
                                     persist_state="session",
                                     help=_("The first ones in the chosen order."))
        else:
            shown = n
    with c3:
        if T > 1:
            window = st.session_state.get("gates_window")
            if not (isinstance(window, (tuple, list)) and len(window) == 2 and 0 <= window[0] < window[1] <= T):
                st.session_state.gates_window = (0, min(T, HEATMAP_DEFAULT_COLUMNS))
            start, end = st.slider(_("Characters shown"), 0, T, key="gates_window", persist_state="session",
                                   help=_("At most {most} at a time, so each stays readable.")
                                   .format(most=HEATMAP_MAX_COLUMNS))
        else:
            start, end = 0, T
    if end - start > HEATMAP_MAX_COLUMNS:
        end = start + HEATMAP_MAX_COLUMNS
        st.caption(_("Showing characters {start}–{end}: at most {most} fit across the screen.")
                   .format(start=start, end=end, most=HEATMAP_MAX_COLUMNS))
    lo, hi, sat_low, sat_high = _scale(quantity, values)
    try:
        order = cache(("sort", by, mask.tobytes() if by == "correlation" else b""),
                      lambda: unit_stats.sort_units(values, by, pattern=mask.astype(float), low=sat_low, high=sat_high))
    except ValueError as exc:
        st.warning(str(exc))
        order = np.arange(n)
    if by == "correlation" and not (mask.any() and not mask.all()):
        st.caption(_("The chosen pattern does not split this text, so the units stay in their order."))
    order = order[:shown]
    fig = fg.units_heatmap(values[start:end][:, order], text[start:end], order, quantity_label=label,
                           lo=lo, hi=hi, first_position=start, symbol=fg.QUANTITY_SYMBOLS[quantity], highlight=unit)
    st.plotly_chart(fig, config={"displayModeBar": False}, key="gates_heatmap")
    st.caption(_("Each row is one unit, each column one character; the colour is the unit's {label} just after "
                 "reading that character (blue low, white middle, red high). Hover for the exact value; ▶ marks the "
                 "unit chosen above.").format(label=label))


def _scale(quantity: str, values: np.ndarray):
    """Colour range and the saturation thresholds (10% from either end of the range) for a quantity."""
    lo, hi = fg.value_range(quantity, values)
    margin = 0.1 * (hi - lo)
    return lo, hi, lo + margin, hi - margin


def saturation(item: dict, layer: int, cell: str, over: tuple[dict, int] | None = None) -> None:
    """The gates' saturation on the passage, or `over` a held-out text: (fractions per gate, characters)."""
    gates = fg.GATES_OF[cell]
    if not gates:
        st.info(_("A SimpleRNN has no gates: every unit simply mixes the new character into its state. "
                  "Switch to an LSTM or GRU model to see gate saturation."))
        return
    if over is None:
        forward = item["trace"].layers[layer].forward
        fractions = {g: unit_stats.saturation(forward[g]) for g in gates}
    else:
        fractions = over[0]
    plot, words = st.columns([3, 2], gap="large")
    with plot:
        labels = {q: _(name) for q, name in fg.QUANTITY_LABELS[cell].items()}
        st.plotly_chart(fg.saturation_figure(fractions, cell=cell, labels=labels),
                        config={"displayModeBar": False}, key="gates_saturation")
    with words:
        st.markdown(_("Each dot is one gate of one unit. A gate is **saturated** when it is practically shut "
                      "(below 0.1) or wide open (above 0.9), i.e. it makes a clear yes/no decision. "
                      "Across: how often it is shut; up: how often it is open."))
        if cell == "lstm":
            st.markdown(_("Dots near the **top edge** are forget gates that are almost always open: "
                          "units that **always remember**. Dots on the dashed line are always saturated, "
                          "dots in the bottom-left corner hardly ever."))
        else:
            st.markdown(_("Dots near the **top edge** are update gates that are almost always 1: units that "
                          "**keep their state**. Dots on the dashed line are always saturated, dots in the "
                          "bottom-left corner hardly ever."))
        left, right = fractions[gates[1] if cell == "lstm" else gates[0]]
        counts = dict(open=int((right > 0.9).sum()), n=len(right), shut=int((left > 0.9).sum()))
        if over is not None:
            counts["chars"] = over[1]
            if cell == "lstm":
                said = _("Over the **{chars:,}** characters of the held-out text, **{open}** of {n} forget gates are "
                         "open at more than 90% of them, and **{shut}** are shut that often.")
            else:
                said = _("Over the **{chars:,}** characters of the held-out text, **{open}** of {n} update gates are "
                         "open at more than 90% of them, and **{shut}** are shut that often.")
        elif cell == "lstm":
            said = _("In this text, **{open}** of {n} forget gates are open at more than 90% of the characters, "
                     "and **{shut}** are shut that often.")
        else:
            said = _("In this text, **{open}** of {n} update gates are open at more than 90% of the characters, "
                     "and **{shut}** are shut that often.")
        st.markdown(said.format(**counts))
