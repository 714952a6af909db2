"""Scoring a review in NumPy: the verdict, the word-by-word trajectory, and word importance.

`score()` tokenizes the text, runs the engine's trace (every gate of every layer at every word,
for the Gates views) and returns the probability that the review is positive, as Keras would
compute it, with the trajectory: the probability after each word, i.e. what the model would say
if the review ended there. For a left-to-right model that reads the review as it is, that is the head
applied to the hidden state at each word, which is exactly how it reads; for a bidirectional model
(whose backward half reads from the end), or one that reads reviews padded to a fixed length (whose
verdict comes after the padding), it is the model run again on each beginning of the review.

The vocabulary (`vocab`) splits the text into words and looks them up: the built-in WordVocab, or an
opened classifier's KerasWords, each with its `framing` (padding, as the model was trained).

`occlusion()` is the word importance: how much the probability drops when each word is left out
(positive: the word pushed towards "positive"); all the shortened reviews run in one batch.

Bad input never raises: an empty text, only punctuation or emoji, words the model never saw,
another language, or a 100,000-character paste each give a result with a status and notes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

from lstm_core.i18n import _
from lstm_core.inference.engine import Trace, trace
from . import batch
from .framing import Framing
from .tokens import Token

MAX_CHARS = 3_000  # a longer paste is cut before tokenizing (200 words rarely take 1,500)
MAX_WORDS = 200  # the classifier reads at most this many words (the training reviews have at most 146)
THRESHOLD = 0.5
SKIPPED_SHOWN = 10  # words left out that a note names

OK, EMPTY, UNKNOWN_ONLY = "ok", "empty", "unknown-only"


@dataclass(frozen=True)
class Reading:
    """What the classifier reads of a text."""

    text: str  # the text as read (cut to MAX_CHARS)
    tokens: tuple[Token, ...]
    ids: np.ndarray
    unknown: tuple[int, ...]  # positions of words the model never saw
    notes: tuple[str, ...]
    original_chars: int
    cut_words: int  # words left unread beyond MAX_WORDS or the model's maxlen (0 when none)
    skipped: tuple[str, ...] = ()  # words left out because the model does not know them (no unknown id)

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens]

    @property
    def truncated(self) -> bool:
        return self.cut_words > 0 or self.original_chars > len(self.text)


@dataclass(frozen=True)
class Verdict:
    reading: Reading
    status: str  # OK, EMPTY (nothing to read) or UNKNOWN_ONLY (no word the model knows)
    prob: float | None  # probability of positive (None when EMPTY)
    trajectory: np.ndarray  # (words,) probability of positive after each word
    trajectory_kind: str  # "reading" (left to right) or "prefix" (bidirectional or padded: each beginning run again)
    trace: Trace | None = field(default=None, repr=False)  # of the review as the model reads it, padding and all
    first: int = 0  # the trace's position of the first word (after padding or a start id)

    @property
    def label(self) -> str | None:
        """"positive" or "negative"; None when there is no verdict (nothing read, or no known word)."""
        if self.prob is None or self.status != OK:
            return None
        return "positive" if self.prob >= THRESHOLD else "negative"

    @property
    def confidence(self) -> float | None:
        """The probability of the label given (0.5 .. 1)."""
        return None if self.prob is None else max(self.prob, 1 - self.prob)

    @property
    def reason(self) -> str | None:
        """Why there is no verdict, for a person; None when there is one."""
        if self.status == EMPTY and self.reading.skipped:
            return _("The model knows none of the words in this text, so it gives no verdict.")
        if self.status == EMPTY:
            return _("There is nothing to classify: the text is empty (or only spaces).")
        if self.status == UNKNOWN_ONLY:
            return _("The model knows none of the words in this text, so it gives no verdict.")
        return None

    def to_dict(self) -> dict:
        r = self.reading
        return {"status": self.status, "probability_positive": self.prob, "label": self.label, "reason": self.reason,
                "trajectory": [{"word": w, "p_positive": round(float(p), 6)} for w, p in zip(r.words, self.trajectory)],
                "trajectory_kind": self.trajectory_kind,
                "unknown_words": [r.tokens[i].text for i in r.unknown], "notes": list(r.notes),
                "truncated": r.truncated}


def _letters(text: str) -> tuple[int, int]:
    """(letters, letters outside the Latin script) in text."""
    total = other = 0
    for ch in text:
        if ch.isalpha():
            total += 1
            if ch.isascii():
                continue
            try:
                if not unicodedata.name(ch).startswith("LATIN"):
                    other += 1
            except ValueError:
                other += 1
    return total, other


def read(text: str | None, vocab) -> Reading:
    """Tokenize and encode `text`, with notes a person should see (never raises for any string)."""
    raw = "" if text is None else str(text)
    original = len(raw)
    cut = raw[:MAX_CHARS]
    tokens = vocab.tokenize(cut)
    encoded = vocab.encode([t.key for t in tokens])
    unknown, ids, skipped, notes = encoded.unknown_positions, encoded.ids, (), []
    if vocab.drops_unknown and unknown:
        # As Keras' Tokenizer without an oov_token: the words the model does not know are not read at all.
        skipped = tuple(tokens[t].text for t in unknown)
        shown = ", ".join(f"“{w}”" for w in skipped[:SKIPPED_SHOWN]) + (", …" if len(skipped) > SKIPPED_SHOWN else "")
        notes.append(_("The model has no id for words it does not know, so it leaves them out, as Keras' Tokenizer "
                       "does: {words}.").format(words=shown))
        known = np.setdiff1d(np.arange(len(tokens)), unknown)
        tokens, ids, unknown = [tokens[t] for t in known], ids[known], ()
    # A model trained on reviews cut to maxlen reads the words pad_sequences keeps, whatever the page's limit.
    kept = vocab.framing.kept(len(tokens))
    framed_cut = len(tokens) - (kept.stop - kept.start)
    if framed_cut:
        notes.append((_("The model was trained on reviews cut to {maxlen} ids, so it reads only the last {n} words.")
                      if vocab.framing.truncating == "pre" else
                      _("The model was trained on reviews cut to {maxlen} ids, so it reads only the first {n} words."))
                     .format(maxlen=vocab.framing.maxlen, n=kept.stop - kept.start))
        tokens, ids = tokens[kept], ids[kept]
        unknown = tuple(t - kept.start for t in unknown if kept.start <= t < kept.stop)
    cut_words = max(0, len(tokens) - MAX_WORDS)
    limits = []
    if tokens and original > MAX_CHARS and cut_words:
        limits.append(_("Your text is long ({chars:,} characters): the classifier reads only its first {limit:,} "
                        "characters, and of those only the first {words} words.").format(
            chars=original, limit=MAX_CHARS, words=MAX_WORDS))
    elif tokens and original > MAX_CHARS:
        limits.append(_("Your text is long ({chars:,} characters): the classifier reads only its first {limit:,} "
                        "characters.").format(chars=original, limit=MAX_CHARS))
    elif cut_words:
        limits.append(_("Your text has {n:,} words: the classifier reads only the first {limit}.").format(
            n=len(tokens), limit=MAX_WORDS))
    notes = limits + notes
    tokens, ids = tokens[:MAX_WORDS], ids[:MAX_WORDS]
    unknown = tuple(t for t in unknown if t < MAX_WORDS)
    cut_words += framed_cut
    if tokens:
        has_words = any(any(ch.isalnum() for ch in t.text) for t in tokens)
        letters, other = _letters(cut)
        # One note, the one that matters most: knowing nothing outranks what the text is made of.
        if len(unknown) == len(tokens) and letters and other / letters > 0.5:
            notes.append(_("The model knows none of these words (it learned from English reviews only), so it gives "
                           "no verdict: its output would be what it says about “unknown” words in general, not about "
                           "this text."))
        elif len(unknown) == len(tokens):
            notes.append(_("The model knows none of these words, so it gives no verdict: its output would be what it "
                           "says about “unknown” words in general, not about this text."))
        elif not has_words:
            notes.append(_("There are no words here, only punctuation or symbols (such as emoji): the verdict rests "
                           "on those alone."))
        elif letters and other / letters > 0.5:
            notes.append(_("This does not look like English: the classifier learned from English reviews only, so "
                           "its verdict means little here."))
        elif len(tokens) >= 3 and len(unknown) / len(tokens) >= 0.5:
            notes.append(_("The model never saw {unknown} of these {n} words (is it English?): it reads them all as "
                           "the same “unknown” word.").format(unknown=len(unknown), n=len(tokens)))
    return Reading(cut, tuple(tokens), np.asarray(ids), unknown, tuple(notes), original, cut_words, skipped)


def probabilities(net, framing: Framing, rows: np.ndarray) -> np.ndarray:
    """The classifier's probability for each of (B, T) word-id rows, laid out as it was trained."""
    return batch.final_probs_same_length(net, framing.frame(rows)[0])


