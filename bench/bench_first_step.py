"""From Start to the first reported training step, by phase (issue #29).

Each run is started the way the Train page starts one (lstm_core.training.character_runs.character_job,
the default network and settings on the three plays, the server's memory budget) and stopped as soon
as its first step has reached this process. In the run's process the bench notes when its function
began, how long importing TensorFlow took, when the model was built, and when the first step began
and ended; here, when Start was pressed and when the first step's report arrived. Phases:

- process start: Start to the run's function beginning in its process (spawn, Python, the recipe);
- import: importing TensorFlow and Keras (the first call of tf_runtime.keras);
- build: the rest of building the model, to the report that it is built;
- look: what the run does before its first step (the untrained model's samples and weights);
- first step: the first training step, which TensorFlow traces;
- report: from the end of that step to its report reaching this process.

Runs are timed two ways, in turn so that both meet the same load on a shared machine: in the server's
spare process (lstm_core.training.spare), which has imported TensorFlow before Start (the bench waits
for that, as a student takes seconds to press Start; the spare that replaces it imports meanwhile), and
fresh, each in a process of its own, as before there was a spare. Prints each phase's best and median
over the runs of each way, and the total. Asserts nothing.

    python bench/bench_first_step.py [--runs 5] [--pause 3] [--only "in the spare" | --only fresh]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from functools import partial

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from lstm_core.data.corpora import load_corpus  # noqa: E402
from lstm_core.data.vocab import CharVocab  # noqa: E402
from lstm_core.spec import ModelSpec  # noqa: E402
from lstm_core.training import job as job_module  # noqa: E402
from lstm_core.training import launcher  # noqa: E402
from lstm_core.training import reports as r  # noqa: E402
from lstm_core.training.budget import budget_mb  # noqa: E402
from lstm_core.training.character_runs import character_job  # noqa: E402
from lstm_core.training.slots import SLOTS  # noqa: E402
from lstm_core.training.spare import Spares  # noqa: E402
from lstm_core.training.train_worker import TrainRecipe  # noqa: E402
from lstm_core.training.trainer import TrainConfig  # noqa: E402
from machine import cpu  # noqa: E402

MARKS = "bench marks: "
WAYS = ("in the spare", "fresh")
PHASES = ("process start", "import", "build", "look", "first step", "report", "total")


class _Marking:
    """The run's report queue, noting when the model was reported built."""

    def __init__(self, reports, marks: dict):
        self.reports, self.marks = reports, marks

    def put(self, report) -> None:
        if isinstance(report, r.Prepared):
            self.marks.setdefault("built", time.monotonic())
        self.reports.put(report)

    def close(self) -> None:
        self.reports.close()

    def join_thread(self) -> None:
        self.reports.join_thread()


def timed(target, folder, reports, stop, parent_pid) -> None:
    """The run's function, with its phases noted (time.monotonic is one clock for every process
    of the machine). Runs in the run's process: it is imported there as `bench_first_step`."""
    marks = {"began": time.monotonic()}
    from lstm_core.training import tf_runtime
    from lstm_core.training.trainer import Trainer

    keras, train_step = tf_runtime.keras, Trainer.train_step

    def timed_keras():
        if "imported" in marks:
            return keras()
        began = time.monotonic()
        module = keras()
        marks["imported"] = time.monotonic()
        marks["import"] = marks["imported"] - began
        return module

    def timed_step(trainer):
        if "step began" in marks:
            return train_step(trainer)
        marks["step began"] = time.monotonic()
        loss = train_step(trainer)
        marks["step ended"] = time.monotonic()
        reports.put(r.Note(MARKS + json.dumps(marks)))  # before the step's own report
        return loss

    tf_runtime.keras, Trainer.train_step = timed_keras, timed_step
    target(folder, _Marking(reports, marks), stop, parent_pid)


def one_run(recipe: TrainRecipe, folder: str, memory_mb: int) -> dict[str, float]:
    job = character_job(recipe, folder, memory_mb=memory_mb)
    runs = job.kind
    apply, seen = runs.apply, {}

    def noting(report):
        if isinstance(report, r.Stepped):
            seen.setdefault("reported", time.monotonic())
        apply(report)

    runs.apply = noting
    pressed = time.monotonic()
    job.start(60)
    while "reported" not in seen and job.is_alive:
        time.sleep(0.002)
    job.stop()
    job.join(120)
    notes = [n for n in job.view().notes if n.startswith(MARKS)]
    if "reported" not in seen or not notes:
        raise SystemExit(f"the run ended before its first step: {job.view().status} {job.view().message}")
    m = json.loads(notes[-1][len(MARKS):])
    import_s = m.get("import", 0.0)
    return {"process start": m["began"] - pressed, "import": import_s,
            "build": m["built"] - m["began"] - import_s, "look": m["step began"] - m["built"],
            "first step": m["step ended"] - m["step began"], "report": seen["reported"] - m["step ended"],
            "total": seen["reported"] - pressed}


def _probe_target(start_run):
    """start_run with the run's function wrapped in `timed`, imported by module name so that the
    run's process (spawned: it never runs this script) can import it too."""
    import bench_first_step

    def wrapped(work, stop, slots):
        work = replace(work, target=partial(bench_first_step.timed, work.target))
        return start_run(work, stop, slots)

    return wrapped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs to time in each way (default 5)")
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between runs (default 3)")
    parser.add_argument("--only", choices=WAYS, help="time runs in one way only (default: both, in turn)")
    args = parser.parse_args()
    corpus = load_corpus("shakespeare3")
    vocab = CharVocab.from_text(corpus.text)
    recipe = TrainRecipe.from_text(ModelSpec(vocab_size=vocab.size), vocab, corpus.text, TrainConfig(), "shakespeare3")
    ways = [args.only] if args.only else list(WAYS)
    print(f"{cpu()}; cpus: {os.cpu_count()}; load average {os.getloadavg()[0]:.2f}")
    print(f"Start to the first reported step: default network on {corpus.label}, {args.runs} runs "
          f"{' and '.join(ways)}{', in turn' if len(ways) > 1 else ''}")
    job_module.start_run = _probe_target(job_module.start_run)
    spare, none = Spares(), Spares()
    spare.keep()  # as the server's first page run does; `none` is never kept: its runs start processes of their own
    results: dict[str, list[dict]] = {way: [] for way in ways}
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.runs):
            for way in ways:
                time.sleep(args.pause)
                launcher.SPARES = spare if way == "in the spare" else none
                # A student presses Start seconds after the page opened, or after the last run began: by
                # then the spare has imported TensorFlow.
                spare.ready(180)
                res = one_run(recipe, os.path.join(folder, f"run{i}-{len(results[way])}-{way[-5:]}"),
                              budget_mb(SLOTS.limit))
                results[way].append(res)
                print(f"  {way:<16} " + "  ".join(f"{p} {res[p]:.2f}" for p in PHASES), flush=True)
    print(f"load average now {os.getloadavg()[0]:.2f}")
    print(f"{'seconds':<14}" + "".join(f"{way + ': best, median':>34}" for way in ways))
    for p in PHASES:
        cells = []
        for way in ways:
            values = [res[p] for res in results[way]]
            cells.append(f"{min(values):25.2f} {statistics.median(values):8.2f}")
        print(f"{p:<14}" + "".join(cells))


if __name__ == "__main__":
    main()
