"""The words a person reads, in their language: gettext catalogs under `locale/`.

Every message meant for a person is written in English inside `_()` (or `N_()` where it is
stored and translated later, `ngettext()` where a count decides the form). `make catalog`
extracts them with Babel into `locale/messages.pot` and updates `locale/zh/LC_MESSAGES/messages.po`;
translations follow `locale/glossary.md`. The catalog is compiled in memory, once per process, on
the first message asked for in that language: a stale compiled file cannot exist.

The language is the reader's, never the process's: the app installs a resolver that answers with
the language of the session whose script is running. Without one (the command line, a background
thread, a test calling a figure) the text stays English.
"""

from __future__ import annotations

import gettext
import io
import threading
from collections.abc import Callable
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"
LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT = "en"

_resolver: Callable[[], str] = lambda: DEFAULT  # noqa: E731
_catalogs: dict[str, gettext.NullTranslations] = {}
_lock = threading.Lock()


def set_resolver(resolver: Callable[[], str]) -> None:
    """Install the function that says which language the current reader has chosen."""
    global _resolver
    _resolver = resolver


def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (English: the messages as written)."""
    found = _catalogs.get(language)
    if found is not None:
        return found
    with _lock:  # two sessions asking first at once compile it once
        if language not in _catalogs:
            _catalogs[language] = _compile(language)
        return _catalogs[language]


def _compile(language: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT or not po.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        parsed = read_po(f, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, parsed)  # fuzzy entries are left out: they read as English until reviewed
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def language() -> str:
    chosen = _resolver()
    return chosen if chosen in LANGUAGES else DEFAULT


def _(message: str) -> str:
    return catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for the catalog where it is stored; `_()` translates it where it is shown."""
    return message
