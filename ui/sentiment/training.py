"""The Sentiment page's "Retrain" tab and its session glue: the choice of reviews (built-in and an
uploaded CSV) and settings, starting and stopping this session's `TrainingJob` (kept in
st.session_state), the live progress and training curves, the results (one model, or SimpleRNN, LSTM
and GRU compared), and, once a job ends, adding the models it trained to the session's classifiers.
"""

from __future__ import annotations

import streamlit as st

from lstm_core import i18n
from lstm_core.i18n import N_, _, ngettext
from lstm_core.said import say
from lstm_core.sentiment import data, store
from lstm_core.sentiment.runs import SentimentRecipe, comparison_settings, elapsed_label, sentiment_job
from lstm_core.sentiment.model import ARCHS, parameter_count
from lstm_core.sentiment.training import SentimentTrainError, TrainSettings
from lstm_core.training.budget import BudgetError
from lstm_core.training.job import TrainingJob
from lstm_core.training.states import DIVERGED, FAILED, PREPARING, STOPPED, STOPPING

from ui.sentiment import figures as fs
from ui import models as session_models
from ui import workspace_jobs
from ui.sentiment.models import Entry, entries
from ui.sentiment.reading import sentences
from ui.train.waiting import stopping_notice, waiting_notice
from ui.refusals import refused_upload

ARCH_HELP = N_("LSTM: one layer of long short-term memory units. GRU: a simpler gated unit. SimpleRNN: no gates at "
               "all. Stacked: two LSTM layers. Bidirectional: one LSTM reads left to right, another right to left.")


@st.cache_resource(show_spinner=False, max_entries=4)
def _examples(domains: tuple[str, ...]) -> tuple[data.Example, ...]:
    """Shared by every session, read-only (examples are frozen)."""
    return tuple(data.load_builtin(domains))


def _job() -> TrainingJob | None:
    return st.session_state.get("sent_job")


def _data_choice(locked: bool) -> tuple[list[data.Example], list[str]] | None:
    """The examples chosen for training (built-in domains and/or the user's CSV), or None."""
    labels = {k: data.domain_label(k) for k in data.DOMAINS}
    box = st.container()
    with st.expander(_("Your own reviews (a CSV file)"), icon=":material/upload_file:", key="sent_csv_expander",
                     expanded=st.session_state.get("sent_csv") is not None):
        upload = st.file_uploader(_("A CSV with a text column and a label column"), type=["csv", "txt", "tsv"],
                                  key="sent_csv", max_upload_size=data.MAX_CSV_BYTES >> 20, disabled=locked,
                                  help=_("UTF-8, with a header naming the columns text and label (or exactly two "
                                         "columns, text then label). Labels: 1/0, positive/negative, or a rating such "
                                         "as −2.5. It is split 70/15/15 into training, validation and test, like the "
                                         "built-in reviews."))
    user: list[data.Example] = []
    if upload is not None:
        cached = st.session_state.get("sent_csv_parsed")
        language = i18n.language()  # the notes are kept in the reader's language
        if cached is None or cached[0] != (upload.file_id, language):
            try:
                parsed = data.parse_csv(upload.getvalue())
            except data.DataError as exc:
                refused_upload("Sentiment's reviews", upload.size, exc)
                parsed = exc
            st.session_state.sent_csv_parsed = cached = ((upload.file_id, language), parsed)
        parsed = cached[1]
        if isinstance(parsed, data.DataError):
            st.error(_("That file cannot be used: {problem}").format(problem=say(parsed.said)),
                     icon=":material/error:")
        else:
            user, notes = parsed
            counts = data.summary(user).get(data.USER_DOMAIN, {})
            n = {s: sum(counts.get(s, {}).values()) for s in data.SPLITS}
            st.success(ngettext("{n:,} labelled review read: {train:,} training, {val:,} validation, {test:,} test.",
                                "{n:,} labelled reviews read: {train:,} training, {val:,} validation, {test:,} test.",
                                len(user)).format(n=len(user), **n), icon=":material/check:")
            for note in notes:
                st.caption(note)
            labels[data.USER_DOMAIN] = data.domain_label(data.USER_DOMAIN)
    default = [data.USER_DOMAIN] if user else list(data.DOMAINS)
    if "sent_domains" not in st.session_state or not set(st.session_state.sent_domains) <= set(labels):
        st.session_state.sent_domains = default
    with box:
        chosen = st.multiselect(_("Train on"), list(labels), format_func=labels.get, key="sent_domains",
                                disabled=locked,
                                help=_("The built-in reviews (Hutto & Gilbert 2014), and your CSV once uploaded below."))
    if not chosen:
        st.warning(_("Choose at least one kind of review to train on."))
        return None
    examples: list[data.Example] = []
    builtin = tuple(d for d in chosen if d in data.DOMAINS)
    if builtin:
        try:
            examples += list(_examples(builtin))
        except data.DataError as exc:
            st.error(say(exc.said), icon=":material/error:")
            return None
    if data.USER_DOMAIN in chosen:
        examples += user
    return examples, chosen


