"""Sample: let the model write one character at a time, and see how it chose each one.

Everything runs in NumPy through lstm_core.inference.sampling; this page never imports TensorFlow.
Session state keys all start with ``sample_``; the last generation is kept in
``sample_result`` so it survives switching pages.
"""

from __future__ import annotations

import html

import streamlit as st

from lstm_core.i18n import N_, _, ngettext
from ui import shell
from ui.sample import figures as figs
from ui import lesson_facts, model_texts, models, siblings
from ui.sample import writing
from ui.sample.generated import Result, Settings
from ui.literal import literal
from ui.sample.boxes import MONO, PRIME_STYLE, TYPED_STYLE, box, esc, visible
from ui.sample.ranges import (COMPARE_BY, LENGTH_DEFAULT, LENGTH_MAX, LENGTH_MIN, SEED_DEFAULT, SEED_MAX,
                              TEMPERATURE_DEFAULT, TEMPERATURES, TOP_P_MAX, TOP_P_MIN)

shell.require_app()

PRIME_LIMIT = 2_000  # the model reads at most this many characters of the prime (the last ones)
COMPARE_TEMPERATURES = (0.2, 0.5, 1.0)
COMPARE_NOTES = {0.2: N_("cautious"), 0.5: N_("in between"), 1.0: N_("the model’s own odds")}  # shown via _()
COMPARE_MAX = 240  # characters per column: enough to hear each temperature's voice
ANIMATION_S = 0.8  # the typewriter after Generate, whatever the length (it runs in the browser)


# ---------------------------------------------------------------- small helpers

def _default(key: str, value) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _bits(nats: float) -> str:
    return f"{max(0.0, nats / figs.LN2):.2f}"  # never "-0.00"


def _unique(chars) -> list[str]:
    return list(dict.fromkeys(chars))


def _describe(s: Settings) -> str:
    described = _("greedy (temperature 0)") if s.temperature == 0 else _("temperature {t:g}").format(t=s.temperature)
    if s.top_k:
        described = _("{first}, {then}").format(first=described, then=f"top-k {s.top_k}")
    if s.top_p < 1:
        described = _("{first}, {then}").format(first=described, then=f"top-p {s.top_p:.2f}")
    return described


def _read_prime(raw: str) -> tuple[str, int | None]:
    """(what the model reads, the original length when it was cut)."""
    if len(raw) > PRIME_LIMIT:
        return raw[-PRIME_LIMIT:], len(raw)
    return raw, None


def _default_prime(model) -> str:
    """The start of a held-out poem for a poetry model; else a speaker's name, as a play's line starts."""
    opening = model_texts.opening(model)
    if opening:
        return opening
    vocab = model.vocab
    for prime in ("HAMLET\n", "hamlet\n"):
        if all(c in vocab for c in prime):
            return prime
    return "\n" if "\n" in vocab else ""


# ---------------------------------------------------------------- page

st.title(_("Sample"))
st.markdown(_(
    "The model writes **one character at a time**: it gives every character a probability, one is drawn "
    "with those odds and fed back in, and the next step begins. The settings change the odds before each draw."
))

siblings.switch("sample")
entry = models.active()
if entry is None:
    st.warning(_("There is no model to write with yet. Train one on the **Train** page, or upload one in the "
                 "sidebar."))
    st.stop()

model = entry.model
vocab = model.vocab
net = model.net

# ------------------------------------------------ controls (left) and the text (right)
model_texts.follow("sample_prime", _default_prime(model))
_default("sample_length", LENGTH_DEFAULT)
_default("sample_temperature", TEMPERATURE_DEFAULT)
_default("sample_greedy", False)
_default("sample_top_k", 0)
_default("sample_top_p", 1.0)
_default("sample_seed", SEED_DEFAULT)
k_max = max(1, vocab.size - 1)
if st.session_state["sample_top_k"] > k_max:  # a model with fewer characters than the last one
    st.session_state["sample_top_k"] = k_max
if st.session_state["sample_temperature"] not in TEMPERATURES:
    st.session_state["sample_temperature"] = TEMPERATURE_DEFAULT

