"""The session's language: chosen from the address, the sidebar switch, the workspace or the browser.

Each session reads the app in its own language: the resolver installed here answers `_()` with the
language of the session whose script is running (lstm_core.i18n), never a process-wide setting.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lstm_core import i18n
from lstm_core.i18n import LANGUAGES, _

from ui import workspace

KEY = "language"
PARAM = "lang"
_SWITCH = "language_switch"


def _session_language() -> str:
    if get_script_run_ctx(suppress_warning=True) is None:  # a background thread: no reader
        return i18n.DEFAULT
    return st.session_state.get(KEY, i18n.DEFAULT)


i18n.set_resolver(_session_language)


def _from_browser() -> str:
    locale = (st.context.locale or "").lower()
    return "zh" if locale.startswith("zh") else i18n.DEFAULT


def choose() -> str:
    """Settle this run's language and keep it in the address. Call on every run, before any text."""
    asked = st.query_params.get(PARAM)
    if asked in LANGUAGES:  # a link, or the address this tab already had
        language = asked
    elif KEY in st.session_state:
        language = st.session_state[KEY]
    else:  # a first visit, or a tab restored after a server restart
        language = workspace.recall(KEY) or _from_browser()
    st.session_state[KEY] = language
    if asked != language:
        st.query_params[PARAM] = language
    workspace.remember(KEY, language)
    return language


def _switched() -> None:
    language = st.session_state[_SWITCH]
    st.session_state[KEY] = language
    st.query_params[PARAM] = language


def switch() -> None:
    """The sidebar's language switch, labelled in both languages so anyone can find it."""
    st.session_state[_SWITCH] = st.session_state[KEY]
    st.radio("Language · 语言", list(LANGUAGES), format_func=LANGUAGES.get, key=_SWITCH, horizontal=True,
             on_change=_switched, label_visibility="collapsed")


def tabs(names, key: str, **kwargs):
    """st.tabs with names marked by N_, shown in the reader's words. st.tabs remembers the open tab by
    its label, so after a change of language the label of the other language is turned into this
    one's: the same tab stays open."""
    labels = [_(name) for name in names]
    kept = f"{key}__kept"  # a tab bar not drawn (another page open) forgets its tab: this copy does not
    if key not in st.session_state and st.session_state.get(kept) is not None:
        st.session_state[key] = st.session_state[kept]
    opened = st.session_state.get(key)
    if opened is not None and opened not in labels:
        for language in LANGUAGES:
            named = [i18n.catalog(language).gettext(name) for name in names]
            if opened in named:
                st.session_state[key] = labels[named.index(opened)]
                break
    shown = st.tabs(labels, key=key, **kwargs)
    st.session_state[kept] = st.session_state.get(key)
    return shown
