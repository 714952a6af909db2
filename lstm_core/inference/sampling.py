"""Turning next-character distributions into text: temperature, top-k and nucleus (top-p) sampling.

Id 0 is the vocabulary's unknown slot ("a character the model never saw"); it is never sampled
unless nothing else is possible, since printing it would only show a placeholder glyph.
Distributions are adjusted in float64 so extreme temperatures still give probabilities summing to 1.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from lstm_core.i18n import _
from lstm_core.inference import engine
from lstm_core.inference.netweights import Network
from lstm_core.data.vocab import UNKNOWN_ID, CharVocab

# One generation at most this long: at ~110 µs a character (the default 2×256 LSTM, bench_inference.py) it
# stays around two seconds.
MAX_LENGTH = 20_000
# Temperatures below this are treated as 0, i.e. greedy: dividing by them would only overflow.
GREEDY_BELOW = 1e-6


@dataclass(frozen=True, eq=False)
class SampledStep:
    position: int  # 0-based position in the generated continuation
    index: int  # vocabulary id of the chosen character = its index in the probability arrays
    char: str
    logits: np.ndarray  # the model's scores for each id
    probs_used: np.ndarray  # the distribution actually sampled from

    # Computed on demand: most steps are never inspected, and generation is a per-character hot path.
    @cached_property
    def probs_model(self) -> np.ndarray:
        """The model's distribution, before temperature / top-k / top-p."""
        return engine.softmax(self.logits)

    @property
    def entropy_model(self) -> float:
        """Entropy (nats) of the model's own distribution."""
        return entropy(self.probs_model)

    @property
    def entropy_used(self) -> float:
        """Entropy (nats) of the distribution actually sampled from."""
        return entropy(self.probs_used)


@dataclass(frozen=True, eq=False)
class Generation:
    prime: str
    text: str  # the continuation only, without the prime
    steps: tuple[SampledStep, ...]
    unknown_prime_chars: tuple[str, ...]  # prime characters outside the vocabulary (read as the unknown slot)


def _finite(x: numbers.Real) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:  # an int too large for a float (10**400): no usable temperature either
        return False


def _validate(temperature: float, top_k: int | None, top_p: float | None) -> None:
    if not isinstance(temperature, numbers.Real) or not _finite(temperature) or temperature < 0:
        raise ValueError(_("temperature must be 0 (always the likeliest character) or positive, not {value}")
                         .format(value=repr(temperature)))
    if top_k is not None and (not isinstance(top_k, numbers.Integral) or isinstance(top_k, bool) or top_k < 0):
        raise ValueError(_("top_k must be a whole number of at least 0 (0 or None = no cut), not {value}")
                         .format(value=repr(top_k)))
    if top_p is not None and (not isinstance(top_p, numbers.Real) or not 0 < top_p <= 1):
        raise ValueError(_("top_p must be above 0 and at most 1 (1 or None = no cut), not {value}")
                         .format(value=repr(top_p)))


def adjust(logits: Sequence[float] | np.ndarray, temperature: float, top_k: int | None = None,
           top_p: float | None = None) -> np.ndarray:
    """The distribution to sample from: softmax(logits / temperature), cut by top-k then top-p.

    temperature 0 (or below GREEDY_BELOW) gives a one-hot vector on the likeliest id. top_k keeps
    the k likeliest ids; top_p keeps the smallest set of likeliest ids whose mass reaches p (at least
    one). Ties are broken towards the lower id, so top_k=1 and a tiny top_p both equal greedy.
    """
    _validate(temperature, top_k, top_p)
    z = np.array(logits, dtype=np.float64)
    if z.ndim != 1 or z.size == 0:
        raise ValueError("logits must be a non-empty one-dimensional array")
    if np.isnan(z).any() or np.isposinf(z).any():
        raise ValueError("logits must be numbers or -inf (impossible), not NaN or +inf")
    possible = z > -np.inf
    if not possible.any():
        raise ValueError("every logit is -inf: no token is possible")
    return _adjust_checked(z, temperature, top_k, top_p, mask_unknown=bool(possible[UNKNOWN_ID + 1:].any()))


