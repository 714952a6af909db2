"""The Sentiment page's classifiers for one browser session: the list it keeps in
st.session_state (the shared pretrained model, the ones this session trained or uploaded, the ones
it saved before a server restart, and the Keras classifiers it opened), the chooser at the top of the
page, a classifier's test results (the "How good is it?" tab) and the upload of a classifier
downloaded from the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path

import streamlit as st

from lstm_core.i18n import N_, _, ngettext
from lstm_core.said import say
from lstm_core.sentiment import data, opened, store
from lstm_core.sentiment.keras_words import FORMS
from lstm_core.sentiment.model import parameter_count
from lstm_core.sentiment.opened import OpenedClassifier, architecture
from lstm_core.sentiment.pretrained import LABEL as PRETRAINED_LABEL
from lstm_core.spec import CELL_NAMES
from lstm_core.storage.model_zip import MAX_ZIP_BYTES

from ui.sentiment import figures as fs
from ui import models as session_models
from ui import workspace
from ui.literal import literal
from ui.refusals import refused_upload

PRETRAINED = "pretrained"
OPENED_FOLDER = "sentiment-opened"  # in the workspace: the Keras classifiers this tab opened
SOURCES = {"pretrained": N_("pretrained"), "trained here": N_("trained here"), "uploaded": N_("uploaded"),
           "opened": N_("opened")}


def model_label(model: store.SentimentModel | OpenedClassifier) -> str:
    """A classifier's name for the reader. Labels are stored in English (a model folder is read by
    anyone); the pretrained one's and the ones this page builds ("Movie reviews + Tweets · LSTM")
    are put into the reader's words, any other label is shown as it is."""
    label = model.label
    if isinstance(model, OpenedClassifier):
        return label
    if label == PRETRAINED_LABEL:
        return _(label)
    domains = model.meta.domains
    if domains:
        names = (" + ".join(data.domain_label(d, english=True) for d in domains), model.spec.arch_name)
        if label == f"{names[0]} · {names[1]}":
            return f"{' + '.join(data.domain_label(d) for d in domains)} · {_(names[1])}"
    return label


def arch_name(model: store.SentimentModel | OpenedClassifier) -> str:
    """The classifier's kind, short, in the reader's words ("LSTM", "Bidirectional LSTM")."""
    if isinstance(model, OpenedClassifier):
        first = model.net.layers[0]
        return _("Bidirectional {cell}").format(cell=CELL_NAMES[first.cell]) if first.bidirectional \
            else CELL_NAMES[first.cell]
    return _(model.spec.arch_name)


@dataclass
class Entry:
    key: str
    source: str  # "pretrained", "trained here", "uploaded" or "opened"
    model: store.SentimentModel | OpenedClassifier

    @property
    def label(self) -> str:
        return _("{label} ({source})").format(label=model_label(self.model),
                                              source=_(SOURCES.get(self.source, self.source)))


@st.cache_resource(show_spinner=False)
def _pretrained_model() -> store.SentimentModel:
    return store.load_folder("default")  # a failure is not cached: its message is said in each reader's language


def pretrained() -> tuple[store.SentimentModel | None, str]:
    try:
        return _pretrained_model(), ""
    except store.SentimentModelError as exc:
        return None, say(exc.said)


def entries() -> dict[str, Entry]:
    if "sent_models" not in st.session_state:
        registry = {}
        model, _problem = pretrained()
        if model is not None:
            registry[PRETRAINED] = Entry(PRETRAINED, "pretrained", model)
        registry.update(_saved())
        st.session_state.sent_models = registry
        if workspace.restored():
            st.session_state.sent_model = workspace.recall("sent_model")
    return st.session_state.sent_models


def _saved() -> dict[str, Entry]:
    """The classifiers this tab saved or opened before the server restarted (none in a new tab)."""
    saved = {key: Entry(key, "trained here" if trained else "uploaded", model)
             for key, trained, model in workspace.load_saved("sentiment/*", "sentiment-uploads/*", store.load_folder,
                                                             store.SentimentModelError)}
    for folder in sorted(workspace.folder().glob(f"{OPENED_FOLDER}/*")):
        try:
            model = opened.load_folder(folder)
        except opened.ClassifierFileError:
            continue  # a folder that never finished saving
        saved[f"opened:{folder.name}"] = Entry(f"opened:{folder.name}", "opened", model)
    return saved


def add_opened(folder: Path, model: OpenedClassifier) -> None:
    """An opened Keras classifier (kept in `folder`) joins the list and becomes the one the page reads with."""
    _add(Entry(f"opened:{folder.name}", "opened", model))


