"""LSTM Lab: entry point. The shell (navigation, workspace, sidebar) lives in ui.shell."""

import logging

import streamlit as st

from lstm_core import settings
from lstm_core.i18n import _

# For whoever runs the server, on its standard error: wrong settings, failed runs with their traceback,
# refused uploads (Streamlit logs a page's crash itself). basicConfig acts once; later reruns change nothing.
logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
for package in ("lstm_core", "ui"):
    logging.getLogger(package).setLevel(logging.INFO)

try:
    settings.current()  # every LSTM_LAB_* variable, checked before anything reads one
except settings.SettingsError as exc:
    logging.getLogger("lstm_core.settings").error("The server's settings are wrong: %s", exc)
    st.set_page_config(page_title="LSTM Lab")
    st.error(_("LSTM Lab cannot start: {problem}. Whoever runs the server can correct it and start the server "
               "again (the README lists every setting).").format(problem=exc), icon=":material/settings_alert:")
    st.stop()

from lstm_core.training.spare import SPARES  # noqa: E402
from ui import shell  # noqa: E402  (after the check: importing the pages' modules reads the settings)
from ui.classroom import banner  # noqa: E402

# A training process waits from the server's first page run on, TensorFlow imported, so that Start
# trains within a couple of seconds; once per server, whatever the page.
SPARES.keep()
page, after = shell.frame()
try:
    banner.watch()  # a student in a class: the teacher's views, or the pause in place of the page
    page.run()
finally:
    after()  # the address and the link to this view, as the page now shows it
