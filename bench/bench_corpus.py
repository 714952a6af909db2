"""Speed and memory of a corpus run (lstm_core/inference/corpus_run.py). Prints figures; asserts nothing.

The pretrained 2×256 LSTM over the held-out plays repeated to --chars characters, every quantity of
both layers counted with the built-in patterns, against trace() of 20,000 characters; then the time
to rank every unit of a layer for a pattern from the result. --big runs a 20 MB text once, in a
process of its own, for its peak memory (slow: minutes).

    .venv/bin/python bench/bench_corpus.py                    # 1,000,000 characters, best of 3
    .venv/bin/python bench/bench_corpus.py --chars 200000 --repeats 1
    .venv/bin/python bench/bench_corpus.py --big 20           # peak memory of a 20 MB text
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_inference import timed  # noqa: E402
from machine import cpu  # noqa: E402

from lstm_core.data.corpora import HELD_OUT_PLAYS, held_out_text  # noqa: E402
from lstm_core.inference import engine  # noqa: E402
from lstm_core.inference.corpus_run import CorpusOptions, run  # noqa: E402
from lstm_core.storage.persistence import load_model_folder  # noqa: E402


def machine() -> None:
    print(f"Machine: {cpu()}, {os.cpu_count()} cores, {platform.python_version()}, NumPy {np.__version__}")
    from threadpoolctl import threadpool_info

    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            print(f"BLAS: {pool.get('internal_api')} {pool.get('version')} ({pool.get('architecture')}), "
                  f"{pool.get('num_threads')} thread(s) in this process (engine.py keeps it to one)")
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"note: load average {load:.1f} on {os.cpu_count()} CPUs; timings are inflated by other processes")


def corpus(chars: int) -> str:
    plays = "\n\n".join(held_out_text(play) for play in HELD_OUT_PLAYS)
    return (plays * (chars // len(plays) + 1))[:chars]


def speed(args) -> None:
    loaded = load_model_folder("default")
    net, vocab = loaded.net, loaded.vocab
    text = corpus(args.chars)
    options = CorpusOptions(streams=args.streams)
    print(f"Model: {loaded.label}; text: the held-out plays repeated to {len(text):,} characters; "
          f"{options.streams} streams, warm-up {options.warmup}")
    ids = vocab.ids(text[:20_000])
    best, median = timed(lambda: engine.trace(net, ids), args.repeats)
    single = 20_000 / best
    print(f"trace, 20,000 chars (one stream):    {best:7.2f} s  (median {median:.2f})  {single:9,.0f} chars/s")
    result = None

    def whole():
        nonlocal result
        result = run(net, vocab, text, options=options)

    best, median = timed(whole, args.repeats)
    print(f"corpus run, {len(text):,} chars:   {best:7.2f} s  (median {median:.2f})  {len(text) / best:9,.0f} chars/s"
          f"  = {len(text) / best / single:.1f}x trace's speed; every quantity of both layers, "
          f"{len(result.patterns)} patterns: {', '.join(result.patterns)}")
    pattern = result.patterns[0]
    for quantity in ("c", "z_f"):
        best, median = timed(lambda: result.ranking(1, quantity, pattern), 20)
        print(f"ranking 256 units of layer 2's {quantity} for {pattern!r}: {best * 1e3:.2f} ms (median {median * 1e3:.2f})")
    sizes = sum(a.nbytes for name, a in result.to_arrays().items() if not name.endswith(("bits", "log_probs")))
    bits = sum(layer.bits.nbytes for layer in result.layers)
    print(f"counts {sizes / 2**20:.1f} MB whatever the length; Match's bits {bits / 2**20:.1f} MB, "
          f"log-probabilities {result.log_probs.nbytes / 2**20:.1f} MB for {len(text):,} characters")


def big(megabytes: int, bits: bool) -> None:
    loaded = load_model_folder("default")
    text = corpus(megabytes * 1_000_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    run(loaded.net, loaded.vocab, text, options=CorpusOptions(match_bits=bits))
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{len(text):,} characters, Match's bits {'kept' if bits else 'not kept'}: {took:.0f} s "
          f"({len(text) / took:,.0f} chars/s); peak memory {peak / 1024:,.0f} MB (text and model loaded: "
          f"{before / 1024:,.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--streams", type=int, default=CorpusOptions.streams)
    parser.add_argument("--big", type=int, metavar="MB", help="peak memory of one run over this many MB of text")
    parser.add_argument("--no-bits", action="store_true", help="with --big: keep no bits for Match")
    parser.add_argument("--alone", action="store_true", help=argparse.SUPPRESS)  # the --big run's own process
    args = parser.parse_args()
    if args.alone:
        big(args.big, not args.no_bits)
        return
    machine()
    if args.big:
        # A process of its own, so its peak memory is the run's and not an earlier one's.
        subprocess.run([sys.executable, __file__, "--alone", "--big", str(args.big)]
                       + (["--no-bits"] if args.no_bits else []), check=True)
        return
    speed(args)


if __name__ == "__main__":
    main()
