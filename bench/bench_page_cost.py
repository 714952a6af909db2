"""What one click costs the server: its CPU time for each interaction of the class-load bench, one
session alone on a server of its own, and per second while a tab watches a training.

A class's waiting time grows with these: thirty sessions share one interpreter, so the server's
CPU time per click, not the page's own wall time, is what bench_class_load.py's p95 is made of.
Prints figures (the median of a few repeats, the first visit left out); asserts nothing.

    python bench/bench_page_cost.py [--repeats 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_class_load import _server  # noqa: E402
from class_students import PRIME  # noqa: E402
from wire_client import WireSession  # noqa: E402

WATCH_S = 20.0


def _cpu(proc) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def _clicks(s: WireSession, i: int):
    """The class-load bench's interactions, named as it names them."""
    temperatures = []

    def temperature():
        temperatures[:] = temperatures or s.widget("Temperature")[1].options
        s.set("Temperature", temperatures[(3 * i) % len(temperatures)])

    return [("Gates", "open", lambda: s.go("Gates")),
            ("Gates", "read a text", lambda: s.set("Text to read", f"To be, or not to be, {i}: that is the question")),
            ("Gates", "show another unit", lambda: s.set("Unit (…", 10 + i)),
            ("Sample", "open", lambda: s.go("Sample")),
            ("Sample", "prime", lambda: s.set(PRIME, f"ROMEO {i}\n")),
            ("Sample", "temperature", temperature),
            ("Sample", "generate", lambda: s.click("Generate")),
            ("Sentiment", "open", lambda: s.go("Sentiment")),
            ("Sentiment", "review", lambda: s.set("Review", f"A fine film {i}, but the acting was dull"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=4, help="rounds of every interaction (default 4)")
    args = parser.parse_args()
    costs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with _server() as (base, proc, _data):
        s = WireSession(base, timeout=120)
        s.open()
        for i in range(args.repeats + 1):
            for page, what, click in _clicks(s, i):
                cpu, wall = _cpu(proc), time.perf_counter()
                click()
                if i:  # the first round fills caches and imports modules
                    costs.setdefault((page, what), []).append((_cpu(proc) - cpu, time.perf_counter() - wall))
        print(f"{'page':<10} {'interaction':<18} {'server CPU ms':>13} {'wall ms':>8}   (median of {args.repeats})")
        for (page, what), seen in costs.items():
            print(f"{page:<10} {what:<18} {statistics.median(c for c, _ in seen) * 1e3:13.0f} "
                  f"{statistics.median(w for _, w in seen) * 1e3:8.0f}")
        s.go("Train")
        s.set("Units per layer", "8")
        s.click("Start")
        s.wait(10)  # past the start: the live view reruns once a second
        cpu, wall = _cpu(proc), time.perf_counter()
        s.wait(WATCH_S)
        print(f"a tab watching its training: {(_cpu(proc) - cpu) / (time.perf_counter() - wall) * 1e3:.0f} ms of "
              "server CPU per second")
        s.close()


if __name__ == "__main__":
    main()