def _settings(locked: bool) -> TrainSettings | None:
    c1, c2, c3 = st.columns([1.4, 1, 1], gap="medium")
    with c1:
        arch = st.selectbox(_("Architecture"), list(ARCHS), format_func=lambda a: _(ARCHS[a]), key="sent_arch",
                            help=_(ARCH_HELP), disabled=locked)
    with c2:
        epochs = st.slider(_("Epochs"), 1, 10, 3, key="sent_epochs", disabled=locked,
                           help=_("One epoch reads every training review once. The epoch with the best validation "
                                  "accuracy is kept."))
    with c3:
        units = st.select_slider(_("Units"), [16, 32, 64, 128], value=64, key="sent_units", disabled=locked)
    with st.expander(_("More settings"), key="sent_more_settings"):
        a, b = st.columns(2)
        with a:
            prior = st.checkbox(_("Start from VADER's word ratings"), value=True, key="sent_prior", disabled=locked,
                                help=_("The embedding starts with each word's rating from VADER's word list in four "
                                       "of its numbers; training adjusts them."))
            phrases = st.checkbox(_("Add 2,000 negation phrases"), value=True, key="sent_phrases", disabled=locked,
                                  help=_("Short made-up phrases such as “not good” (negative) and “it wasn't "
                                         "bad” (positive), built from VADER's strongest words: they teach what "
                                         "“not” does."))
        with b:
            lr = st.select_slider(_("Learning rate"), [0.0003, 0.001, 0.003, 0.01], value=0.003, key="sent_lr",
                                  disabled=locked)
            seed = st.number_input(_("Seed"), 0, 10_000, 0, key="sent_seed", disabled=locked)
    try:
        return TrainSettings(arch=arch, epochs=int(epochs), units=int(units), learning_rate=float(lr),
                             lexicon_prior=bool(prior), negation_phrases=2000 if phrases else 0, seed=int(seed))
    except SentimentTrainError as exc:
        st.error(say(exc.said))
        return None


def _start(examples, settings_list, kind: str) -> None:
    from ui.train.session import workspace_alive_check

    old = _job()
    if old is not None and old.is_alive:
        st.session_state.sent_flash = ("error", N_("A model is already training; stop it first."))
        return
    out = session_models.session_dir() / "sentiment"
    # The label is stored in English; the classifier list puts it into the reader's words (model_label).
    names = " + ".join(data.domain_label(d, english=True) for d in dict.fromkeys(e.domain for e in examples))
    recipe = SentimentRecipe(tuple(examples), tuple(settings_list), label_prefix=f"{names} · ")
    job = sentiment_job(recipe, out, comparison=kind == "compare", alive=workspace_alive_check())
    try:
        job.start()
    except BudgetError as exc:  # refused before it starts: the last job and its results stay
        st.session_state.sent_flash = ("error", str(exc))
        return
    st.session_state.sent_job = job
    st.session_state.sent_job_registered = 0
    workspace_jobs.keep(st.session_state.workspace_id, "sentiment", (job, 0))  # a reload finds it


