"""The app shell in a real browser: every page loads inside the shared shell, the home page, the sidebar.

The page tests come first on purpose: on a server nobody has visited yet, a deep link such as
/train is the case that goes wrong with a ``pages/`` folder next to app.py. Streamlit then treats
the app as an old-style (v1) multipage app and runs pages/train.py on its own, without app.py;
ui.shell.require_app draws the shell around it, so it must look exactly like any other visit.
"""

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests skipped: the playwright package is not installed")

from playwright.sync_api import expect  # noqa: E402

from helpers import assert_no_exception, open_page, screenshot  # noqa: E402
from ui.page_list import PAGES  # noqa: E402

pytestmark = pytest.mark.e2e

# The titles app.py gives its pages, in order: what the navigation must list.
NAV_PAGES = [title for _, title, _ in PAGES]


def nav_labels(page) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"] '
                         '[data-testid="stMarkdownContainer"]')
    return [t.strip() for t in links.all_inner_texts()]


DEEP_LINKS = [path.removeprefix("pages/").removesuffix(".py") for path, _, _ in PAGES[1:]]


def _in_shell(page, app_url, path):
    assert_no_exception(page)
    labels = nav_labels(page)
    assert labels == NAV_PAGES, (f"/{path} is not shown inside the app's shell: the navigation lists {labels}, "
                                 f"expected {NAV_PAGES}")
    # A page st.navigation does not know sends Streamlit to the default page: check we are on this one.
    current = page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
    expect(current).to_have_attribute("href", f"{app_url}/{path}")
    # The sidebar names the model the page uses: Sentiment's classifier, else the active character model.
    model = "Model on this page:" if path == "sentiment" else "Active model"
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(model, exact=path != "sentiment")).to_be_visible()


@pytest.mark.parametrize("path", DEEP_LINKS)
def test_page_opens_by_its_address_and_after_a_reload(page, app_url, path):
    open_page(page, app_url, f"/{path}")
    screenshot(page, f"page-{path}")  # not "{path}": page tests (test_gates_e2e.py) use those names
    _in_shell(page, app_url, path)
    page.reload()
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    _in_shell(page, app_url, path)


def test_home_shows_title_sidebar_and_navigation(page, app_url):
    open_page(page, app_url, "/")
    screenshot(page, "home")
    assert_no_exception(page)

    expect(page.get_by_role("heading", name="LSTM Lab", level=1)).to_be_visible()

    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_be_visible()
    expect(sidebar.get_by_text("Active model", exact=True)).to_be_visible()

    labels = nav_labels(page)
    assert labels == NAV_PAGES, f"navigation lists {labels}, expected {NAV_PAGES}"
