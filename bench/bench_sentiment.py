"""The sentiment classifier: test accuracy per domain next to VADER, and scoring speed. Prints figures;
asserts nothing (accuracy depends on the trained model, timings on the machine).

Targets (from the issue): at least 80% test accuracy on movie reviews, above VADER on the test split
of every domain; scoring a typed review, word-by-word trajectory included, under 20 ms.

    .venv/bin/python bench/bench_sentiment.py               # the pretrained model (assets/models/sentiment-lstm)
    .venv/bin/python bench/bench_sentiment.py --model DIR   # another sentiment model folder
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_core.sentiment import data, scoring, store  # noqa: E402
from lstm_core.sentiment.training import evaluate, majority_labels  # noqa: E402

TYPED = [
    "A beautiful, moving film with a wonderful cast. I loved every minute of it.",
    "A dull, lifeless mess: the acting is awful and the plot makes no sense.",
    "This movie was not good at all.",
    "The plot is thin and predictable, but the acting is superb.",
    "Oh great, another two hours of my life I will never get back.",
]
SCORING_TARGET_MS = 20.0


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f} ms"


def accuracy(model) -> None:
    examples = data.load_builtin(model.meta.domains or tuple(data.DOMAINS), model.meta.margin)
    started = time.perf_counter()
    ev = evaluate(model.net, model.vocab, examples, "test", tie_label=majority_labels(examples))
    print(f"Test accuracy ({ev.n['all']:,} test reviews, neutral margin ±{model.meta.margin:g}, "
          f"evaluated in NumPy in {time.perf_counter() - started:.1f} s):")
    print(f"  {'domain':<18}{'reviews':>8}{'LSTM':>9}{'VADER':>9}   verdict")
    for d, acc in ev.accuracy.items():
        vader = ev.vader_accuracy[d]
        label = "all domains" if d == "all" else data.domain_label(d)
        verdict = "above VADER" if acc > vader else "BELOW VADER"
        if d == "movies":
            verdict += ", at least 80%" if acc >= 0.8 else ", BELOW 80%"
        print(f"  {label:<18}{ev.n[d]:>8,}{acc:>9.1%}{vader:>9.1%}   {verdict}")
    (tn, fp), (fn, tp) = ev.confusion
    print(f"  confusion (all): {tp:,} true positive, {tn:,} true negative, {fp:,} false positive, "
          f"{fn:,} false negative")


def speed(model, repeats: int) -> None:
    net, vocab = model.net, model.vocab
    examples = data.select(data.load_builtin(model.meta.domains or tuple(data.DOMAINS)), "test")
    rng = np.random.default_rng(0)
    sample = [examples[i].text for i in rng.choice(len(examples), size=min(300, len(examples)), replace=False)]
    texts = TYPED + sample
    for text in texts[:20]:  # warm-up: tokenizer regexes, NumPy
        scoring.score(net, vocab, text)
    per_review, per_word, occl = [], [], []
    for _ in range(repeats):
        for text in texts:
            start = time.perf_counter()
            verdict = scoring.score(net, vocab, text)
            elapsed = time.perf_counter() - start
            per_review.append(elapsed)
            per_word.append(elapsed / max(1, len(verdict.reading.tokens)))
    for text in texts:
        verdict = scoring.score(net, vocab, text)
        start = time.perf_counter()
        scoring.occlusion(net, verdict.reading.ids, full=verdict.prob)
        occl.append(time.perf_counter() - start)
    words = [len(scoring.read(t, vocab).tokens) for t in texts]
    q = statistics.quantiles(per_review, n=100)
    print(f"\nScoring a typed review (tokenize + trace every gate + trajectory), {len(texts)} reviews of "
          f"{min(words)}-{max(words)} words (median {statistics.median(words):.0f}), x{repeats}:")
    print(f"  median {ms(statistics.median(per_review))}   p95 {ms(q[94])}   max {ms(max(per_review))}   "
          f"({statistics.median(per_word) * 1e6:.0f} µs per word)   target < {SCORING_TARGET_MS:.0f} ms: "
          f"{'met' if q[94] * 1000 < SCORING_TARGET_MS else 'NOT MET'} (p95)")
    long_text = " ".join(sample)[:scoring.MAX_CHARS * 20]
    start = time.perf_counter()
    verdict = scoring.score(net, vocab, long_text)
    long_s = time.perf_counter() - start
    start = time.perf_counter()
    scoring.occlusion(net, verdict.reading.ids, full=verdict.prob)
    long_occ = time.perf_counter() - start
    print(f"  a {len(long_text):,}-character paste (read: its first {len(verdict.reading.tokens)} words): "
          f"{ms(long_s)}")
    print(f"Word importance (occlusion: the review again without each word, batched): median "
          f"{ms(statistics.median(occl))}, max {ms(max(occl))}; for {len(verdict.reading.tokens)} words "
          f"{ms(long_occ)}")
    print(f"TensorFlow imported: {'tensorflow' in sys.modules}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default", help="a sentiment model folder, or 'default'")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    model = store.load_folder(args.model)
    print(f"Model: {model.label} ({model.folder}); loaded in {time.perf_counter() - started:.2f} s without TensorFlow")
    print(f"  {model.spec.arch_name}, {model.spec.units} units, embedding {model.spec.embed_dim}, "
          f"{model.vocab.size:,} words; trained on {', '.join(model.meta.domains)}")
    accuracy(model)
    speed(model, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
