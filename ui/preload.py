"""Libraries that several sessions import lazily, imported once, in a thread of their own that the server's
first page run starts, so that Home answers without waiting for them.

Their first import is not safe from two threads at once: a second session's script thread can find the
module half-initialised (Plotly's lazy pandas: AttributeError; NLTK's circular `nltk.tokenize`: "cannot
import name ... from partially initialized module"). Both were seen on a fresh server with a class
opening pages together. So every page but Home waits for this thread before it runs (`ready`), and
nothing Home or the sidebar imports needs these libraries.
"""

import threading


def _import() -> None:
    import nltk.tokenize  # noqa: F401  (the Sentiment page's tokenizer)
    import nltk.tokenize.casual  # noqa: F401
    import pandas  # noqa: F401  (Plotly's figures, tables)


_thread = threading.Thread(target=_import, name="lstm-lab-preload", daemon=True)
_thread.start()


def ready() -> None:
    """Return once the libraries are imported (at once, after the first seconds of the server)."""
    _thread.join()
