"""The Sentiment page's classifiers for one browser session: the list it keeps in
st.session_state (the shared pretrained model, the ones this session trained or uploaded, and the ones
it saved before a server restart), the chooser at the top of the page, a classifier's test results
(the "How good is it?" tab) and the upload of a classifier downloaded from the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lstm_core.sentiment import data, store
from lstm_core.sentiment.model import parameter_count
from lstm_core.storage.model_zip import MAX_ZIP_BYTES

from . import figures_sentiment as fs
from . import models as session_models
from . import workspace
from .literal import literal

PRETRAINED = "pretrained"


@dataclass
class Entry:
    key: str
    source: str  # "pretrained", "trained here" or "uploaded"
    model: store.SentimentModel

    @property
    def label(self) -> str:
        return f"{self.model.label} ({self.source})"


@st.cache_resource(show_spinner=False)
def pretrained() -> tuple[store.SentimentModel | None, str]:
    try:
        return store.load_folder("default"), ""
    except store.SentimentModelError as exc:
        return None, str(exc)


def entries() -> dict[str, Entry]:
    if "sent_models" not in st.session_state:
        registry = {}
        model, _ = pretrained()
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
    entries()[entry.key] = entry
    st.session_state.sent_model = entry.key


def _active() -> Entry | None:
    registry = entries()
    key = st.session_state.get("sent_model")
    if key not in registry:
        key = next(iter(registry), None)
        st.session_state.sent_model = key
    workspace.remember("sent_model", key)  # kept across a server restart
    return registry.get(key) if key else None


def choose_model() -> Entry | None:
    registry = entries()
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


def upload_model() -> None:
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
