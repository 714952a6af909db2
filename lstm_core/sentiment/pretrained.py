"""The recipe of the pretrained sentiment classifier in assets/models/sentiment-lstm.

Regenerate it (a minute or two on two CPU cores) with

    python -m lstm_core.sentiment.pretrained --out assets/models/sentiment-lstm

It trains the default TrainSettings on all four built-in domains (training split only, plus the
synthetic negation phrases), keeps the epoch with the best validation accuracy, measures the
test accuracy per domain next to VADER's, and writes all of it, with this command, to meta.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from lstm_core.i18n import N_

from .data import DOMAINS, NEUTRAL_MARGIN, domain_label, load_builtin
from .store import DEFAULT_MODEL
from .training import SentimentTrainer, TrainSettings

COMMAND = "python -m lstm_core.sentiment.pretrained --out assets/models/sentiment-lstm"
LABEL = N_("LSTM · movie and product reviews, tweets, editorials")  # stored in English, translated where shown


def build(out: Path, settings: TrainSettings = TrainSettings(), log=print) -> dict:
    started = time.perf_counter()
    examples = load_builtin(tuple(DOMAINS), NEUTRAL_MARGIN)
    trainer = SentimentTrainer(examples, settings)
    log(f"{len(trainer.train_ids):,} training reviews ({trainer.phrases:,} of them negation phrases), "
        f"{len(trainer.val_ids):,} validation; vocabulary {trainer.vocab.size:,} words; "
        f"{trainer.parameters:,} parameters; {trainer.steps_per_epoch} steps per epoch")

    def epoch(p):
        log(f"epoch {p.epoch}: train loss {p.train_loss:.3f}, train accuracy {p.train_acc:.3f}, "
            f"validation accuracy {p.val_acc:.3f}  ({time.perf_counter() - started:.0f} s)")

    result = trainer.run(on_epoch=epoch)
    if result.status != "finished":
        raise SystemExit(f"training did not finish: {result.status} {result.message}")
    evaluation = trainer.evaluate("test")
    trainer.save(out, evaluation, label=LABEL, regenerate=COMMAND)
    summary = {"out": str(out), "best_epoch": trainer.best_epoch, "seconds": round(time.perf_counter() - started, 1),
               "test_accuracy": evaluation.accuracy, "vader_test_accuracy": evaluation.vader_accuracy,
               "test_examples": evaluation.n}
    for d in evaluation.accuracy:
        log(f"test {domain_label(d) if d != 'all' else 'all domains':<18} n={evaluation.n[d]:>5}  "
            f"LSTM {evaluation.accuracy[d]:.3f}  VADER {evaluation.vader_accuracy[d]:.3f}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_core.sentiment.pretrained",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(DEFAULT_MODEL), help="the model folder to write")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    summary = build(Path(args.out), TrainSettings(seed=args.seed), log=lambda line: print(line, flush=True))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