def retrain() -> None:
    job = _job()
    running = job is not None and job.is_alive
    flash = st.session_state.pop("sent_flash", None)
    if flash:
        getattr(st, flash[0])(_(flash[1]))
    st.markdown(_("Train a classifier of your own, live: pick the reviews, the architecture and the epochs. It is "
                  "tested on reviews it never saw, next to VADER."))
    choice = _data_choice(running)
    settings = _settings(running)
    ready = choice is not None and settings is not None
    b1, b2, b3 = st.columns([1, 1.6, 1])
    train = b1.button(_("Train"), type="primary", icon=":material/play_arrow:", disabled=running or not ready,
                      key="sent_train", width="stretch")
    compare = b2.button(_("Compare SimpleRNN, LSTM and GRU"), icon=":material/compare:",
                        disabled=running or not ready, key="sent_compare", width="stretch",
                        help=_("Trains the three, one after the other, with the same data, split, words and "
                               "settings."))
    stop = b3.button(_("Stop"), icon=":material/stop:", disabled=not running, key="sent_stop", width="stretch")
    if stop and job is not None:
        job.stop()
    if (train or compare) and ready:
        examples = choice[0]
        if compare:
            _start(examples, comparison_settings(settings), "compare")
        else:
            _start(examples, [settings], "single")
        st.rerun()
    st.fragment(live_area, run_every=1.0 if running else None)()


def register_finished() -> bool:
    """Once a job has ended, add the models it trained to the classifier list (once); True if it did now."""
    job = _job()
    if job is None or job.is_alive or st.session_state.get("sent_job_registered") == job.run_id:
        return False
    st.session_state.sent_job_registered = job.run_id
    added = None
    for i, run in enumerate(job.view().runs):
        if run.model is not None:
            added = Entry(run.model.folder.name, "trained here", run.model)
            entries()[added.key] = added
    if added is not None and not job.kind.comparison:
        st.session_state.sent_model = added.key
    return True


def live_area() -> None:
    job = _job()
    if job is None:
        st.caption(_("Training starts TensorFlow (about ten seconds the first time), then shows the loss and "
                     "accuracy as it learns."))
        return
    if register_finished():
        st.rerun()  # the classifier list at the top of the page changes
    view = job.view()
    run = view.runs[view.current]
    if view.queue_position:
        waiting_notice(view.queue_position, view.slots)
    elif view.status == STOPPING:
        stopping_notice()
    elif view.running:
        p = run.progress
        total = len(view.runs)
        arch = _(run.arch_name)
        which = _("{arch} ({run} of {total})").format(arch=arch, run=view.current + 1, total=total) if total > 1 \
            else arch
        if run.status == PREPARING or p is None:
            st.progress(0.0, text=_("{which} · starting TensorFlow and preparing the reviews…").format(which=which))
        else:
            fraction = min(1.0, p.epoch / run.settings.epochs)
            words = dict(which=which, epoch=min(run.settings.epochs, int(p.epoch) + 1), epochs=run.settings.epochs,
                         step=p.step, elapsed=elapsed_label(p.elapsed_s))
            if p.eta_s is not None:
                text = _("{which} · epoch {epoch} of {epochs} · step {step:,} · {elapsed} · about {left} left").format(
                    left=elapsed_label(p.eta_s), **words)
            else:
                text = _("{which} · epoch {epoch} of {epochs} · step {step:,} · {elapsed}").format(**words)
            st.progress(fraction, text=text)
    else:
        _ended_message(view)
    series = [{"name": _(r.arch_name), "arch": r.settings.arch, "steps": r.steps, "loss": r.loss,
               "accuracy": r.accuracy, "epochs": [{"step": e.step, "val_acc": e.val_acc, "val_loss": e.val_loss}
                                                  for e in r.epochs]}
              for r in view.runs if r.steps]
    if series:
        st.plotly_chart(fs.training_figure(series), config={"displayModeBar": False}, key="sent_training_chart")
        st.caption(_("Solid: training batches (smoothed). Dashed diamonds: validation reviews, measured after each "
                     "epoch. When training accuracy keeps rising but validation accuracy does not, the model is "
                     "memorising its training reviews."))
    done = [r for r in view.runs if r.evaluation is not None]
    if not done:
        return
    if view.comparison and len(done) > 1:
        _comparison(done)
    else:
        _single_result(done[-1])


