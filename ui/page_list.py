"""The app's pages: file, title (translated where shown) and icon, in the navigation's order."""

from lstm_core.i18n import N_

PAGES = [
    ("pages/home.py", N_("Home"), ":material/home:"),
    ("pages/lessons.py", N_("Lessons"), ":material/school:"),
    ("pages/train.py", N_("Train"), ":material/model_training:"),
    ("pages/gates.py", N_("Gates"), ":material/grid_on:"),
    ("pages/sample.py", N_("Sample"), ":material/edit_note:"),
    ("pages/sentiment.py", N_("Sentiment"), ":material/sentiment_satisfied:"),
    ("pages/anatomy.py", N_("Anatomy"), ":material/biotech:"),
]
# Only in a teacher's navigation, with the right key.
CLASS_PAGE = ("pages/class.py", N_("Class"), ":material/groups:")
# A page's name (its file without folder and suffix) → its title.
TITLES = {path.removeprefix("pages/").removesuffix(".py"): title for path, title, _icon in [*PAGES, CLASS_PAGE]}
