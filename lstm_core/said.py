"""Messages for a person said where no reader is known: in a training's child process, in the thread
that watches it, or in an error that a page shows later (perhaps after its reader switched language).
There `_()` would answer once, for good, in whatever language it found (English without a session).

A `Said` is that English text (a `str`, so logs, tests and the command line read it as before)
which also keeps its message id and named arguments, so a page says it in the reader's language
where it shows it: `say(message)`. `str()` of it stays English: every place that shows one to a
person calls `say`. It crosses to and from a child process intact (it pickles as its id and
arguments); an argument may itself be a `Said`, and an error given as an argument is kept as what
it says (`said_of`).

`Explained` is the base of errors explained for a person that way; `said_of(exc)` is what any
error says, a `Said` when it was raised with one.
"""

from __future__ import annotations

from typing import Self

from lstm_core.i18n import N_, _

# Translators: two sentences (each translated already) one after the other.
_THEN = N_("{first} {then}")


class Said(str):
    """English text that can say itself in the reader's language (see the module's docstring)."""

    def __new__(cls, msgid: str, /, **args) -> Self:
        # Not the error itself: it would carry its traceback along, and many do not pickle.
        args = {k: said_of(v) if isinstance(v, BaseException) else v for k, v in args.items()}
        # Without arguments the text is not a template: it may quote a file's name, braces and all.
        self = super().__new__(cls, msgid.format(**args) if args else msgid)
        self.msgid, self.args = msgid, args
        return self

    def __reduce__(self):
        return _said, (self.msgid, self.args)

    def text(self) -> str:
        """In the language of the session whose script is running (English without one)."""
        text = _(self.msgid)
        return text.format(**{k: say(v) for k, v in self.args.items()}) if self.args else text

    def then(self, other: str) -> Said:
        """This sentence followed by another."""
        if not other:
            return self
        return Said(_THEN, first=self, then=other)


def _said(msgid: str, args: dict) -> Said:
    return Said(msgid, **args)


def say(value):
    """A `Said` in the reader's language; anything else as it is."""
    return value.text() if isinstance(value, Said) else value


def sentences(first: str, then: str) -> str:
    """Two sentences already in the reader's language, one after the other."""
    return _(_THEN).format(first=first, then=then) if then else first


class Explained(ValueError):
    """An error explained for a person: raised with a message id and its named arguments, it holds
    them as a `Said` (`said`), so `str()` is English and a page shows `say(exc.said)`."""

    def __init__(self, msgid: str, /, **args):
        # Unpickling calls the class with its one argument, the Said made here: kept as it is.
        super().__init__(msgid if isinstance(msgid, Said) and not args else Said(msgid, **args))

    @property
    def said(self) -> Said:
        return self.args[0]


def said_of(exc: BaseException) -> str:
    """What an error says: the `Said` it was raised with (an `Explained`, or any error raised with
    one), else its text."""
    said = exc.args[0] if len(exc.args) == 1 else None
    return said if isinstance(said, Said) else str(exc)