def _adjust_checked(z: np.ndarray, temperature: float, top_k: int | None, top_p: float | None,
                    mask_unknown: bool = True) -> np.ndarray:
    """adjust() on a float64 copy of logits already known to be valid; it is the per-character hot path,
    so it does no checking and works in place. It calls the ufuncs' reduce directly: the same results as
    ndarray.max() and .sum() without their Python wrapper, a few µs of a character's ~100."""
    if mask_unknown:
        z[UNKNOWN_ID] = -np.inf
    if temperature < GREEDY_BELOW:
        p = np.zeros_like(z)
        p[int(np.argmax(z))] = 1.0
        return p
    z -= np.maximum.reduce(z)  # the largest becomes exp(0) = 1: no overflow whatever the temperature
    z *= 1.0 / temperature
    p = np.exp(z, out=z)
    p /= np.add.reduce(p)
    if top_k and top_k < p.size:
        p[np.argsort(-p, kind="stable")[top_k:]] = 0.0
    if top_p is not None and top_p < 1:
        order = np.argsort(-p, kind="stable")
        mass = np.cumsum(p[order]) / p.sum()
        p[order[int(np.searchsorted(mass, top_p)) + 1:]] = 0.0
    if top_k or (top_p is not None and top_p < 1):
        p /= p.sum()
    return p


def entropy(probs: np.ndarray) -> float:
    """Shannon entropy in nats (0·log 0 counts as 0)."""
    p = np.asarray(probs, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def entropy_curve(logits: Sequence[float] | np.ndarray, temperatures: Sequence[float] | np.ndarray) -> np.ndarray:
    """Entropy (nats) of adjust(logits, T) for each temperature T: 0 when greedy, log(V-1) when very hot."""
    return np.array([entropy(adjust(logits, float(t))) for t in np.asarray(temperatures, dtype=np.float64).ravel()])


def _draw(p: np.ndarray, u: float) -> int:
    """The id whose slice of the cumulative distribution holds u (uniform in [0, 1))."""
    cum = p.cumsum()
    i = int(cum.searchsorted(u * cum[-1], side="right"))
    if i >= p.size or p[i] == 0:  # only rounding at the very top of the range lands here
        i = int(np.flatnonzero(p)[-1])
    return i


def _start(net: Network, vocab: CharVocab, prime: str, length: int, temperature: float, top_k: int | None,
           top_p: float | None) -> tuple[np.ndarray, engine.State, tuple[str, ...]]:
    """Validate everything up front and read the prime: (logits, state, unknown prime chars)."""
    if net.head.activation != "softmax" or net.vocab_size != vocab.size or net.output_size != vocab.size:
        raise ValueError(_("this model reads {reads} and predicts {predicts} ids with {activation}, but the "
                           "vocabulary has {size} ids: they do not belong together")
                         .format(reads=net.vocab_size, predicts=net.output_size, activation=net.head.activation,
                                 size=vocab.size))
    length = operator.index(length)
    if not 0 <= length <= MAX_LENGTH:
        raise ValueError(_("length must be between 0 and {most:,} characters, not {length:,}")
                         .format(most=MAX_LENGTH, length=length))
    _validate(temperature, top_k, top_p)
    encoded = vocab.encode(prime)
    ids = encoded.ids
    if not prime:
        # Nothing to condition on: start as if after a line break (texts and lines begin there), or
        # after the vocabulary's first character when it has no "\n".
        ids = np.array([vocab.id_of("\n") if "\n" in vocab else 1])
    logits, _probs, state = engine.feed(net, ids, engine.initial_state(net))
    return logits, state, encoded.unknown_chars


def _steps(net: Network, vocab: CharVocab, logits: np.ndarray, state: engine.State, length: int,
           temperature: float, top_k: int | None, top_p: float | None,
           rng: np.random.Generator) -> Iterator[SampledStep]:
    uniforms = rng.random(length).tolist()  # one draw each, made up front: the loop is the hot path
    stepper = engine.Stepper(net, state)
    chars = [vocab.char_of(i) for i in range(vocab.size)]  # char_of's checks once per id, not per character
    index = None
    for position, u in enumerate(uniforms):
        if index is not None:
            # Read the previous choice only when another character is wanted: the last one needs no step.
            logits = stepper.step(index)
        used = _adjust_checked(logits.astype(np.float64), temperature, top_k, top_p)
        index = _draw(used, u)
        yield SampledStep(position, index, chars[index], logits, used)



def generate(net: Network, vocab: CharVocab, prime: str, length: int, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None, seed=None) -> Generation:
    """Continue `prime` by `length` characters. The same seed gives the same text.

    Characters of the prime outside the vocabulary are read as the unknown slot and reported in
    `unknown_prime_chars`. An empty prime starts from the zero state after reading a line break
    (or the vocabulary's first character when it has none); that character is not part of `text`.
    """
    logits, state, unknown = _start(net, vocab, prime, length, temperature, top_k, top_p)
    steps = tuple(_steps(net, vocab, logits, state, length, temperature, top_k, top_p,
                         np.random.default_rng(seed)))
    return Generation(prime, "".join(s.char for s in steps), steps, unknown)
