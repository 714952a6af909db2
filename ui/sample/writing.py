"""What the Sample page writes, computed once for the whole class when the model is pretrained.

A pretrained model (and each of its snapshots) never changes, and the same prime, settings and seed
always write the same text; so a class opening Sample on its defaults costs the server one
generation, not thirty. Models trained or uploaded in a session are computed for it alone: only
the pretrained entries' keys are shared between sessions (ui.models).
"""

from __future__ import annotations

import streamlit as st

from lstm_core.inference import sampling

# A generation of 2,000 characters keeps each step's odds (two float64 rows over the vocabulary):
# about 2 MB, so at most some 100 MB for the texts a class asks for most.
SHARED_TEXTS = 48
SHARED_COMPARISONS = 256  # text only


def generation(entry, step: int | None, net, vocab, prime: str, length: int, temperature: float,
               top_k: int | None, top_p: float | None, seed: int) -> sampling.Generation:
    """`sampling.generate` with these arguments, shared between sessions for a pretrained model."""
    if entry.origin == "pretrained":
        return _shared_generation(entry.key, step, prime, length, temperature, top_k, top_p, seed, net, vocab)
    return sampling.generate(net, vocab, prime, length, temperature, top_k, top_p, seed)


def comparison_text(entry, step: int | None, net, vocab, prime: str, length: int, temperature: float,
                    seed: int) -> str:
    """The text of `sampling.generate` at one temperature (no top-k or top-p), shared likewise."""
    if entry.origin == "pretrained":
        return _shared_text(entry.key, step, prime, length, temperature, seed, net, vocab)
    return sampling.generate(net, vocab, prime, length, temperature, seed=seed).text


# The underscored arguments are not part of the cache's key: the entry's key and the step name the
# weights, which for a pretrained model never change.
@st.cache_resource(max_entries=SHARED_TEXTS, show_spinner=False)
def _shared_generation(key: str, step, prime, length, temperature, top_k, top_p, seed, _net, _vocab):
    return sampling.generate(_net, _vocab, prime, length, temperature, top_k, top_p, seed)


@st.cache_resource(max_entries=SHARED_COMPARISONS, show_spinner=False)
def _shared_text(key: str, step, prime, length, temperature, seed, _net, _vocab) -> str:
    return sampling.generate(_net, _vocab, prime, length, temperature, seed=seed).text