def _add(entry: Entry) -> None:
    entries()[entry.key] = entry
    st.session_state.sent_model = entry.key


def active() -> Entry | None:
    """The classifier the Sentiment page reads with (the first one until one is chosen)."""
    registry = entries()
    key = st.session_state.get("sent_model")
    if key not in registry:
        key = next(iter(registry), None)
        st.session_state.sent_model = key
    workspace.remember("sent_model", key)  # kept across a server restart
    return registry.get(key) if key else None


def _chosen() -> None:
    st.session_state.sent_model = st.session_state.sent_model_choice


def choose_model() -> Entry | None:
    registry = entries()
    entry = active()
    if entry is None:
        return None
    choose = len(registry) > 1
    if choose:
        # The widget has a key of its own, set on every run (as the sidebar's model box): a box keyed by the
        # choice itself kept its options' words in the language it was first drawn in.
        st.session_state.sent_model_choice = entry.key
        st.selectbox(_("Classifier"), list(registry), format_func=lambda k: registry[k].label, key="sent_model_choice",
                     on_change=_chosen,
                     help=_("The pretrained classifier, and the ones trained, uploaded or opened in this session."))
        entry = active()
    if isinstance(entry.model, OpenedClassifier):
        facts = _("{arch}, opened from {file}").format(arch=architecture(entry.model.net),
                                                       file=literal(entry.model.file))
        st.caption(facts if choose else _("Classifier: **{label}** · {facts}").format(
            label=literal(model_label(entry.model)), facts=facts))
        return entry
    test = entry.model.meta.test
    spec = entry.model.spec
    if test is not None and "all" in test.accuracy:
        facts = ngettext("{arch}, {units} unit · test accuracy {accuracy:.1%} (VADER {vader:.1%})",
                         "{arch}, {units} units · test accuracy {accuracy:.1%} (VADER {vader:.1%})",
                         spec.units).format(arch=_(spec.arch_name), units=spec.units, accuracy=test.accuracy["all"],
                                            vader=test.vader_accuracy["all"])
    else:
        facts = ngettext("{arch}, {units} unit", "{arch}, {units} units", spec.units).format(
            arch=_(spec.arch_name), units=spec.units)
    st.caption(facts if choose else _("Classifier: **{label}** · {facts}").format(
        label=literal(model_label(entry.model)), facts=facts))
    return entry


def upload_model() -> None:
    upload = st.file_uploader(_("Upload a classifier (.zip downloaded from this page)"), type=["zip"],
                              key="sent_model_upload", max_upload_size=MAX_ZIP_BYTES >> 20)
    if upload is not None and st.session_state.get("sent_model_upload_done") != upload.file_id:
        st.session_state.sent_model_upload_done = upload.file_id
        try:
            model = store.import_zip(upload.getvalue(), session_models.session_dir() / "sentiment-uploads")
        except store.SentimentModelError as exc:
            refused_upload("Sentiment's classifiers", upload.size, exc)
            st.session_state.sent_model_upload_said = (upload.file_id, exc.said)
        else:
            st.session_state.sent_model_upload_said = None
            _add(Entry(f"upload:{model.folder.name}", "uploaded", model))
            st.rerun()
    # Said for as long as that file stays in the uploader, not only on the run that read it.
    said = st.session_state.get("sent_model_upload_said")
    if upload is not None and said and said[0] == upload.file_id:  # in the reader's language, even after a switch
        # The problem may repeat what the files say (a field of meta.json, an entry's name): literally.
        st.error(_("That classifier could not be used. {problem}").format(problem=literal(say(said[1]))))


# ---------------------------------------------------------------- the quality tab


def _opened_quality(model: OpenedClassifier) -> None:
    net, vocab = model.net, model.vocab
    framing = vocab.framing
    st.markdown(_("**{label}**: {arch}, a {dims}-number embedding for each of {rows:,} ids; {parameters:,} "
                  "parameters.").format(label=literal(model_label(model)), arch=architecture(net), dims=net.embed_dim,
                                        rows=net.vocab_size, parameters=model.parameters))
    padded = {"pre": _("A shorter review gets zeros in front."), "post": _("A shorter review gets zeros at the end.")}
    cut = {"pre": _("A longer one loses its first words."), "post": _("A longer one loses its last words.")}
    lines = [_("It reads {words:,} words, from {file} ({form}).").format(
        words=vocab.words, file=literal(model.vocabulary_file), form=_(FORMS[vocab.form])),
        _("Reviews are laid out as pad_sequences(maxlen={maxlen}, padding=\"{pad}\", truncating=\"{cut}\") "
          "does.").format(maxlen=framing.maxlen, pad=framing.padding, cut=framing.truncating),
        padded[framing.padding], cut[framing.truncating]]
    if framing.start_id is not None:
        lines.append(_("Id {start} marks the start of each review, as in Keras' IMDB data.").format(
            start=framing.start_id))
    if vocab.drops_unknown:
        lines.append(_("It has no id for unknown words: it leaves them out."))
    else:
        lines.append(_("Words it does not know are read as id {unknown}.").format(unknown=vocab.unknown_id))
    st.markdown(" ".join(lines))
    st.info(_("It was trained elsewhere, so LSTM Lab has no test results for it."))