controls, written = st.columns([2, 3], gap="large")
with controls:
    step: int | None = None
    if entry.snapshots:
        steps = [snap.step for snap in entry.snapshots]
        latest = steps[-1]
        chosen_step = st.session_state.get("sample_snapshot_step")
        if chosen_step not in steps or (chosen_step == st.session_state.get("sample_snapshot_latest")
                                        and chosen_step != latest):
            st.session_state["sample_snapshot_step"] = latest  # new snapshots: follow the latest one
        st.session_state["sample_snapshot_latest"] = latest
        step = st.select_slider(
            _("Training step"), options=steps, format_func=lambda s: f"{s:,}", key="sample_snapshot_step",
            persist_state="session")
        st.caption(_("Write with the model as it was after this many training steps: early ones write "
                     "noise, later ones words."))
        net = next(snap.net for snap in entry.snapshots if snap.step == step)

    raw_prime = st.text_area(_("Prime: the model reads this first, then carries on"), key="sample_prime",
                             height=80, persist_state="session")
    prime, cut_from = _read_prime(raw_prime)
    if raw_prime:
        tail = raw_prime[-24:]
        read = min(len(raw_prime), PRIME_LIMIT)
        code = (f"<code style=\"font-family:{MONO};color:#1d2330;background:#eef1f7;padding:0.1rem 0.35rem;"
                f"border-radius:4px\">{'…' if len(raw_prime) > 24 else ''}{visible(tail)}</code>")
        reads = html.escape(ngettext("It reads {n:,} character: {text}", "It reads {n:,} characters: {text}", read))
        breaks = html.escape(_(" (⏎ = line break)")) if "\n" in tail else ""
        st.html(f"<div style='font-size:0.9rem;color:#5b6473;margin-top:-0.4rem'>{reads.format(n=read, text=code)}"
                f"{breaks}</div>")
    else:
        st.info(_("The prime is empty, so the model starts from its start state, as at the beginning of a "
                  "line, with nothing to go on."), icon=":material/info:")
    if cut_from is not None:
        st.warning(_("Your prime is {n:,} characters long; the model reads only its last {most:,}. "
                     "(What it read much earlier hardly changes what it writes next.)")
                   .format(n=cut_from, most=PRIME_LIMIT), icon=":material/content_cut:")
    unknown = _unique(vocab.encode(prime).unknown_chars)
    if unknown:
        listed = ", ".join(f"“{figs.display_char(c)}”" for c in unknown[:20])
        listed += " …" if len(unknown) > 20 else ""
        never = ngettext("This character never appeared in the model’s training text: {listed}. It reads it as "
                         "“unknown”, so the text right after may be shakier. Generation still works.",
                         "These {n} characters never appeared in the model’s training text: {listed}. It reads "
                         "each as “unknown”, so the text right after may be shakier. Generation still works.",
                         len(unknown))
        st.warning(never.format(n=len(unknown), listed=listed), icon=":material/help:")

    greedy = st.session_state["sample_greedy"]
    t_value = st.select_slider(_("Temperature"), options=TEMPERATURES, key="sample_temperature",
                               format_func=lambda t: f"{t:g}", disabled=greedy, persist_state="session")
    st.toggle(_("Greedy (temperature 0)"), key="sample_greedy", persist_state="session")
    st.caption(_("Low: it sticks to its favourite characters (safe, repetitive). High: it takes chances "
                 "(inventive, then nonsense). At 1 it uses the model’s own odds."))
    top_k = st.slider("Top-k", 0, k_max, key="sample_top_k", persist_state="session")
    st.caption(_("Draw only from the k likeliest characters; never the rest. **0 = off.**"))
    top_p = st.slider("Top-p", TOP_P_MIN, TOP_P_MAX, step=0.01, format="%.2f", key="sample_top_p", persist_state="session")
    st.caption(_("Draw only from the likeliest characters that together reach probability p; the unlikely "
                 "tail is cut off. **1.00 = off.**"))
    c_len, c_seed = st.columns(2)
    length = c_len.number_input(_("Length"), min_value=LENGTH_MIN, max_value=LENGTH_MAX, step=50,
                                key="sample_length", persist_state="session",
                                help=_("How many characters to write ({least}–{most:,}).")
                                .format(least=LENGTH_MIN, most=LENGTH_MAX))
    seed = c_seed.number_input(_("Seed"), min_value=0, max_value=SEED_MAX, step=1, key="sample_seed",
                               persist_state="session")
    st.caption(_("The seed fixes the dice: the same seed and settings write the same text."))

    temperature = 0.0 if greedy else float(t_value)
    settings = Settings(entry.key, step, raw_prime, int(length), temperature, int(top_k), float(top_p), int(seed))
    if temperature == 0 or top_k == 1:
        st.info(_("Only the single likeliest character can be drawn at each step (greedy): every seed writes "
                  "the same text, and it often gets stuck repeating itself."), icon=":material/info:")
    elif top_p < 0.05:
        st.info(_("Top-p {p:.2f} keeps only the likeliest character at almost every step: nearly greedy.")
                .format(p=top_p), icon=":material/info:")


