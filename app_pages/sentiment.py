"""Sentiment: an LSTM reads a review word by word and says whether it is positive.

The textbooks' many-to-one LSTM. Classify as you type (NumPy through the engine, no TensorFlow),
watch the probability after each word, see which words mattered (occlusion), compare with VADER's
word list, look at the gates, and retrain live (TensorFlow in a background thread), including a
comparison of SimpleRNN, LSTM and GRU on the same split. Session state keys start with ``sent_``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from lstm_core import unit_stats
from lstm_core.model_zip import MAX_ZIP_BYTES
from lstm_core.sentiment import baseline, batch, data, scoring, store
from lstm_core.sentiment.job import TrainingJob, comparison_settings, elapsed_label
from lstm_core.sentiment.model import ARCHS, parameter_count
from lstm_core.sentiment.training import TrainError, TrainSettings
from ui import figures_gates as fg
from ui import figures_sentiment as fs
from ui.literal import literal
from ui import models as session_models
from ui import workspace
from ui.waiting import waiting_notice

EXAMPLES = {
    "Clearly positive": "A beautiful, moving film with a wonderful cast. I loved every minute of it.",
    "Clearly negative": "A dull, lifeless mess: the acting is awful and the plot makes no sense.",
    "Negation": "This movie was not good at all.",
    "Not bad": "The acting was not bad at all.",
    "Mixed": "The plot is thin and predictable, but the acting is superb.",
    "Sarcastic": "Oh great, another two hours of my life I will never get back.",
}
DEFAULT_EXAMPLE = "Negation"
PRETRAINED = "pretrained"
CACHE_ENTRIES = 8
QUANTITY_ORDER = {"lstm": ("i", "f", "g", "o", "c", "h"), "gru": ("z", "r", "hh", "h"), "rnn": ("h",)}
DEFAULT_QUANTITY = {"lstm": "c", "gru": "h", "rnn": "h"}
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
EXPLAIN = {
    "i": "The **input gate**: how much of the new candidate each unit writes into its memory at this word "
         "(red: all of it, blue: none).",
    "f": "The **forget gate**: how much of its memory each unit keeps from the word before (red: keeps it, "
         "blue: wipes it).",
    "g": "The **candidate**: the value, from −1 to 1, each unit proposes to add to its memory at this word.",
    "o": "The **output gate**: how much of its memory each unit shows to the next layer and the verdict.",
    "c": "The **cell state**: each unit's memory, added up word by word. Watch which units move at “not” or at "
         "a strong word: the verdict is read from the last column.",
    "h": "The **hidden state**: what each unit outputs after each word; the verdict is read from the last column.",
    "z": "The **update gate**: how much of its previous state each unit keeps (red: keeps it).",
    "r": "The **reset gate**: how much of the previous state is used to make the new candidate.",
    "hh": "The **candidate h̃**: the state each unit would take if it kept nothing of the old one.",
}
ARCH_HELP = ("LSTM: one layer of long short-term memory units. GRU: a simpler gated unit. SimpleRNN: no gates at "
             "all. Stacked: two LSTM layers. Bidirectional: one LSTM reads left to right, another right to left.")


@dataclass
class Entry:
    key: str
    source: str  # "pretrained", "trained here" or "uploaded"
    model: store.SentimentModel

    @property
    def label(self) -> str:
        return f"{self.model.label} ({self.source})"


# ---------------------------------------------------------------- models of this session


@st.cache_resource(show_spinner=False)
def _pretrained() -> tuple[store.SentimentModel | None, str]:
    try:
        return store.load_folder("default"), ""
    except store.SentimentModelError as exc:
        return None, str(exc)


def _entries() -> dict[str, Entry]:
    if "sent_models" not in st.session_state:
        registry = {}
        model, _ = _pretrained()
        if model is not None:
            registry[PRETRAINED] = Entry(PRETRAINED, "pretrained", model)
        registry.update(_saved())
        st.session_state.sent_models = registry
        if workspace.restored():
            st.session_state.sent_model = workspace.recall("sent_model")
    return st.session_state.sent_models


def _saved() -> dict[str, Entry]:
    """The classifiers this tab saved before the server restarted (none in a new tab)."""
    return {key: Entry(key, "trained here" if trained else "uploaded", model)
            for key, trained, model in workspace.load_saved("sentiment/*", "sentiment-uploads/*", store.load_folder,
                                                            store.SentimentModelError)}


def _add(entry: Entry) -> None:
    _entries()[entry.key] = entry
    st.session_state.sent_model = entry.key


def _active() -> Entry | None:
    registry = _entries()
    key = st.session_state.get("sent_model")
    if key not in registry:
        key = next(iter(registry), None)
        st.session_state.sent_model = key
    workspace.remember("sent_model", key)  # kept across a server restart
    return registry.get(key) if key else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _examples(domains: tuple[str, ...]) -> tuple[data.Example, ...]:
    """Shared by every session, read-only (examples are frozen)."""
    return tuple(data.load_builtin(domains))


# ---------------------------------------------------------------- scoring, kept per session


def _analysis(entry: Entry, text: str) -> dict:
    """Verdict, VADER, start probability (and, on demand, occlusion) for (model, text), remembered."""
    cache: list = st.session_state.setdefault("sent_cache", [])
    key = (entry.key, id(entry.model), text)
    for i, item in enumerate(cache):
        if item["key"] == key:
            cache.append(cache.pop(i))
            return item
    net = entry.model.net
    verdict = scoring.score(net, entry.model.vocab, text)
    unavailable = baseline.available()
    compound = None
    if verdict.prob is not None and unavailable is None:
        compound = baseline.vader_compound(verdict.reading.text)
    start = float(batch.final_probs_same_length(net, np.zeros((1, 0), np.intp))[0])
    item = {"key": key, "verdict": verdict, "vader": compound, "vader_missing": unavailable, "start": start}
    cache.append(item)
    del cache[:-CACHE_ENTRIES]
    return item


def _occlusion(entry: Entry, item: dict) -> np.ndarray:
    if "occlusion" not in item:
        v = item["verdict"]
        item["occlusion"] = scoring.occlusion(entry.model.net, v.reading.ids, full=v.prob)
    return item["occlusion"]


# ---------------------------------------------------------------- the classify tab


def _use_example() -> None:
    choice = st.session_state.get("sent_example")
    if choice in EXAMPLES:
        st.session_state.sent_text = EXAMPLES[choice]


def _typed() -> None:
    choice = st.session_state.get("sent_example")
    if choice in EXAMPLES and st.session_state.get("sent_text") != EXAMPLES[choice]:
        st.session_state.sent_example = None


def classify_area(entry: Entry) -> None:
    """The text box and everything computed from it (a fragment: typing reruns only this)."""
    # Both kept while another tab or page is open (a widget not drawn otherwise forgets its value).
    st.pills("Examples", list(EXAMPLES), key="sent_example", on_change=_use_example, persist_state="session",
             help="Each example fills the box below; then change it as you like.")
    st.text_input("Review", key="sent_text", live="300ms", on_change=_typed, persist_state="session",
                  placeholder="Type a review, e.g. “The acting was not bad at all”",
                  help="Classified as you type (after a short pause). English, up to "
                       f"{scoring.MAX_WORDS} words are read.")
    text = st.session_state.get("sent_text") or ""
    item = _analysis(entry, text)
    verdict = item["verdict"]

    left, right = st.columns([1, 2.5], gap="medium")
    with left:
        st.html(fs.lstm_card(verdict.prob, verdict.status, name=entry.model.spec.arch_name))
        st.html(fs.vader_card(item["vader"], item["vader_missing"]))
        note = fs.disagreement(verdict.prob, item["vader"]) if verdict.status == scoring.OK else None
        if note:
            st.warning(note, icon=":material/compare_arrows:")
        elif verdict.prob is not None and item["vader"] is not None:
            st.success("The LSTM and VADER agree.", icon=":material/handshake:")
    with right:
        for message in verdict.reading.notes:
            st.info(message, icon=":material/info:")
        if verdict.prob is None:
            st.info("Type or paste a review (or pick an example) to see what the classifier makes of it.",
                    icon=":material/keyboard:")
            return
        views = ["Word by word", "Word importance", "Gates"]
        if st.session_state.get("sent_view") not in views:
            st.session_state.sent_view = views[0]
        view = st.segmented_control("View", views, key="sent_view", required=True, label_visibility="collapsed")
        if view == "Word importance":
            _importance(entry, item)
        elif view == "Gates":
            _gates(entry, item)
        else:
            _trajectory(item)


def _trajectory(item: dict) -> None:
    verdict = item["verdict"]
    words = verdict.reading.words
    p = verdict.trajectory
    fig = fs.trajectory_figure(words, p, start=item["start"], unknown=verdict.reading.unknown,
                               kind=verdict.trajectory_kind)
    st.plotly_chart(fig, config={"displayModeBar": False}, key="sent_trajectory")
    before = np.r_[item["start"], p[:-1]]
    jump = int(np.argmax(np.abs(p - before))) if len(p) else 0
    parts = []
    if verdict.trajectory_kind == "prefix":
        parts.append("This model is **bidirectional**: half of it reads from the end, so each point is the model run "
                     "again on the review up to that word.")
    else:
        parts.append("Each point is the probability of *positive* the classifier would give if the review ended at "
                     "that word: it reads left to right, and its memory carries everything read so far.")
    if len(p):
        change = p[jump] - before[jump]
        parts.append(f"The biggest change came at **“{literal(words[jump])}”**: "
                     f"{before[jump]:.2f} → {p[jump]:.2f} "
                     f"({'up' if change > 0 else 'down'} {abs(change):.2f}).")
    turn = scoring.turning_point(p)
    if turn is not None:
        parts.append(f"The verdict last changed side at **“{literal(words[turn])}”**.")
    if verdict.reading.unknown:
        parts.append("Open circles are words the model never saw.")
    st.caption(" ".join(parts))


def _importance(entry: Entry, item: dict) -> None:
    verdict = item["verdict"]
    imp = _occlusion(entry, item)
    words = verdict.reading.words
    scale = fs.importance_scale(imp)
    st.html(fs.importance_legend_html(scale))
    st.html(fs.importance_html(words, imp, full=verdict.prob, unknown=verdict.reading.unknown, scale=scale))
    order = np.argsort(imp)
    lines = []
    if imp[order[-1]] > 0.05:
        t = order[-1]
        lines.append(f"most positive word: **“{literal(words[t])}”** (without it {verdict.prob - imp[t]:.2f} "
                     f"instead of {verdict.prob:.2f})")
    if imp[order[0]] < -0.05:
        t = order[0]
        lines.append(f"most negative word: **“{literal(words[t])}”** (without it {verdict.prob - imp[t]:.2f} "
                     f"instead of {verdict.prob:.2f})")
    st.caption("Word importance by **occlusion**: the review is classified again without each word in turn; the "
               "colour is how much the probability of *positive* drops without it. Hover a word for its numbers. "
               + ("; ".join(lines).capitalize() + "." if lines else ""))


def _gates(entry: Entry, item: dict) -> None:
    net = entry.model.net
    verdict = item["verdict"]
    tr = verdict.trace
    words = verdict.reading.words
    layers = net.layers
    if len(layers) > 1:
        names = {i: f"Layer {i + 1} ({CELL_NAMES[l.cell]}, {l.units} units)" for i, l in enumerate(layers)}
        if st.session_state.get("sent_layer") not in names:
            st.session_state.sent_layer = len(layers) - 1
        layer = st.selectbox("Layer", list(names), format_func=names.get, key="sent_layer",
                             help="Layer 1 reads the words; the verdict is read from the last layer.")
    else:
        layer = 0
    cell = layers[layer].cell
    order_q = QUANTITY_ORDER[cell]
    if st.session_state.get("sent_quantity") not in order_q:
        st.session_state.sent_quantity = DEFAULT_QUANTITY[cell]
    n = layers[layer].units
    options = sorted({k for k in (8, 16, 32, 64, 128, 256) if k < n} | {n})
    if st.session_state.get("sent_units_shown") not in options:
        st.session_state.sent_units_shown = min(options, key=lambda k: abs(k - 16))
    c2, c3 = st.columns([2.6, 1], gap="medium")
    with c2:
        quantity = st.segmented_control("Show", order_q, format_func=fg.QUANTITY_SHORT.get, key="sent_quantity",
                                        required=True, wrap=True)
    with c3:
        shown = st.select_slider("Units shown", options=options, key="sent_units_shown")
    st.caption(EXPLAIN[quantity])

    forward = tr.layers[layer].forward
    values = np.asarray(forward[quantity])
    last = layer == len(layers) - 1
    if last:
        # The units the verdict listens to: each one's weight in the output times its final value.
        weight = net.head.kernel[: layers[layer].units, 0]
        contribution = weight * tr.layers[layer].final[: layers[layer].units]
        order = np.argsort(-np.abs(contribution))
        how = "ordered by how much they move the verdict (their output weight × their final value)"
    else:
        order = np.argsort(-values.var(axis=0)) if len(words) > 1 else np.arange(n)
        how = "ordered by how much they change over the review"
    order = order[:shown]
    lo, hi = fg.value_range(quantity, values)
    fig = fg.units_heatmap(values[:, order], list(words), order, quantity_label=fg.QUANTITY_LABELS[cell][quantity],
                           lo=lo, hi=hi, symbol=fg.QUANTITY_SYMBOLS[quantity], highlight=int(order[0]))
    fig.update_xaxes(title_text="word of the review (hover for details)",
                     tickangle=0 if sum(len(w) + 1 for w in words) <= 60 else -45)
    st.plotly_chart(fig, config={"displayModeBar": False}, key="sent_gates_heatmap")
    caption = f"Rows: {len(order)} of the {n} units, {how}. Columns: the words, read left to right."
    if layers[layer].bidirectional:
        caption += " This layer is bidirectional; the picture shows its left-to-right half."
    st.caption(caption)

    unit = int(order[0])
    column = values[:, unit]
    st.markdown(f"**Unit {unit}** over the review ({fg.QUANTITY_LABELS[cell][quantity]}), the unit at the top")
    st.html(fg.legend_html(lo, hi, f"unit {unit}"))
    tips = [f"“{w}” (word {t + 1}): unit {unit} {fg.QUANTITY_LABELS[cell][quantity]} = {fg.fmt(v)}"
            for t, (w, v) in enumerate(zip(words, column))]
    st.html(fs.unit_words_html(words, column, lo, hi, tooltips=tips))
    gates = fg.GATES_OF[cell]
    if gates and len(words) >= 2:
        with st.expander("Gate saturation over this review", icon=":material/scatter_plot:"):
            fractions = {g: unit_stats.saturation(np.asarray(forward[g])) for g in gates}
            st.plotly_chart(fg.saturation_figure(fractions, cell=cell, labels=fg.QUANTITY_LABELS[cell], height=380),
                            config={"displayModeBar": False}, key="sent_saturation")
            st.caption("Each dot is one gate of one unit: up, how often it is wide open (> 0.9) over this review; "
                       "across, how often it is shut (< 0.1). A gate that makes clear yes/no decisions sits near an "
                       "edge.")
    elif not gates:
        st.caption("A SimpleRNN has no gates: each unit mixes the new word into its state.")


# ---------------------------------------------------------------- the quality tab


def quality(entry: Entry) -> None:
    meta = entry.model.meta
    test = meta.get("test")
    spec = entry.model.spec
    st.markdown(f"**{literal(entry.model.label)}**: {spec.arch_name}, {spec.units} units, a "
                f"{spec.embed_dim}-number embedding for each of {entry.model.vocab.size:,} words; "
                f"{parameter_count(spec):,} parameters.")
    if not test:
        st.info("This model's folder has no test results.")
        return
    domains = [d for d in test["accuracy"] if d != "all"]
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.plotly_chart(fs.accuracy_figure([data.domain_label(d) for d in domains],
                                           [test["accuracy"][d] for d in domains],
                                           [test["vader_accuracy"][d] for d in domains],
                                           counts=[test["n"][d] for d in domains], model_name=spec.arch_name),
                        config={"displayModeBar": False}, key="sent_accuracy")
    with right:
        st.markdown(f"**All test reviews ({test['n']['all']:,})**: {spec.arch_name} "
                    f"{test['accuracy']['all']:.1%}, VADER {test['vader_accuracy']['all']:.1%}")
        st.plotly_chart(fs.confusion_figure(test["confusion"]), config={"displayModeBar": False},
                        key="sent_confusion")
    margin = meta.get("margin", data.NEUTRAL_MARGIN)
    train = meta.get("train", {})
    st.caption(f"Test accuracy: the share of held-out reviews the classifier labels correctly. The reviews were rated "
               f"by people from −4 to +4; ratings from +{margin:g} up count as positive, from −{margin:g} down as "
               f"negative, and the ones in between (neutral) are left out. Each review belongs for good to the "
               f"training (70%), validation (15%) or test (15%) split, by a hash of its text; the model never trained "
               f"on the test reviews and they were not used to choose it (the best of "
               f"{train.get('epochs_done', '?')} epochs was chosen on validation accuracy). VADER labels a review "
               "positive when its compound score is above 0; with no sentiment word at all (score 0) it gets the "
               "domain's more common label. VADER's word list and rules were built and checked on these very "
               "snippets, which gives it a home advantage, most of all on the tweets.")
    extras = []
    if train.get("lexicon_prior"):
        extras.append("its word embedding started from VADER's rating of each word")
    phrases = (meta.get("data") or {}).get("negation_phrases")
    if phrases:
        extras.append(f"it also learned from {phrases:,} short made-up negation phrases (“not good”, “it wasn't bad”)")
    if extras:
        st.caption("Head starts: " + "; ".join(extras) + ". Both can be switched off under **Retrain › More "
                   "settings**, to see what they are worth.")
    rows = [{"domain": data.domain_label(d), "source": data.DOMAINS[d].source if d in data.DOMAINS else "",
             "test reviews": test["n"][d], "positive": f"{test['positive_rate'].get(d, 0):.0%}",
             spec.arch_name: f"{test['accuracy'][d]:.1%}", "VADER": f"{test['vader_accuracy'][d]:.1%}"}
            for d in domains]
    st.dataframe(rows, hide_index=True, width="stretch", key="sent_quality_table")
    if meta.get("regenerate"):
        st.caption(f"Regenerate this model with `{meta['regenerate']}`.")


# ---------------------------------------------------------------- the retrain tab


def _job() -> TrainingJob | None:
    return st.session_state.get("sent_job")


def _data_choice(locked: bool) -> tuple[list[data.Example], list[str]] | None:
    """The examples chosen for training (built-in domains and/or the user's CSV), or None."""
    labels = {k: d.label for k, d in data.DOMAINS.items()}
    box = st.container()
    with st.expander("Your own reviews (a CSV file)", icon=":material/upload_file:",
                     expanded=st.session_state.get("sent_csv") is not None):
        upload = st.file_uploader("A CSV with a text column and a label column", type=["csv", "txt", "tsv"],
                                  key="sent_csv", max_upload_size=data.MAX_CSV_BYTES >> 20, disabled=locked,
                                  help="UTF-8, with a header naming the columns text and label (or exactly two "
                                       "columns, text then label). Labels: 1/0, positive/negative, or a rating such "
                                       "as −2.5. It is split 70/15/15 into training, validation and test, like the "
                                       "built-in reviews.")
    user: list[data.Example] = []
    if upload is not None:
        cached = st.session_state.get("sent_csv_parsed")
        if cached is None or cached[0] != upload.file_id:
            try:
                parsed = data.parse_csv(upload.getvalue())
            except data.DataError as exc:
                parsed = exc
            st.session_state.sent_csv_parsed = cached = (upload.file_id, parsed)
        parsed = cached[1]
        if isinstance(parsed, data.DataError):
            st.error(f"That file cannot be used: {parsed}", icon=":material/error:")
        else:
            user, notes = parsed
            counts = data.summary(user).get(data.USER_DOMAIN, {})
            st.success(f"{len(user):,} labelled reviews read: " + ", ".join(
                f"{sum(counts.get(s, {}).values()):,} {name}" for s, name in
                (("train", "training"), ("val", "validation"), ("test", "test"))) + ".", icon=":material/check:")
            for note in notes:
                st.caption(note)
            labels[data.USER_DOMAIN] = "Your CSV"
    default = [data.USER_DOMAIN] if user else list(data.DOMAINS)
    if "sent_domains" not in st.session_state or not set(st.session_state.sent_domains) <= set(labels):
        st.session_state.sent_domains = default
    with box:
        chosen = st.multiselect("Train on", list(labels), format_func=labels.get, key="sent_domains", disabled=locked,
                                help="The built-in reviews (Hutto & Gilbert 2014), and your CSV once uploaded below.")
    if not chosen:
        st.warning("Choose at least one kind of review to train on.")
        return None
    examples: list[data.Example] = []
    builtin = tuple(d for d in chosen if d in data.DOMAINS)
    if builtin:
        try:
            examples += list(_examples(builtin))
        except data.DataError as exc:
            st.error(str(exc), icon=":material/error:")
            return None
    if data.USER_DOMAIN in chosen:
        examples += user
    return examples, chosen


def _settings(locked: bool) -> TrainSettings | None:
    c1, c2, c3 = st.columns([1.4, 1, 1], gap="medium")
    with c1:
        arch = st.selectbox("Architecture", list(ARCHS), format_func=ARCHS.get, key="sent_arch", help=ARCH_HELP,
                            disabled=locked)
    with c2:
        epochs = st.slider("Epochs", 1, 10, 3, key="sent_epochs", disabled=locked,
                           help="One epoch reads every training review once. The epoch with the best validation "
                                "accuracy is kept.")
    with c3:
        units = st.select_slider("Units", [16, 32, 64, 128], value=64, key="sent_units", disabled=locked)
    with st.expander("More settings"):
        a, b = st.columns(2)
        with a:
            prior = st.checkbox("Start from VADER's word ratings", value=True, key="sent_prior", disabled=locked,
                                help="The embedding starts with each word's rating from VADER's word list in four "
                                     "of its numbers; training adjusts them.")
            phrases = st.checkbox("Add 2,000 negation phrases", value=True, key="sent_phrases", disabled=locked,
                                  help="Short made-up phrases such as “not good” (negative) and “it wasn't "
                                       "bad” (positive), built from VADER's strongest words: they teach what "
                                       "“not” does.")
        with b:
            lr = st.select_slider("Learning rate", [0.0003, 0.001, 0.003, 0.01], value=0.003, key="sent_lr",
                                  disabled=locked)
            seed = st.number_input("Seed", 0, 10_000, 0, key="sent_seed", disabled=locked)
    try:
        return TrainSettings(arch=arch, epochs=int(epochs), units=int(units), learning_rate=float(lr),
                             lexicon_prior=bool(prior), negation_phrases=2000 if phrases else 0, seed=int(seed))
    except TrainError as exc:
        st.error(str(exc))
        return None


def _start(examples, settings_list, kind: str) -> None:
    from ui.training_session import session_alive_check

    old = _job()
    if old is not None and old.is_alive:
        st.session_state.sent_flash = ("error", "A model is already training; stop it first.")
        return
    out = session_models.session_dir() / "sentiment"
    names = " + ".join(data.domain_label(d) for d in dict.fromkeys(e.domain for e in examples))
    job = TrainingJob(examples, settings_list, out, kind=kind, label_prefix=f"{names} · ",
                      alive=session_alive_check())
    st.session_state.sent_job = job
    st.session_state.sent_job_registered = 0
    job.start()


def retrain() -> None:
    job = _job()
    running = job is not None and job.is_alive
    flash = st.session_state.pop("sent_flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])
    st.markdown("Train a classifier of your own, live: pick the reviews, the architecture and the epochs. It is "
                "tested on reviews it never saw, next to VADER.")
    choice = _data_choice(running)
    settings = _settings(running)
    ready = choice is not None and settings is not None
    b1, b2, b3 = st.columns([1, 1.6, 1])
    train = b1.button("Train", type="primary", icon=":material/play_arrow:", disabled=running or not ready,
                      key="sent_train", width="stretch")
    compare = b2.button("Compare SimpleRNN, LSTM and GRU", icon=":material/compare:", disabled=running or not ready,
                        key="sent_compare", width="stretch",
                        help="Trains the three, one after the other, with the same data, split, words and settings.")
    stop = b3.button("Stop", icon=":material/stop:", disabled=not running, key="sent_stop", width="stretch")
    if stop and job is not None:
        job.stop()
    if (train or compare) and ready:
        examples, _ = choice
        if compare:
            _start(examples, comparison_settings(settings), "compare")
        else:
            _start(examples, [settings], "single")
        st.rerun()
    st.fragment(live_area, run_every=1.0 if running else None)()


def _register_finished() -> bool:
    """Once a job has ended, add the models it trained to the classifier list (once); True if it did now."""
    job = _job()
    if job is None or job.is_alive or st.session_state.get("sent_job_registered") == job.job_id:
        return False
    st.session_state.sent_job_registered = job.job_id
    added = None
    for i, run in enumerate(job.view().runs):
        if run.model is not None:
            added = Entry(run.model.folder.name, "trained here", run.model)
            _entries()[added.key] = added
    if added is not None and job.kind == "single":
        st.session_state.sent_model = added.key
    return True


def live_area() -> None:
    job = _job()
    if job is None:
        st.caption("Training starts TensorFlow (about ten seconds the first time), then shows the loss and accuracy "
                   "as it learns.")
        return
    if _register_finished():
        st.rerun()  # the classifier list at the top of the page changes
    view = job.view()
    run = view.runs[view.current]
    if view.queue_position:
        waiting_notice(view.queue_position, view.slots)
    elif view.running:
        p = run.progress
        total = len(view.runs)
        which = f"{run.arch_name} ({view.current + 1} of {total}) · " if total > 1 else f"{run.arch_name} · "
        if run.status == "building" or p is None:
            st.progress(0.0, text=f"{which}starting TensorFlow and preparing the reviews…")
        else:
            fraction = min(1.0, p.epoch / run.settings.epochs)
            eta = f" · about {elapsed_label(p.eta_s)} left" if p.eta_s is not None else ""
            st.progress(fraction, text=f"{which}epoch {min(run.settings.epochs, int(p.epoch) + 1)} of "
                                       f"{run.settings.epochs} · step {p.step:,} · {elapsed_label(p.elapsed_s)}{eta}")
    else:
        _ended_message(view)
    series = [{"name": r.arch_name, "arch": r.settings.arch, "steps": r.steps, "loss": r.loss,
               "accuracy": r.accuracy, "epochs": [{"step": e.step, "val_acc": e.val_acc, "val_loss": e.val_loss}
                                                  for e in r.epochs]}
              for r in view.runs if r.steps]
    if series:
        st.plotly_chart(fs.training_figure(series), config={"displayModeBar": False}, key="sent_training_chart")
        st.caption("Solid: training batches (smoothed). Dashed diamonds: validation reviews, measured after each "
                   "epoch. When training accuracy keeps rising but validation accuracy does not, the model is "
                   "memorising its training reviews.")
    done = [r for r in view.runs if r.evaluation is not None]
    if not done:
        return
    if view.kind == "compare" and len(done) > 1:
        _comparison(done)
    else:
        _single_result(done[-1])


def _ended_message(view) -> None:
    errors = [r for r in view.runs if r.status == "error"]
    if errors:
        st.error(f"Training failed: {errors[0].message}", icon=":material/error:")
    elif view.status == "stopped":
        st.info("Stopped. " + " ".join(r.message for r in view.runs if r.message), icon=":material/stop_circle:")
    elif view.status == "diverged":
        st.warning(" ".join(r.message for r in view.runs if r.message), icon=":material/warning:")
    else:
        trained = [r for r in view.runs if r.model is not None]
        names = ", ".join(r.arch_name for r in trained)
        st.success(f"Finished: {names}. {'They are' if len(trained) > 1 else 'It is'} now in the classifier list at "
                   "the top of the page.", icon=":material/check_circle:")


def _single_result(run) -> None:
    ev = run.evaluation
    domains = [d for d in ev.accuracy if d != "all"]
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.plotly_chart(fs.accuracy_figure([data.domain_label(d) for d in domains], [ev.accuracy[d] for d in domains],
                                           [ev.vader_accuracy[d] for d in domains],
                                           counts=[ev.n[d] for d in domains], model_name=run.arch_name),
                        config={"displayModeBar": False}, key="sent_new_accuracy")
    with right:
        st.markdown(f"**Test accuracy** {ev.accuracy['all']:.1%} (VADER {ev.vader_accuracy['all']:.1%}) on "
                    f"{ev.n['all']:,} reviews")
        st.plotly_chart(fs.confusion_figure(ev.confusion), config={"displayModeBar": False}, key="sent_new_confusion")
    if run.model is not None:
        folder = run.model.folder
        st.download_button("Download this classifier (.zip)", data=lambda: store.export_zip(folder),
                           file_name=f"{folder.name}.zip", mime="application/zip", icon=":material/download:",
                           on_click="ignore", key="sent_download")


def _comparison(runs) -> None:
    domains = [d for d in runs[0].evaluation.accuracy if d != "all"]
    labels = [data.domain_label(d) for d in domains] + (["All"] if len(domains) > 1 else [])
    keys = domains + (["all"] if len(domains) > 1 else [])
    results = [(r.arch_name, r.settings.arch, [r.evaluation.accuracy[d] for d in keys]) for r in runs]
    vader = [runs[0].evaluation.vader_accuracy[d] for d in keys]
    st.plotly_chart(fs.comparison_figure(labels, results, vader), config={"displayModeBar": False},
                    key="sent_comparison")
    rows = [{"architecture": r.arch_name, "parameters": f"{parameter_count(r.model.spec):,}" if r.model else "",
             "seconds": round(r.seconds), "best epoch": max((e.epoch for e in r.epochs
                                                             if e.val_acc == max(x.val_acc for x in r.epochs)),
                                                            default=0),
             "test accuracy": f"{r.evaluation.accuracy['all']:.1%}"} for r in runs]
    st.dataframe(rows, hide_index=True, width="stretch", key="sent_comparison_table")
    st.caption("Same reviews, same split, same words, same settings: only the recurrent layer differs. SimpleRNN has "
               "no gates and forgets quickly; the LSTM and GRU can keep “not” in mind until the word it negates.")


# ---------------------------------------------------------------- the page


def _choose_model() -> Entry | None:
    registry = _entries()
    entry = _active()
    if entry is None:
        return None
    choose = len(registry) > 1
    if choose:
        st.selectbox("Classifier", list(registry), format_func=lambda k: registry[k].label, key="sent_model",
                     help="The pretrained classifier, and the ones trained (or uploaded) in this session.")
        entry = _active()
    test = entry.model.meta.get("test") or {}
    acc = test.get("accuracy", {}).get("all")
    facts = f"{entry.model.spec.arch_name}, {entry.model.spec.units} units"
    if acc is not None:
        facts += f" · test accuracy {acc:.1%} (VADER {test['vader_accuracy']['all']:.1%})"
    st.caption(facts if choose else f"Classifier: **{literal(entry.model.label)}** · {facts}")
    return entry


def _upload_model() -> None:
    upload = st.file_uploader("Upload a classifier (.zip downloaded from this page)", type=["zip"],
                              key="sent_model_upload", max_upload_size=MAX_ZIP_BYTES >> 20)
    if upload is not None and st.session_state.get("sent_model_upload_done") != upload.file_id:
        st.session_state.sent_model_upload_done = upload.file_id
        try:
            model = store.import_zip(upload.getvalue(), session_models.session_dir() / "sentiment-uploads")
        except store.SentimentModelError as exc:
            st.session_state.sent_model_upload_said = (upload.file_id, f"That classifier could not be used. {exc}")
        else:
            st.session_state.sent_model_upload_said = None
            _add(Entry(f"upload:{model.folder.name}", "uploaded", model))
            st.rerun()
    # Said for as long as that file stays in the uploader, not only on the run that read it.
    said = st.session_state.get("sent_model_upload_said")
    if upload is not None and said and said[0] == upload.file_id:
        st.error(said[1])


def render() -> None:
    st.title("Sentiment")
    st.markdown("A **many-to-one** LSTM: it reads a review one word at a time, keeps what matters in its memory, "
                "and after the last word says how likely the review is to be positive.")
    if "sent_text" not in st.session_state:
        st.session_state.sent_text = EXAMPLES[DEFAULT_EXAMPLE]
        st.session_state.sent_example = DEFAULT_EXAMPLE
    _register_finished()
    entry = _choose_model()
    if entry is None:
        _, problem = _pretrained()
        st.warning(f"There is no classifier to use yet. {problem} You can train one under **Retrain**.")
    tabs = st.tabs(["Classify", "How good is it?", "Retrain"], key="sent_tab", on_change="rerun")
    with tabs[0]:
        if tabs[0].open and entry is not None:
            st.fragment(classify_area)(entry)
    with tabs[1]:
        if tabs[1].open and entry is not None:
            quality(entry)
            with st.expander("Upload a classifier", icon=":material/upload:"):
                _upload_model()
    with tabs[2]:
        if tabs[2].open:
            retrain()


render()