def quality(entry: Entry) -> None:
    if isinstance(entry.model, OpenedClassifier):
        _opened_quality(entry.model)
        return
    meta = entry.model.meta
    test = meta.test
    spec = entry.model.spec
    arch = _(spec.arch_name)
    st.markdown(_("**{label}**: {arch}, {units} units, a {dims}-number embedding for each of {words:,} words; "
                  "{parameters:,} parameters.").format(label=literal(model_label(entry.model)), arch=arch,
                                                       units=spec.units, dims=spec.embed_dim,
                                                       words=entry.model.vocab.size,
                                                       parameters=parameter_count(spec)))
    if test is None:
        st.info(_("This model's folder has no test results."))
        return
    domains = [d for d in test.accuracy if d != "all"]
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.plotly_chart(fs.accuracy_figure([data.domain_label(d) for d in domains],
                                           [test.accuracy[d] for d in domains],
                                           [test.vader_accuracy[d] for d in domains],
                                           counts=[test.n[d] for d in domains], model_name=arch),
                        config={"displayModeBar": False}, key="sent_accuracy")
    with right:
        st.markdown(_("**All test reviews ({n:,})**: {arch} {accuracy:.1%}, VADER {vader:.1%}").format(
            n=test.n["all"], arch=arch, accuracy=test.accuracy["all"], vader=test.vader_accuracy["all"]))
        st.plotly_chart(fs.confusion_figure(test.confusion), config={"displayModeBar": False},
                        key="sent_confusion")
    train = meta.train
    st.caption(_("Test accuracy: the share of held-out reviews the classifier labels correctly. The reviews were "
                 "rated by people from −4 to +4; ratings from +{margin:g} up count as positive, from −{margin:g} down "
                 "as negative, and the ones in between (neutral) are left out. Each review belongs for good to the "
                 "training (70%), validation (15%) or test (15%) split, by a hash of its text; the model never trained "
                 "on the test reviews and they were not used to choose it (the best of {epochs} epochs was chosen on "
                 "validation accuracy). VADER labels a review positive when its compound score is above 0; with no "
                 "sentiment word at all (score 0) it gets the domain's more common label. VADER's word list and rules "
                 "were built and checked on these very snippets, which gives it a home advantage, most of all on the "
                 "tweets.").format(margin=meta.margin, epochs="?" if train.epochs_done is None else train.epochs_done))
    prior = train.lexicon_prior
    phrases = meta.data.negation_phrases
    if prior and phrases:
        st.caption(_("Head starts: its word embedding started from VADER's rating of each word; it also learned from "
                     "{n:,} short made-up negation phrases (“not good”, “it wasn't bad”). Both can be switched off "
                     "under **Retrain › More settings**, to see what they are worth.").format(n=phrases))
    elif prior:
        st.caption(_("Head start: its word embedding started from VADER's rating of each word. It can be switched off "
                     "under **Retrain › More settings**, to see what it is worth."))
    elif phrases:
        st.caption(_("Head start: it also learned from {n:,} short made-up negation phrases (“not good”, “it wasn't "
                     "bad”). It can be switched off under **Retrain › More settings**, to see what it is "
                     "worth.").format(n=phrases))
    rows = [{_("domain"): data.domain_label(d), _("source"): data.domain_source(d),
             _("test reviews"): test.n[d], _("positive"): f"{test.positive_rate.get(d, 0):.0%}",
             arch: f"{test.accuracy[d]:.1%}", "VADER": f"{test.vader_accuracy[d]:.1%}"}
            for d in domains]
    st.dataframe(rows, hide_index=True, width="stretch", key="sent_quality_table")
    if meta.regenerate:  # a shipped model's command; an uploaded one's could be anything, so shown literally
        st.caption(_("Regenerate this model with {command}.").format(command=literal(meta.regenerate)))