# ------------------------------------------------ generating
def _run(settings: Settings, prime: str, placeholder, animate: bool) -> Result:
    """Write the main text into `placeholder` (typed out when `animate`), then the three
    temperatures; raises ValueError for a model that cannot write one character at a time."""
    generation = writing.generation(entry, settings.step, net, vocab, prime, settings.length, settings.temperature,
                                    settings.top_k or None, settings.top_p if settings.top_p < 1 else None,
                                    settings.seed)
    if animate:
        st.html(TYPED_STYLE)
    placeholder.html(box(prime, generation.text, typed_s=ANIMATION_S if animate else 0))
    compare_length = min(settings.length, COMPARE_MAX)
    comparison = {t: writing.comparison_text(entry, settings.step, net, vocab, prime, compare_length, t, settings.seed)
                  for t in COMPARE_TEMPERATURES}
    return Result(settings, model.label, vocab, prime, generation, comparison, compare_length)


with written:
    generate = st.button(_("Generate"), type="primary", icon=":material/edit:", width="stretch",
                         key="sample_generate")
    result: Result | None = st.session_state.get("sample_result")
    header = st.empty()
    output = st.empty()
    if generate or result is None or result.settings.model_key != settings.model_key:  # a new model writes anew
        try:
            header.caption(_("Writing…"))
            # Typed out when asked for; a page opening, or a new model, shows its text at once.
            result = _run(settings, prime, output, animate=generate)
        except ValueError as exc:
            output.empty()
            header.error(_("This model cannot write text here: {error}").format(error=exc), icon=":material/error:")
            st.stop()
        st.session_state["sample_result"] = result
        st.session_state["sample_inspect_step"] = 1
        lesson_facts.note("sampled_temperature", settings.temperature)
        lesson_facts.note("sampled_model", entry.key)
    else:
        output.html(box(result.prime, result.generation.text))

    with st.container(border=True):
        st.markdown(_(
            "**Try this**\n"
            "- Temperature **0.2**, then **1.5**: from safe and repetitive to bold and strange.\n"
            "- **Greedy** or top-k **1**: the same text for every seed.\n"
            "- Change only the **seed**: same odds, different dice.\n"
            "- Move **Character to inspect** below to see the odds behind any letter."))

    used = result.settings
    with header.container():
        facts = dict(n=len(result.generation.text), model=literal(result.model_label), step=used.step,
                     settings=_describe(used), seed=used.seed)
        if used.step is not None:
            st.caption(_("**{n:,} characters** by {model} at training step {step:,}; {settings}, seed {seed}. "
                         "The grey start is the prime.").format(**facts))
        else:
            st.caption(_("**{n:,} characters** by {model}; {settings}, seed {seed}. The grey start is the prime.")
                       .format(**facts))
        if used != settings:
            st.caption(_(":orange[:material/sync_problem: The settings have changed since: press **Generate** "
                         "to write again.]"))
        # The comparison is further down the page: one click brings it up (on a projector, no scrolling).
        st.markdown(_(":material/arrow_downward: [Compare: the same prime at three temperatures, or in each cell]"
                      "(#compare)") if siblings.offered(entry.key) else
                    _(":material/arrow_downward: [Compare: the same prime at three temperatures](#compare)"))

# ------------------------------------------------ three temperatures, or the pretrained cells
# The heading first (the link above scrolls to it), then the switch between the two comparisons.
by_cells = siblings.offered(entry.key) and st.session_state.get("sample_compare") == "cells"
st.subheader(_("Same prime, same seed, different cells") if by_cells else
             _("Same prime, same seed, three temperatures"), anchor="compare")
if siblings.offered(entry.key):
    st.segmented_control(_("Compare"), COMPARE_BY, format_func=lambda c: _(COMPARE_BY[c]), key="sample_compare",
                         default="temperatures", required=True, persist_state="session")
if by_cells:
    st.markdown(_("The pretrained {cells} continue the same prime with the same settings ({settings}) and seed. They "
                  "read the same plays and have about as many weights: only the cell differs. **What to notice:** "
                  "how long each keeps to a speaker, a line, a word.").format(cells=siblings.named(),
                                                                              settings=_describe(used)))
    texts = {f"**{cell}**": text for cell, text in siblings.same_start(
        result.prime, result.compare_length, used.temperature, used.top_k or None,
        used.top_p if used.top_p < 1 else None, used.seed).items()}
