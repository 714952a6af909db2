"""Text from people (typed, uploaded, or read from an uploaded model's files) shown literally in Markdown.

st.markdown, st.caption and the st.info/success/warning/error messages read Markdown, with LaTeX
between dollar signs and Streamlit's :colour[...] and :material/icon: directives. A user's ``$`` or
``*`` would start maths or bold, a ``[x](url)`` a link, ``![](url)`` an image fetched from anywhere.
Every such character is backslash-escaped (CommonMark lets a backslash escape any ASCII punctuation)
and line breaks become spaces, so the text reads exactly as it was written, on one line.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=^\"'])")
_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def literal(text: object) -> str:
    return _SPECIAL.sub(r"\\\1", _BREAKS.sub(" ", str(text)))