def score(net, vocab, text: str | None) -> Verdict:
    """Classify a review: the probability of positive and the word-by-word trajectory (see module doc)."""
    reading = read(text, vocab)
    if not reading.tokens:
        return Verdict(reading, EMPTY, None, np.zeros(0, np.float32), "reading")
    framing = vocab.framing
    ids = reading.ids
    framed, first = framing.frame(ids[None, :])
    tr = trace(net, framed[0])
    prob = float(tr.final_probs[0])
    if framing.padded or net.bidirectional:
        # Each beginning of the review (padded as the model was trained): what it says if the review ended there.
        trajectory = _prefix_probs(net, framing, ids)
        trajectory[-1] = prob
        kind = "prefix"
    else:
        trajectory = np.asarray(tr.probs[first:first + len(ids), 0], np.float32)
        kind = "reading"
    status = UNKNOWN_ONLY if len(reading.unknown) == len(reading.tokens) else OK
    return Verdict(reading, status, prob, trajectory, kind, tr, first)


def _prefix_probs(net, framing: Framing, ids: np.ndarray) -> np.ndarray:
    """The probability after each beginning of the review, each run on its own (padded alike, all in one
    batch when padding makes them one length)."""
    if framing.padded:
        rows = np.vstack([framing.frame(ids[None, :t + 1])[0] for t in range(len(ids))])
        return batch.final_probs_same_length(net, rows).astype(np.float32)
    return np.array([probabilities(net, framing, ids[None, :t + 1])[0] for t in range(len(ids))], np.float32)


def start_probability(net, framing: Framing) -> float:
    """What the classifier says before reading any word (after only the padding, if it pads)."""
    return float(probabilities(net, framing, np.zeros((1, 0), np.intp))[0])


def occlusion(net, ids: np.ndarray, full: float | None = None, framing: Framing = Framing()) -> np.ndarray:
    """Word importance: probability with the whole review minus probability with word t left out."""
    ids = np.asarray(ids)
    if ids.size == 0:
        return np.zeros(0, np.float32)
    if full is None:
        full = float(probabilities(net, framing, ids[None, :])[0])
    without = probabilities(net, framing, batch.without_each(ids))
    return (np.float32(full) - without).astype(np.float32)


def turning_point(trajectory: np.ndarray) -> int | None:
    """The word after which the verdict last changed side (crossed 0.5), or None if it never did."""
    p = np.asarray(trajectory)
    if p.size < 2:
        return None
    side = p >= THRESHOLD
    flips = np.flatnonzero(side[1:] != side[:-1])
    return int(flips[-1] + 1) if flips.size else None
