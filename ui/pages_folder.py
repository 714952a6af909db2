"""Streamlit's older multipage mode, kept off: the pages live in `pages/` but st.navigation runs them.

Streamlit 1.67 has no setting for this. A folder named `pages/` beside the main script turns on the
older mode (`PagesManager.uses_pages_directory`) until some script of the process calls
st.navigation: "As soon as any session of your app executes the st.navigation command, your app
will ignore the pages/ directory" (st.navigation's reference). Before that, the first visitor of a
fresh server who opens a page's address (`/train`) gets pages/train.py run alone, without app.py;
and AppTest turns the mode back on before every run of a test. Streamlit's own advice is to name the
folder otherwise, which this design does not. So both the app and the tests use the two functions
below, and tests/test_pages_folder.py fails, naming them, if a Streamlit upgrade moves the flag.
"""

from __future__ import annotations

import functools

from streamlit.runtime.pages_manager import PagesManager


def ran_alone_then_off() -> bool:
    """True if the older mode was on (it ran this page without app.py); it is off from now on."""
    if not PagesManager.uses_pages_directory:
        return False
    PagesManager.uses_pages_directory = False
    return True


def keep_off_in_apptest() -> None:
    """Under AppTest too, the older mode stays off: AppTest resets the flag to None before every run
    and the PagesManager it then makes sets it again from the `pages/` beside app.py."""
    init = PagesManager.__init__

    @functools.wraps(init)  # __wrapped__: the test of these internals reaches Streamlit's own
    def without_pages_folder(self, *args, **kwargs):
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = without_pages_folder
