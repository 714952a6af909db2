"""Training a pretrained character model for assets/: held-out plays, a learning history, one command.

    python -m lstm_core.training.pretrain --arch lstm --layers 2 --units 256 --steps 6000 \
        --out assets/models/shakespeare-lstm

Trains on every play but the three held out whole (corpora.HELD_OUT_PLAYS), with the usual 10%
validation tail, and writes a model folder whose meta.json records the loss on each held-out play.
Beside the model it keeps the model's learning history: weight snapshots at log-spaced steps from
the random start to the end (float16, history.npz) and its loss curve (history.json), so the pages
can show how it went from noise to words without training.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from lstm_core.data.corpora import BUILTIN, HELD_OUT_LABELS, HELD_OUT_PLAYS, POETRY, held_out_text, load_corpus
from lstm_core.data.vocab import CharVocab
from lstm_core.spec import ModelSpec
from lstm_core.storage.history import HISTORY_CURVE, HISTORY_WEIGHTS
from lstm_core.training.trainer import HistoryPoint, TrainConfig, Trainer


def snapshot_steps(total: int, count: int) -> list[int]:
    """`count` steps from 0 to `total`, log-spaced so the fast early changes get most of them."""
    if count < 2:
        return [total]
    raw = np.geomspace(1, total + 1, count - 1) - 1
    steps = sorted({0, *(int(round(s)) for s in raw), total})
    return steps


def learning_rate(step: int, total: int, base: float, cool_down: float) -> float:
    """Constant, then linearly to zero over the last `cool_down` share of the steps."""
    fraction = step / total
    if fraction <= 1 - cool_down:
        return base
    return base * max(0.0, 1.0 - fraction) / cool_down


def text_loss(model, vocab: CharVocab, text: str) -> float:
    """Loss (nats/char) on a text read whole, from the start, as one sequence."""
    ids = vocab.encode(text).ids.astype(np.int32)
    probs = model.predict(ids[None, :-1], verbose=0)[0]
    return float(-np.mean(np.log(np.maximum(probs[np.arange(ids.size - 1), ids[1:]], 1e-12))))


def held_out(model, vocab: CharVocab, corpus: str) -> dict:
    """meta.json's `held_out`: the loss on each held-out play, or on the held-out poems."""
    if corpus in POETRY:
        from lstm_core.data.poetry import heldout_split

        poems = [p for p in heldout_split(corpus)[1].split("\n\n") if p.strip()]
        # Each poem read from its start (they are independent), a few at a time: one sequence of
        # 350k characters would need its 350k × vocabulary probabilities in memory at once.
        nats, chars, batch = 0.0, 0, ""
        for poem in poems + [None]:
            if batch and (poem is None or len(batch) + len(poem) > 4096):
                predicted = len(batch) - 1
                nats += text_loss(model, vocab, batch) * predicted
                chars += predicted
                batch = ""
            if poem is not None:
                batch += "\n\n" + poem if batch else poem
        return {"poems": {"count": len(poems), "chars": chars}, "mean_loss_nats": nats / chars}
    plays = {p: {"label": HELD_OUT_LABELS[p], "loss_nats": text_loss(model, vocab, held_out_text(p))}
             for p in HELD_OUT_PLAYS}
    return {"plays": plays, "mean_loss_nats": float(np.mean([p["loss_nats"] for p in plays.values()]))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="shakespeare-train", choices=sorted(BUILTIN))
    ap.add_argument("--arch", default="lstm", choices=("lstm", "gru", "rnn"))
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--units", type=int, default=256)
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--cool-down", type=float, default=0.4, help="last share of the steps the rate falls to 0 over")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--snapshots", type=int, default=10, help="weight snapshots kept as the learning history")
    ap.add_argument("--snapshot-steps", help="the snapshots' steps, comma-separated (default: --snapshots log-spaced)")
    ap.add_argument("--max-chars", type=int, help="keep only the most frequent characters (the rest: unknown)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--label")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    corpus = load_corpus(args.corpus)
    vocab = CharVocab.from_text(corpus.text, args.max_chars)
    spec = ModelSpec(vocab_size=vocab.size, cell=args.arch, layers=args.layers, units=args.units,
                     embed_dim=args.embed, dropout=args.dropout)
    config = TrainConfig(seq_len=args.seq_len, batch_size=args.batch, learning_rate=args.lr, seed=args.seed,
                         precision="float32")
    trainer = Trainer(spec, vocab, vocab.ids(corpus.text), config, corpus_name=corpus.label)
    keep = ({int(v) for v in args.snapshot_steps.split(",")} | {args.steps} if args.snapshot_steps
            else set(snapshot_steps(args.steps, args.snapshots)))
    snapshots: dict[str, np.ndarray] = {}
    snapshot_val: dict[int, float] = {}
    curve: list[dict] = []
    start = time.perf_counter()
    window: list[float] = []
    for step in range(args.steps + 1):
        if step in keep:
            for i, w in enumerate(trainer.float_model().get_weights()):
                snapshots[f"step{step}/{i}"] = w.astype(np.float16)
            snapshot_val[step] = trainer.validate()
            print(f"snapshot at step {step}: val {snapshot_val[step]:.4f}", flush=True)
        if step == args.steps:
            break
        trainer._use_learning_rate(learning_rate(step, args.steps, args.lr, args.cool_down))
        loss = trainer.train_step()
        if not math.isfinite(loss):
            raise SystemExit(f"the loss became {loss} at step {step}: lower --lr")
        window.append(loss)
        if trainer.steps % 100 == 0:
            val = trainer.validate() if trainer.steps % 500 == 0 else None
            point = {"step": trainer.steps, "train_loss": float(np.mean(window)), "val_loss": val}
            curve.append(point)
            trainer.history.append(HistoryPoint(trainer.steps, point["train_loss"], val))
            window = []
            elapsed = time.perf_counter() - start
            print(f"step {trainer.steps:>6}  train {point['train_loss']:.3f}"
                  + ("" if val is None else f"  val {val:.3f}")
                  + f"  lr {trainer.learning_rate_now:.2g}  {elapsed:6.0f}s", flush=True)
    trainer.train_seconds = time.perf_counter() - start  # this loop steps the trainer itself, not run()
    trainer.validate()
    model = trainer.float_model()
    held = held_out(model, vocab, corpus.name)
    # float16 snapshots: how much the rounding costs, measured on the final weights.
    full = model.get_weights()
    model.set_weights([w.astype(np.float16).astype(np.float32) for w in full])
    float16_val = trainer.validate()
    model.set_weights(full)
    final_val = trainer.validate()
    label = args.label or f"{spec.cell_name} {spec.layers}×{spec.units} · pretrained on Shakespeare"
    out = Path(args.out)
    trainer.save(out, corpus={"name": corpus.name, "label": corpus.label, "chars": len(corpus.text),
                              "lowercase": False}, include_optimizer=False, label=label)
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["pretrained"] = True
    meta["train"]["cool_down"] = args.cool_down
    meta["held_out"] = held
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    np.savez_compressed(out / HISTORY_WEIGHTS, **snapshots)
    (out / HISTORY_CURVE).write_text(json.dumps({
        "snapshots": [{"step": s, "val_loss": snapshot_val[s]} for s in sorted(snapshot_val)],
        "curve": curve,
        "float16_val_change": float16_val - final_val,
    }, indent=1) + "\n")
    print(json.dumps({"out": str(out), "val_loss_nats": final_val, "held_out": held,
                      "mean_held_out": meta["held_out"]["mean_loss_nats"],
                      "float16_val_change": float16_val - final_val,
                      "seconds": time.perf_counter() - start}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
