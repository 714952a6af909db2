"""The sidebar every page shares: which model is active, what it is, and uploading one."""

from __future__ import annotations

import streamlit as st

from lstm_core.i18n import N_, _
from lstm_core.storage.keras_import import is_model_file
from lstm_core.storage.model_zip import MAX_ZIP_BYTES
from lstm_core.storage.persistence import ModelFileError

from ui import i18n, models, projector, publishing, running_line, view_link
from ui.classroom import student
from ui.classroom.teacher import KEY_OK
from ui.sentiment import models as sentiment_models
from ui.sentiment import opening as sentiment_opening
from ui.literal import literal
from ui.refusals import refused_upload


def _choose() -> None:
    models.choose(st.session_state.active_model_choice)


def _to_open(uploads) -> list:
    """What a drop means: the files new to the box, or a new half of a model file + vocabulary pair
    together with the other half dropped before. Files tried before are not tried again with every new drop."""
    seen = st.session_state.setdefault("model_upload_seen", [])
    new = [u for u in uploads if u.file_id not in seen]
    seen.extend(u.file_id for u in new)
    if len(new) != 1 or new[0].name.lower().endswith(".zip"):
        return new
    model_file = is_model_file(new[0].name)
    halves = [u for u in uploads if u is not new[0] and not u.name.lower().endswith(".zip")
              and is_model_file(u.name) != model_file]
    return [halves[-1], new[0]] if halves else new


def _classifier_card() -> None:
    """On Sentiment, the model the page uses: its word-level classifier, not the character model."""
    entry = sentiment_models.active()
    st.markdown(_("**Model on this page:** the sentiment classifier"))
    if entry is not None:
        st.markdown(literal(entry.label))
    character = models.active()
    st.caption(_("It reads whole words. The character model of the other pages{name} does not read reviews.").format(
        name=_(" ({name})").format(name=literal(character.label)) if character is not None else ""))


def render(page: str = "home"):
    """The sidebar; for a page with a view, the place of its link, drawn by `link_to_view` once the page
    has run (its settings are only then what it shows)."""
    with st.sidebar:
        i18n.switch()
        projector.switch()
        running_line.show(page)
        if not st.session_state.get(KEY_OK):
            student.section(page)
        if page == "sentiment":
            _classifier_card()
            sentiment_opening.section()
            return None
        registry = models.models()
        current = models.active()
        if current is None:
            st.warning(_("No model is loaded yet. The pretrained model is missing (`make assets` rebuilds it); "
                         "train one on the **Train** page or upload one below."))
        else:
            # The widget has its own key so pages may switch the active model after it is drawn.
            st.session_state.active_model_choice = current.key
            st.selectbox(_("Active model"), list(registry), format_func=lambda k: registry[k].label,
                         key="active_model_choice", on_change=_choose,
                         help=_("Gates, Sample and Anatomy look at this model (Sentiment uses its own classifier). Models you "
                                "train or upload are added here."))
            if current.source == "Training now":
                st.caption(_("Training now: every page shows its latest weights."))
            # The box shows only the start of a long name; the card says it whole, where it can wrap.
            facts = {N_("Name"): registry[current.key].label, **models.describe(current.model)}
            # Written by whoever made the model (an uploaded model's meta.json, its file names): plain text.
            for written in ("Name", "Corpus", "Opened from"):
                if written in facts:
                    facts[written] = literal(facts[written])
            st.markdown("\n".join(_("- **{fact}:** {value}").format(fact=_(k), value=v) for k, v in facts.items()))
            if "Validation loss" in facts:
                st.caption(_("Loss in nats per character: the model's average surprise at each next character, "
                             "−ln p (1 nat = 1.44 bits). Lower is better."))
        with st.expander(_("Open a model"), key="model_upload_box"):
            uploads = st.file_uploader(_("An LSTM Lab model zip, or a .keras file with its vocabulary"),
                                       accept_multiple_files=True, key="model_upload",
                                       max_upload_size=MAX_ZIP_BYTES >> 20,
                                       help=_("A model trained elsewhere: drop its .keras file (Keras), .onnx "
                                              "file or .safetensors state_dict (PyTorch) and its vocabulary "
                                              "together (or one zip of the two). The vocabulary may be a JSON list "
                                              "of characters, the char_indices dictionary, a Keras Tokenizer's "
                                              "to_json(), one token per line, or the training text."))
            ids = tuple(u.file_id for u in uploads or ())
            if ids and st.session_state.get("model_upload_done") != ids:
                st.session_state.model_upload_done = ids
                files = _to_open(uploads)
                try:
                    if not files:  # a file was taken out of the box: nothing new to open
                        raise ModelFileError(_("Drop a model to open it."))
                    entry = models.upload([(u.name, u.getvalue()) for u in files])
                except ModelFileError as exc:
                    refused_upload("Open a model", sum(u.size for u in uploads), exc)
                    # The reason may repeat what the files say (a field of meta.json, an entry's name): literally.
                    st.session_state.model_upload_said = (ids, "error", _("That model could not be used. {reason}").format(
                        reason=literal(exc)))
                else:
                    loaded = _("Loaded “{label}”; it is now the active model.").format(label=literal(entry.model.label))
                    st.session_state.model_upload_said = (ids, "success", loaded)
                    st.rerun()
            # Said for as long as those files stay in the uploader, not only on the run that read them.
            said = st.session_state.get("model_upload_said")
            if ids and said and said[0] == ids:
                getattr(st, said[1])(said[2])
        publishing.section(current, page)
        return st.empty() if page in view_link.FIELDS else None


def link_to_view(slot, page: str) -> None:
    """The link to the page as it is now, in the place the sidebar kept for it."""
    with slot.container(), st.popover(_("Link to this view"), icon=":material/link:", width="stretch"):
        st.caption(_("Opens this page as you see it, in any browser: the model (if others can open it), "
                     "the settings and the language. Your own models stay private."))
        current = models.active()
        if current is not None and not view_link.shareable(current.key):
            st.warning(_("“{model}” is your own: nobody else can open it, so this link opens the pretrained model "
                         "with these settings. A teacher can publish a model for the class.").format(
                model=literal(current.label)),
                       icon=":material/lock:")
        st.code(view_link.link(page), language=None, wrap_lines=True)
