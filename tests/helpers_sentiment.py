"""Sentiment trainings for the tests: a job from examples and settings, and a recipe with faults
that a spawned training process can unpickle (this folder is on its path)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_core.sentiment.runs import SentimentRecipe, sentiment_job
from lstm_core.training.job import Limits


def new_sentiment_job(examples, settings_list, out_dir, *, recipe=SentimentRecipe, comparison=False, faults=None,
                      **kwargs):
    """`sentiment_job` of these settings; `faults` go to FaultySentimentRecipe, Limits' fields to Limits."""
    limits = Limits(**{k: kwargs.pop(k) for k in list(kwargs) if k in Limits.__dataclass_fields__})
    made = (FaultySentimentRecipe(tuple(examples), tuple(settings_list), **faults) if faults
            else recipe(tuple(examples), tuple(settings_list)))
    return sentiment_job(made, out_dir, comparison=comparison, limits=limits, **kwargs)


@dataclass(frozen=True)
class FaultySentimentRecipe(SentimentRecipe):
    held_marker: str = ""  # the first step writes this file, then never returns: only ending the process ends it
    hog: bool = False  # the first step needs 4 GB more than any estimate said

    def trainer(self, settings, vocab):
        trainer = super().trainer(settings, vocab)
        step = trainer.train_step

        def faulty_step():
            if self.held_marker:
                Path(self.held_marker).write_text("held")
                while True:
                    time.sleep(1)
            if self.hog:
                np.ones(4 << 30, np.uint8)  # written: the run's memory limit must end it
            return step()

        trainer.train_step = faulty_step
        return trainer
