"""Our trainer against the textbook Keras recipe, same corpus and wall budget, side by side.

The textbook recipe (Chollet, Deep Learning with Python, "text generation with LSTM"): one-hot
40-character windows taken every 3 characters, one target per window, LSTM(128) + Dense softmax,
RMSprop lr 0.01, batch 128. Ours trains the same LSTM(128) with the same batch size, so only the
recipe differs: an embedding instead of one-hot, and every window predicts every next character.

Both are scored on the same held-out 10% in the textbook's own way: the loss of predicting a
character from the 40 characters before it (positions every 3 characters), and ours also in its
own way (256-character passages). Prints figures; asserts nothing.

    python bench/bench_trainer_vs_textbook.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from lstm_core.data.corpora import load_corpus, split_train_val
from lstm_core.inference.engine import trace
from lstm_core.spec import ModelSpec
from lstm_core.training.tf_runtime import keras
from lstm_core.training.trainer import TrainConfig, Trainer
from lstm_core.data.vocab import CharVocab

WINDOW, STRIDE = 40, 3


def held_out_windows(val: np.ndarray, limit: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    starts = np.arange(0, val.size - WINDOW - 1, STRIDE)[:limit]
    return val[starts[:, None] + np.arange(WINDOW)], val[starts + WINDOW]


def textbook(train: np.ndarray, val: np.ndarray, vocab_size: int, seconds: float) -> dict:
    k = keras()
    k.utils.set_random_seed(0)
    starts = np.arange(0, train.size - WINDOW - 1, STRIDE)
    x = np.zeros((starts.size, WINDOW, vocab_size), dtype=bool)
    x[np.arange(starts.size)[:, None], np.arange(WINDOW), train[starts[:, None] + np.arange(WINDOW)]] = True
    y = train[starts + WINDOW].astype(np.int32)
    model = k.Sequential([k.Input((WINDOW, vocab_size)), k.layers.LSTM(128),
                          k.layers.Dense(vocab_size, activation="softmax")])
    model.compile(optimizer=k.optimizers.RMSprop(0.01), loss="sparse_categorical_crossentropy")

    class Budget(k.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if time.perf_counter() - start >= seconds:
                self.model.stop_training = True

    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        model.fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=True, callbacks=[Budget()])
    elapsed = time.perf_counter() - start
    steps = int(model.optimizer.iterations.numpy())
    vx, vy = held_out_windows(val)
    onehot = np.zeros((vx.shape[0], WINDOW, vocab_size), dtype=bool)
    onehot[np.arange(vx.shape[0])[:, None], np.arange(WINDOW), vx] = True
    probs = model.predict(onehot, batch_size=512, verbose=0)
    loss = float(-np.mean(np.log(np.maximum(probs[np.arange(vy.size), vy], 1e-12))))
    return {"targets_per_s": steps * 128 / elapsed, "steps": steps, "val_40": loss}


def ours(ids: np.ndarray, vocab: CharVocab, val: np.ndarray, seconds: float) -> dict:
    spec = ModelSpec(vocab_size=vocab.size, units=128)
    trainer = Trainer(spec, vocab, ids, TrainConfig(batch_size=128))
    result = trainer.run(seconds=seconds)
    net = trainer.network()
    vx, vy = held_out_windows(val)
    losses = [-math.log(max(trace(net, w).probs[-1, t], 1e-12)) for w, t in zip(vx, vy)]
    p = result.progress
    return {"targets_per_s": p.chars_per_s, "steps": trainer.steps, "val_40": float(np.mean(losses)),
            "val_own": trainer.last_val_loss, "precision": trainer.precision}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    text = load_corpus("shakespeare3").text
    vocab = CharVocab.from_text(text)
    ids = vocab.ids(text)
    train, val = split_train_val(ids)
    print(f"corpus: three plays, {ids.size:,} chars, vocabulary {vocab.size}; budget {args.seconds:g} s each")
    book = textbook(train, val, vocab.size, args.seconds)
    mine = ours(ids, vocab, val, args.seconds)
    print(f"{'':34}{'textbook':>12}{'LSTM Lab':>12}")
    print(f"{'training targets per second':34}{book['targets_per_s']:>12,.0f}{mine['targets_per_s']:>12,.0f}")
    print(f"{'optimizer steps':34}{book['steps']:>12,}{mine['steps']:>12,}")
    print(f"{'training step computes in':34}{'float32':>12}{mine['precision']:>12}")
    print(f"{'held-out loss, 40-char context':34}{book['val_40']:>12.3f}{mine['val_40']:>12.3f}  nats/char")
    print(f"{'held-out loss, 256-char passages':34}{'':>12}{mine['val_own']:>12.3f}  nats/char")
    print(f"speed-up in targets/s: {mine['targets_per_s'] / book['targets_per_s']:.1f}x (target >= 30x); "
          f"lower held-out loss: {'yes' if mine['val_40'] < book['val_40'] else 'NO'}")


if __name__ == "__main__":
    main()
