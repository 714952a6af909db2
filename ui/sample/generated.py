"""What a Sample generation depends on, and what it wrote: kept in session state as ``sample_result``.

These classes live in a module, not in the page script: Streamlit runs a page's script afresh on every
rerun, so a class defined there is a new class each time, and a dataclass is never equal to one of
another class; every rerun after Generate would then have said the settings had changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from lstm_core.data.vocab import CharVocab
from lstm_core.inference import sampling


@dataclass(frozen=True)
class Settings:
    """Everything a generation depends on; comparing two tells whether the text is out of date."""

    model_key: str
    step: int | None  # training step of the snapshot used; None for the model itself
    prime: str  # as typed
    length: int
    temperature: float  # 0 = greedy
    top_k: int  # 0 = off
    top_p: float  # 1.0 = off
    seed: int


@dataclass
class Result:
    settings: Settings
    model_label: str
    vocab: CharVocab
    prime: str  # what the model read: the prime after truncation
    generation: sampling.Generation
    comparison: dict[float, str]
    compare_length: int
