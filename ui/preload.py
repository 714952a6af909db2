"""Libraries that several sessions import lazily, imported once before any session runs.

Their first import is not safe from two threads at once: a second session's script thread can
find the module half-initialised (Plotly's lazy pandas: AttributeError; NLTK's circular
`nltk.tokenize`: "cannot import name ... from partially initialized module"). Both were seen on
a fresh server with a class opening pages together. app.py imports this before the shell.
"""

import nltk.tokenize  # noqa: F401  (the Sentiment page's tokenizer)
import nltk.tokenize.casual  # noqa: F401
import pandas  # noqa: F401  (Plotly's figures)
