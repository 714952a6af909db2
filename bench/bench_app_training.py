"""Training in the app (TrainingJob: a child process that also samples and sends snapshots to the
server) against the bare Trainer, same corpus, settings and wall budget, one after the other.

Default settings (1-layer LSTM, 256 units, embedding 32, sequence 16, batch 128, lr 0.01, seed 0) on
the three plays. Targets: the app's throughput at least 85% of the bare trainer's, and validation
loss at most 1.65 nats/char after 60 s on every machine, bfloat16 or not (it prints which this
one computes in). Prints figures; asserts nothing.

    python bench/bench_app_training.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from lstm_core.data.corpora import load_corpus  # noqa: E402
from lstm_core.spec import ModelSpec  # noqa: E402
from lstm_core.training.train_worker import TrainRecipe  # noqa: E402
from lstm_core.training.trainer import TrainConfig, Trainer  # noqa: E402
from lstm_core.data.vocab import CharVocab  # noqa: E402
from lstm_core.training.character_runs import character_job  # noqa: E402
from lstm_core.training.states import FINISHED  # noqa: E402

TARGET_RATIO = 0.85
TARGET_VAL = 1.65


def make_trainer(text: str, vocab: CharVocab) -> Trainer:
    spec = ModelSpec(vocab_size=vocab.size)  # the engine's defaults: LSTM 1 x 256, embedding 32
    return Trainer(spec, vocab, vocab.ids(text), TrainConfig(), corpus_name="shakespeare3")


def bare(text: str, vocab: CharVocab, seconds: float) -> dict:
    trainer = make_trainer(text, vocab)
    result = trainer.run(seconds=seconds)
    p = result.progress
    return {"status": result.status, "steps": trainer.steps, "val": trainer.last_val_loss,
            "chars_per_s": p.chars_per_s, "elapsed": p.elapsed_s, "precision": trainer.precision}


def in_app(text: str, vocab: CharVocab, seconds: float, folder: str) -> dict:
    spec = ModelSpec(vocab_size=vocab.size)
    job = character_job(TrainRecipe.from_text(spec, vocab, text, TrainConfig(), "shakespeare3"), folder)
    job.start(seconds)
    job.join()
    view = job.view()
    if view.status != FINISHED:
        raise SystemExit(f"the job ended with status {view.status}: {view.message}")
    p = view.progress
    return {"status": view.status, "steps": view.steps, "val": view.history.val[-1],
            "chars_per_s": p.chars_per_s, "elapsed": p.elapsed_s, "samples": len(view.samples),
            "snapshots": len(view.snapshots)}


def line(name: str, r: dict) -> str:
    return (f"{name:<22} {r['steps']:>6,} steps in {r['elapsed']:5.1f} s  {r['chars_per_s']:>9,.0f} chars/s  "
            f"val {r['val']:.3f} nats/char ({r['val'] / math.log(2):.2f} bits)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="training time of each run (default 60)")
    args = parser.parse_args()
    corpus = load_corpus("shakespeare3")
    vocab = CharVocab.from_text(corpus.text)
    print(f"corpus: {corpus.label}, {len(corpus.text):,} characters, vocabulary {vocab.size}; "
          f"{args.seconds:g} s per run, default settings; cpus: {os.cpu_count()}")
    started = time.perf_counter()
    a = bare(corpus.text, vocab, args.seconds)
    print(line("(a) bare Trainer.run", a), flush=True)
    print(f"    the training step computes in {a['precision']} on this CPU (lstm_core/training/precision.py)")
    with tempfile.TemporaryDirectory() as folder:
        b = in_app(corpus.text, vocab, args.seconds, os.path.join(folder, "model"))
    print(line("(b) TrainingJob", b), flush=True)
    print(f"    the job kept {b['samples']} sample sets and {b['snapshots']} snapshots")
    ratio = b["chars_per_s"] / a["chars_per_s"]
    print(f"throughput ratio (b)/(a): {ratio:.1%}  (target >= {TARGET_RATIO:.0%}: "
          f"{'met' if ratio >= TARGET_RATIO else 'NOT met'})")
    print(f"validation loss in the app: {b['val']:.3f} nats/char  (target <= {TARGET_VAL} after 60 s: "
          f"{'met' if b['val'] <= TARGET_VAL else 'not met'}"
          f"{'' if args.seconds >= 60 else f'; this run had only {args.seconds:g} s'})")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
