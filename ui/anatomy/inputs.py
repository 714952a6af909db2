"""What the first layer reads for a character, in words, for each input form a network may have
(lstm_core.inference.netweights.INPUT_FORMS): only an embedding is learnt; a one-hot vector and a
scaled id are fixed by the character's place in the vocabulary."""

from __future__ import annotations

import numpy as np

from lstm_core.i18n import _, ngettext


def source(form: str, ch: str, known: bool, x: np.ndarray) -> str:
    """x_t of the first layer, for the sentence "x_t is …"; `ch` is the character as shown, `known`
    whether it is in the model's vocabulary (an unknown one reads the unknown slot, or zeros)."""
    m = len(x)
    if not known:
        return ngettext("what the model reads for any character it does not know (“{ch}” is one): {m} number",
                        "what the model reads for any character it does not know (“{ch}” is one): {m} numbers",
                        m).format(ch=ch, m=m)
    if form == "one-hot":
        return _("the one-hot vector of “{ch}”: {m} numbers, a single 1 at this character’s place and 0 "
                 "everywhere else; fixed, not learnt").format(ch=ch, m=m)
    if form == "scaled-id":
        return _("one number, {value}: the model’s id for “{ch}” divided by the size of its vocabulary; fixed, "
                 "not learnt").format(ch=ch, value=f"{float(x[0]):.3f}")
    return _("the embedding of “{ch}”: {m} numbers the network learnt for this character").format(ch=ch, m=m)


def short(form: str) -> str:
    """The first layer's inputs, in a few words."""
    if form == "one-hot":
        return _("the character's one-hot vector")
    if form == "scaled-id":
        return _("the character's id divided by the vocabulary size")
    return _("the character's embedding")