else:
    if model_texts.poem(model):  # a poetry model: what to notice is about characters and lines, not words
        st.markdown(_(
            "Only the temperature differs (no top-k or top-p). **What to notice:** at 0.2 the model keeps to the "
            "commonest characters and often repeats a line; at 1.0 it reaches for rarer characters, and its lines "
            "may lose their five- or seven-character shape; 0.5 sits in between."))
    else:
        st.markdown(_(
            "Only the temperature differs (no top-k or top-p). **What to notice:** at 0.2 the model plays safe "
            "and keeps repeating common words; at 1.0 it takes risks and invents words that only look English; "
            "0.5 sits in between."))
    texts = {f"**T = {t:g}** · {_(COMPARE_NOTES[t])}": result.comparison[t] for t in COMPARE_TEMPERATURES}
for column, (title, text) in zip(st.columns(len(texts), gap="small"), texts.items()):
    with column:
        st.markdown(title)
        st.html(box(result.prime, text, size="0.9rem", height="20rem", css_class="sample-compare"))
if result.compare_length < used.length:
    st.caption(_("The first {n:,} characters of each.").format(n=result.compare_length))

# ------------------------------------------------ one step up close
st.subheader(_("How was each character chosen?"))
generation = result.generation
n = len(generation.steps)
if n == 0:
    st.info(_("Nothing was generated, so there is no step to look at."))
    st.stop()
if not 1 <= st.session_state.get("sample_inspect_step", 1) <= n:
    st.session_state["sample_inspect_step"] = 1
k = st.slider(_("Character to inspect (its number in the generated text)"), 1, n, key="sample_inspect_step",
              persist_state="session") - 1
chosen = generation.steps[k]

full = result.prime + generation.text
at = len(result.prime) + k
before_start = max(0, at - 48)
before = full[before_start:at]
prime_part = max(0, len(result.prime) - before_start)
after = full[at + 1:at + 25]
st.html(  # translate="no": the generated text is content, not words of the interface
    f"<div translate=\"no\" style=\"font-family:{MONO};font-size:1.2rem;white-space:pre;overflow-x:auto;"
    f"padding:0.5rem 0.8rem;"
    f"background:#f7f8fb;border:1px solid #d9dee8;border-radius:0.5rem;color:#1d2330\">"
    f"{'…' if before_start else ''}<span style='{PRIME_STYLE}'>{visible(before[:prime_part])}</span>"
    f"{visible(before[prime_part:])}"
    f"<span style='background:{figs.DRAWN_USED_COLOUR};color:white;border-radius:3px;padding:0 0.15rem;"
    f"font-weight:600'>{esc(figs.display_char(chosen.char))}</span>"
    f"<span style='color:#a8afbd'>{visible(after)}</span>{'…' if at + 25 < len(full) else ''}</div>")
st.caption(_("Having read everything up to the orange character, the model gave the odds below; "
             "the orange one was drawn. (Grey: the prime; pale: what came after.)"))

p_model = float(chosen.probs_model[chosen.index])
p_used = float(chosen.probs_used[chosen.index])
m1, m2, m3, m4 = st.columns(4)
m1.metric(_("Drawn"), figs.char_name(chosen.char))
m2.metric(_("Model’s probability"), f"{p_model:.1%}")
m3.metric(_("After your settings"), f"{p_used:.1%}")
m4.metric(_("Uncertainty (entropy)"), _("{bits} bits").format(bits=_bits(chosen.entropy_used)),
          delta=_("model alone: {bits} bits").format(bits=_bits(chosen.entropy_model)), delta_color="off",
          delta_arrow="off")

chars = [result.vocab.char_of(i) for i in range(result.vocab.size)]
shown = min(20, len(chars))
bars, curve = st.columns([3, 2], gap="medium")
with bars:
    st.markdown(_("**The {n} likeliest next characters**").format(n=shown))
    st.plotly_chart(figs.distribution_figure(chosen.probs_model, chosen.probs_used, chars, chosen.index,
                                             top=shown, used_label=_("After your settings")),
                    config={"displayModeBar": False}, key="sample_bars", theme=None)
    st.caption(_("Pale bars: what the model predicts. Blue bars: what the character was actually drawn from "
                 "after temperature, top-k and top-p. ⏎ is a line break, ␣ a space."))
with curve:
    st.markdown(_("**How unsure, at each temperature**"))
    st.plotly_chart(figs.entropy_figure(figs.logits_from_probs(chosen.probs_model), used.temperature,
                                        used.top_k or None, used.top_p if used.top_p < 1 else None),
                    config={"displayModeBar": False}, key="sample_entropy", theme=None)
    st.caption(_("Entropy in bits: 0 means one certain choice, 1 bit is a coin toss, *H* bits is like "
                 "choosing among 2^*H* equally likely characters. Heating the odds flattens them and "
                 "the entropy rises."))
