"""Anatomy's memory test: how long training the three networks takes, and what they learn. Prints
figures; asserts nothing (the time depends on the machine, the accuracy on the time it had).

Target: the page's run ends within a minute of Train (its time budget is 50 s, TensorFlow's start
included), with the LSTM and GRU at 90% or more at N = 100 and the SimpleRNN near chance when all
600 steps were trained.

    .venv/bin/python bench/bench_memory_test.py            # the page's configuration, seed 0
    .venv/bin/python bench/bench_memory_test.py --seed 3
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_core.teaching import toy_memory as tm  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = replace(tm.ToyConfig(), seed=args.seed)
    result = tm.train(config)
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items())
    print(f"memory test: {result.steps} of {config.steps} steps in {result.seconds:.1f} s "
          f"(budget {config.time_budget_s:.0f} s{', cut short' if result.cut_short else ''}); {phases}")
    final = result.final
    if final is None:
        print("no checkpoint was measured")
        return
    for cell in config.cells:
        at = final.accuracy[cell]
        print(f"  {cell:5s} accuracy at N = 1: {at[1]:.0%}, at N = 100: {at[100]:.0%} (chance {config.chance:.0%})")


if __name__ == "__main__":
    main()
