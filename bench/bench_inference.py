"""Speed of the NumPy engine. Prints figures; asserts nothing (timings depend on the machine).

Targets on a two-core machine: trace() of 2,000 characters (every gate of every layer) within
300 ms; generating 1,000 characters within 120 ms; step() at least 500x faster per character than
the textbook Keras way (predict on the last 40 characters for every new one).

    .venv/bin/python bench/bench_inference.py              # stand-in: 1 x LSTM(256), embedding 32, vocab 66
    .venv/bin/python bench/bench_inference.py --model DIR  # a saved model folder (lstm_core.storage.persistence)
    .venv/bin/python bench/bench_inference.py --model default tang --no-keras  # Shakespeare and Tang, one after the other
    .venv/bin/python bench/bench_inference.py --no-keras   # skip the Keras comparison (no TensorFlow)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

# Run as a script from anywhere: make the repository's lstm_core importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import cpu  # noqa: E402

from lstm_core.inference import engine  # noqa: E402

from lstm_core.inference import sampling  # noqa: E402
from lstm_core.inference.influence import influence  # noqa: E402
from lstm_core.inference.keras_config import from_keras_model  # noqa: E402
from lstm_core.inference.netweights import CellWeights, DenseHead, Network, RecurrentLayer  # noqa: E402
from lstm_core.data.vocab import CharVocab  # noqa: E402

WINDOW = 40


def timed(fn, repeats: int) -> tuple[float, float]:
    """(best, median) wall time in seconds; the best is the least disturbed by other processes."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def synthetic_vocab(size: int) -> CharVocab:
    # Sampling needs a vocabulary of the model's size; which characters it holds does not matter here.
    return CharVocab([chr(0x100 + i) for i in range(size - 1)])


def stand_in(use_keras: bool):
    """The pretrained model's shape with random weights: (network, vocabulary, Keras model or None, label)."""
    vocab, embed, units = 66, 32, 256
    label = f"stand-in 1 x LSTM({units}), embedding {embed}, vocabulary {vocab}"
    if use_keras:
        from lstm_core.training.keras_model import build_char_model
        from lstm_core.spec import ModelSpec

        model = build_char_model(ModelSpec(vocab_size=vocab, units=units, embed_dim=embed), seed=0)
        return from_keras_model(model), synthetic_vocab(vocab), model, label
    rng = np.random.default_rng(0)
    cell = CellWeights(rng.normal(0, 0.1, (embed, 4 * units)), rng.normal(0, 0.1, (units, 4 * units)),
                       np.zeros(4 * units))
    head = DenseHead(rng.normal(0, 0.1, (units, vocab)), np.zeros(vocab))
    net = Network(rng.normal(0, 0.1, (vocab, embed)), (RecurrentLayer("lstm", units, cell),), head)
    return net, synthetic_vocab(vocab), None, label


def from_folder(folder: str, use_keras: bool):
    from lstm_core.storage.persistence import load_keras_model, load_model_folder

    try:
        loaded = load_model_folder(folder)
    except ValueError as exc:  # persistence explains a bad folder in its message
        sys.exit(str(exc))
    net = loaded.net
    label = f"{loaded.label}: " + " + ".join(f"{la.cell.upper()}({la.units})" for la in net.layers) + \
            f", embedding {net.embed_dim}, vocabulary {net.vocab_size}"
    return net, loaded.vocab, load_keras_model(loaded.folder) if use_keras else None, label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", help="saved model folders, or pretrained ones ('default', 'gru', 'rnn', "
                                                   "'tang'), benched one after the other")
    parser.add_argument("--chars", type=int, default=2000, help="length of the traced text")
    parser.add_argument("--generate", type=int, default=1000, help="number of generated characters")
    parser.add_argument("--keras-calls", type=int, default=10, help="Keras calls timed per method")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras comparison")
    args = parser.parse_args()
    print(f"Machine: {cpu()}, {os.cpu_count()} cores, NumPy {np.__version__}")
    blas_threads()
    for name in args.model or [None]:
        bench(args, *(from_folder(name, not args.no_keras) if name else stand_in(not args.no_keras)))
        print()


def blas_threads() -> None:
    """Why the engine keeps BLAS to one thread: one step's product, a vector by a 256×1024 matrix."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 256)).astype(np.float32), rng.standard_normal((256, 1024)).astype(np.float32)
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            best, median = timed(lambda: [x @ w for _ in range(1000)], 5)
        print(f"1×256 by 256×1024, {threads} BLAS thread{'s' if threads > 1 else ' '}: {best * 1e3:6.1f} µs "
              f"(median {median * 1e3:.1f})")


def bench(args, net, vocab, model, what) -> None:
    rng = np.random.default_rng(0)
    ids = rng.integers(1, net.vocab_size, size=args.chars)
    fed = rng.integers(1, net.vocab_size, size=args.generate).tolist()  # stand-ins for sampled characters
    print(f"Model: {what}")
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if load > cpus:
        # Wall-clock figures on a shared machine: say so rather than let them pass for the engine's speed.
        print(f"note: load average {load:.1f} on {cpus} CPUs; timings are inflated by other processes")

    best, median = timed(lambda: engine.trace(net, ids), 7)
    print(f"trace, {args.chars:,} chars:       {best * 1e3:7.1f} ms  (median {median * 1e3:.1f})   "
          "target <= 300 ms for 2,000 (every gate of every layer)")

    start = engine.feed(net, ids[:WINDOW], engine.initial_state(net))[2]

    def steps():  # as generation steps: engine.Stepper, whose buffers step() would make anew each call
        stepper = engine.Stepper(net, start)
        for token in fed:
            stepper.step(token)

    best, median = timed(steps, 7)
    per_step = best / args.generate
    print(f"step x {args.generate:,}:              {best * 1e3:7.1f} ms  (median {median * 1e3:.1f}) "
          f"= {per_step * 1e6:.0f} µs/char")

    if net.head.activation == "softmax" and net.output_size == vocab.size:
        best, median = timed(lambda: sampling.generate(net, vocab, vocab.chars[0] * WINDOW, args.generate,
                                                       temperature=0.8, seed=0), 5)
        print(f"generate {args.generate:,} chars:      {best * 1e3:7.1f} ms  (median {median * 1e3:.1f})   "
              "prime of 40 + steps + temperature + sampling; target <= 120 ms")

    if net.head.activation == "softmax" and not net.bidirectional and args.chars >= 500:
        best, median = timed(lambda: influence(net, ids[:500], 498), 5)
        print(f"influence at 500 chars:    {best * 1e3:7.1f} ms  (median {median * 1e3:.1f})   "
              "Gates' Influence tab, every layer back-propagated; target < 1,000 ms")

    if model is None:
        print("Keras comparison skipped (--no-keras)")
        return
    window = ids[None, :WINDOW].astype("int32")
    for label, call in (("model.predict(window)", lambda: model.predict(window, verbose=0)),
                        ("model(window, training=False)", lambda: model(window, training=False))):
        call()  # the first call builds/traces the graph: not part of the per-character cost
        best, median = timed(call, args.keras_calls)
        print(f"Keras {label:30s} {best * 1e3:7.2f} ms/char (median {median * 1e3:.2f}) "
              f"-> step is {best / per_step:,.0f}x faster   target >= 500x")


if __name__ == "__main__":
    main()