def _ended_message(view) -> None:
    errors = [r for r in view.runs if r.status == FAILED]
    if errors:
        st.error(_("Training failed: {problem}").format(problem=errors[0].message), icon=":material/error:")
    elif view.status == STOPPED:
        said = [r.message for r in view.runs if r.message]
        why = say(view.message)  # the job's own word (a closed tab), unless a classifier said it already
        st.info(sentences([_("Stopped."), *([why] if why and why not in said else []), *said]),
                icon=":material/stop_circle:")
    elif view.status == DIVERGED:
        st.warning(sentences([r.message for r in view.runs if r.message]), icon=":material/warning:")
    else:
        trained = [r for r in view.runs if r.model is not None]
        names = _(", ").join(_(r.arch_name) for r in trained)
        st.success(ngettext("Finished: {names}. It is now in the classifier list at the top of the page.",
                            "Finished: {names}. They are now in the classifier list at the top of the page.",
                            len(trained)).format(names=names), icon=":material/check_circle:")


def _single_result(run) -> None:
    ev = run.evaluation
    domains = [d for d in ev.accuracy if d != "all"]
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.plotly_chart(fs.accuracy_figure([data.domain_label(d) for d in domains], [ev.accuracy[d] for d in domains],
                                           [ev.vader_accuracy[d] for d in domains],
                                           counts=[ev.n[d] for d in domains], model_name=_(run.arch_name)),
                        config={"displayModeBar": False}, key="sent_new_accuracy")
    with right:
        st.markdown(ngettext("**Test accuracy** {accuracy:.1%} (VADER {vader:.1%}) on {n:,} review",
                             "**Test accuracy** {accuracy:.1%} (VADER {vader:.1%}) on {n:,} reviews",
                             ev.n["all"]).format(accuracy=ev.accuracy["all"], vader=ev.vader_accuracy["all"],
                                                 n=ev.n["all"]))
        st.plotly_chart(fs.confusion_figure(ev.confusion), config={"displayModeBar": False}, key="sent_new_confusion")
    if run.model is not None:
        folder = run.model.folder
        st.download_button(_("Download this classifier (.zip)"), data=lambda: store.export_zip(folder),
                           file_name=f"{folder.name}.zip", mime="application/zip", icon=":material/download:",
                           on_click="ignore", key="sent_download")


def _comparison(runs) -> None:
    domains = [d for d in runs[0].evaluation.accuracy if d != "all"]
    labels = [data.domain_label(d) for d in domains] + ([_("All")] if len(domains) > 1 else [])
    keys = domains + (["all"] if len(domains) > 1 else [])
    results = [(_(r.arch_name), r.settings.arch, [r.evaluation.accuracy[d] for d in keys]) for r in runs]
    vader = [runs[0].evaluation.vader_accuracy[d] for d in keys]
    st.plotly_chart(fs.comparison_figure(labels, results, vader), config={"displayModeBar": False},
                    key="sent_comparison")
    rows = [{_("architecture"): _(r.arch_name),
             _("parameters"): f"{parameter_count(r.model.spec):,}" if r.model else "",
             _("seconds"): round(r.seconds), _("best epoch"): max((e.epoch for e in r.epochs
                                                                   if e.val_acc == max(x.val_acc for x in r.epochs)),
                                                                  default=0),
             _("test accuracy"): f"{r.evaluation.accuracy['all']:.1%}"} for r in runs]
    st.dataframe(rows, hide_index=True, width="stretch", key="sent_comparison_table")
    st.caption(_("Same reviews, same split, same words, same settings: only the recurrent layer differs. SimpleRNN has "
                 "no gates and forgets quickly; the LSTM and GRU can keep “not” in mind until the word it negates."))
