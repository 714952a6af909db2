"""`python -m lstm_core ...`: train, sample, look at gates and evaluate from a terminal or a script."""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

from lstm_core.data.corpora import CorpusError, load_corpus
from lstm_core.i18n import _
from lstm_core.storage.keras_import import open_model
from lstm_core.storage.persistence import LoadedModel, ModelFileError
from lstm_core.spec import CELLS, ModelSpec, SpecError
from lstm_core.training import budget
from lstm_core.training.outcome import diverged
from lstm_core.training.precision import resolve
from lstm_core.training.trainer import TrainConfig, Trainer, TrainError
from lstm_core.data.vocab import CharVocab

USER_ERRORS = (CorpusError, ModelFileError, SpecError, TrainError, ValueError, OSError)
# Exit codes: 2 for settings or files that cannot be used (argparse's own), 1 for a text that gives
# no result (empty, or no word the model knows) and for a training that diverged.
UNUSABLE = 1


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lstm_core", description="LSTM Lab's engine from the command line.")
    sub = p.add_subparsers(required=True, metavar="command")
    # MODEL and --vocab, shared by the commands that read a character model (_open). Not --json:
    # a parent's arguments come first, and --json is last in every command's help (with its own
    # words in train and sentiment).
    character_model = argparse.ArgumentParser(add_help=False)
    character_model.add_argument(
        "model", help="a model folder, a pretrained model ('default': Shakespeare, LSTM; 'gru' and 'rnn': its GRU "
                      "and SimpleRNN siblings; 'tang': Tang poems), or a model trained elsewhere, with --vocab: a .keras "
                      "file, or a PyTorch model exported to .onnx or its state_dict saved as .safetensors")
    character_model.add_argument(
        "--vocab", help="with a .keras, .onnx or .safetensors MODEL: its vocabulary (a JSON list of characters, a char -> id object, a Keras "
                        "Tokenizer JSON, one token per line, or the text it was trained on)")

    t = sub.add_parser("train", help="train a character model and save it as a model folder")
    t.add_argument("--corpus", default="shakespeare3",
                   help="a built-in text (shakespeare3, shakespeare-all, shakespeare-train, tang300, tang, songci; "
                        "tang300-trad and tang-trad in traditional characters), gutenberg:FILEID or a path")
    t.add_argument("--lowercase", action="store_true", help="lowercase the corpus first")
    t.add_argument("--arch", choices=CELLS, default="lstm")
    t.add_argument("--layers", type=int, default=1)
    t.add_argument("--units", type=int, default=256)
    t.add_argument("--embed", type=int, default=32)
    t.add_argument("--dropout", type=float, default=0.0)
    t.add_argument("--seq-len", type=int, default=TrainConfig.seq_len)
    t.add_argument("--batch", type=int, default=TrainConfig.batch_size)
    t.add_argument("--lr", type=float, default=TrainConfig.learning_rate)
    t.add_argument("--lr-final", type=float,
                   help="decay the learning rate exponentially to this value over the run")
    t.add_argument("--seed", type=int, default=0)
    budget = t.add_mutually_exclusive_group(required=True)
    budget.add_argument("--seconds", type=float)
    budget.add_argument("--steps", type=int)
    t.add_argument("--out", required=True, help="folder to write the model to")
    t.add_argument("--no-optimizer", action="store_true", help="leave the optimizer state out (a smaller folder)")
    t.add_argument("--report-every", type=float, default=5.0, help="seconds between progress lines")
    t.add_argument("--memory-mb", type=int,
                   help="the run's memory budget in MB (default: LSTM_LAB_TRAIN_MEMORY_MB, or half the machine's "
                        "memory); a run estimated over it is refused, and the process may not grow past it")
    t.add_argument("--json", action="store_true", help="progress lines go to stderr; stdout has only the result")
    t.set_defaults(func=_train)

    s = sub.add_parser("sample", help="generate text", parents=[character_model])
    s.add_argument("--prime", default="")
    s.add_argument("--length", type=int, default=300)
    s.add_argument("--temperature", type=float, default=0.8)
    s.add_argument("--top-k", type=int)
    s.add_argument("--top-p", type=float)
    s.add_argument("--seed", type=int)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_sample)

    g = sub.add_parser("gates", help="every gate and state for every character of a text", parents=[character_model])
    g.add_argument("--text", required=True)
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=_gates)

    e = sub.add_parser("evaluate", help="mean next-character loss over a text file", parents=[character_model])
    e.add_argument("--text-file", required=True)
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_evaluate)

    sn = sub.add_parser("sentiment", help="classify reviews as positive or negative, word by word")
    sn.add_argument("model", help="a sentiment model folder, 'default' for the pretrained classifier, or a word-level "
                                  "classifier trained elsewhere: a .keras file, with --vocab")
    sn.add_argument("--vocab", help="with a .keras MODEL: its vocabulary (Keras' IMDB word index, a Tokenizer's "
                                    "to_json(), one token per line, or a JSON list of words)")
    sn.add_argument("--index-from", type=int, default=3,
                    help="with an IMDB word index: what imdb.load_data added to each rank (default 3; 0: the "
                         "index's own ids, no start mark)")
    sn.add_argument("--maxlen", type=int, help="with a .keras MODEL: the length its reviews were padded or cut "
                                               "to (default: its input shape, or 200)")
    sn.add_argument("--padding", choices=("pre", "post"), default="pre", help="with a .keras MODEL: where "
                                                                               "pad_sequences put the zeros")
    sn.add_argument("--truncating", choices=("pre", "post"), default="pre",
                    help="with a .keras MODEL: where pad_sequences cut a long review")
    source = sn.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="one review")
    source.add_argument("--file", help="a UTF-8 text file with one review per line (prints one JSON object per line)")
    sn.add_argument("--json", action="store_true", help="print JSON (always the case with --file)")
    sn.add_argument("--vader", action="store_true", help="add VADER's compound score, the lexicon baseline")
    sn.set_defaults(func=_sentiment)
    return p


def _train(args) -> int:
    corpus = load_corpus(args.corpus)
    text = corpus.text.lower() if args.lowercase else corpus.text
    vocab = CharVocab.from_text(text)
    spec = ModelSpec(vocab_size=vocab.size, cell=args.arch, layers=args.layers, units=args.units,
                     embed_dim=args.embed, dropout=args.dropout)
    config = TrainConfig(seq_len=args.seq_len, batch_size=args.batch, learning_rate=args.lr, seed=args.seed)
    memory_mb = args.memory_mb if args.memory_mb is not None else budget.budget_mb(1)
    budget.check(spec, config.seq_len, config.batch_size, memory_mb,
                 mixed_precision=resolve(config.precision) != "float32", corpus_chars=len(text))
    budget.limit_this_process(memory_mb)
    trainer = Trainer(spec, vocab, vocab.ids(text), config, corpus_name=corpus.label)
    progress_out = sys.stderr if args.json else sys.stdout

    def on_progress(p):
        if args.lr_final is not None:
            done = p.elapsed_s / args.seconds if args.seconds else (p.step - start_step) / args.steps
            trainer.set_learning_rate(args.lr * (args.lr_final / args.lr) ** min(1.0, done))
        line(p)

    def line(p):
        val = "" if p.val_loss is None else f" val {p.val_loss:.3f} nats ({p.val_bits:.2f} bits)"
        print(f"step {p.step:>6}  epoch {p.epoch:6.2f}  train {p.train_loss:.3f}{val}  "
              f"{p.chars_per_s:,.0f} chars/s  lr {p.learning_rate:.2g}  {p.elapsed_s:5.0f}s", flush=True,
              file=progress_out)

    start_step = trainer.steps
    result = trainer.run(seconds=args.seconds, steps=args.steps, on_progress=on_progress,
                         progress_every_s=args.report_every, cool_down=args.lr_final is None)
    status, message = result.status, result.message
    if status != "diverged":
        why = diverged([h.train_loss for h in trainer.history], trainer.last_val_loss, vocab.size, args.lr)
        if why:
            status, message = "diverged", why
            print(f"error: {why}", file=sys.stderr)
    folder = trainer.save(Path(args.out), corpus={"name": corpus.name, "label": corpus.label,
                                                  "chars": len(text), "lowercase": args.lowercase},
                          include_optimizer=not args.no_optimizer)
    p = result.progress
    print(json.dumps({"status": status, "message": message, "out": str(folder),
                      "steps": trainer.steps, "val_loss_nats": trainer.last_val_loss,
                      "val_bits": None if trainer.last_val_loss is None else trainer.last_val_loss / math.log(2),
                      "chars_per_s": p.chars_per_s if p else 0.0, "seconds": trainer.train_seconds}))
    return UNUSABLE if status == "diverged" else 0


def _open(args) -> LoadedModel:
    """MODEL as a model folder or pretrained name, or a .keras file with --vocab (read into memory)."""
    with tempfile.TemporaryDirectory() as scratch:
        return open_model(args.model, args.vocab, scratch)


def _sample(args) -> int:
    from lstm_core.inference.sampling import generate

    model = _open(args)
    gen = generate(model.net, model.vocab, args.prime, args.length, temperature=args.temperature,
                   top_k=args.top_k, top_p=args.top_p, seed=args.seed)
    if args.json:
        print(json.dumps({"prime": gen.prime, "text": gen.text,
                          "unknown_prime_chars": list(gen.unknown_prime_chars)}, ensure_ascii=False))
    else:
        if gen.unknown_prime_chars:
            print(f"note: not in the model's vocabulary: {''.join(sorted(set(gen.unknown_prime_chars)))!r}",
                  file=sys.stderr)
        print(gen.prime + gen.text)
    return 0


def _gates(args) -> int:
    from lstm_core.inference.engine import trace

    model = _open(args)
    encoded = model.vocab.encode(args.text)
    tr = trace(model.net, encoded.ids)
    chars = list(args.text)
    out = {"chars": chars, "unknown_positions": list(encoded.unknown_positions),
           "vocab": [model.vocab.char_of(i) for i in range(model.vocab.size)],
           "layers": [{"cell": layer.cell, **{k: np.asarray(v).tolist() for k, v in layer.forward.items()}}
                      for layer in tr.layers],
           "probs": np.asarray(tr.probs).tolist()}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    for i, layer in enumerate(tr.layers, 1):
        stats = ", ".join(f"{k} mean {np.mean(v):+.3f}" for k, v in layer.forward.items())
        print(f"layer {i} ({layer.cell}): {stats}")
    return 0


def _evaluate(args) -> int:
    from lstm_core.inference.engine import trace

    model = _open(args)
    raw = Path(args.text_file).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CorpusError(f"{args.text_file} is not UTF-8 text.") from None
    encoded = model.vocab.encode(text)
    if encoded.ids.size < 2:
        raise CorpusError("The text needs at least two characters to predict one.")
    probs = trace(model.net, encoded.ids[:-1]).probs
    targets = encoded.ids[1:]
    loss = float(-np.mean(np.log(np.maximum(probs[np.arange(targets.size), targets], 1e-12))))
    result = {"loss_nats": loss, "loss_bits": loss / math.log(2), "perplexity": math.exp(loss),
              "chars": int(encoded.ids.size), "unknown_chars": len(encoded.unknown_positions)}
    print(json.dumps(result) if args.json else
          f"{loss:.4f} nats/char ({loss / math.log(2):.4f} bits/char, perplexity {math.exp(loss):.2f}) "
          f"over {encoded.ids.size:,} characters, {len(encoded.unknown_positions)} not in the vocabulary")
    return 0


def _opened_classifier(args):
    from .sentiment.framing import Framing
    from .sentiment.opened import ClassifierFileError, default_framing, open_classifier, read_model, read_vocabulary

    if args.vocab is None:
        raise ClassifierFileError(_("{file} needs its vocabulary: give it with --vocab FILE.").format(
            file=Path(args.model).name))
    net = read_model(Path(args.model).read_bytes(), Path(args.model).name)
    parsed = read_vocabulary(Path(args.vocab).read_bytes(), Path(args.vocab).name)
    framing = Framing(args.maxlen or default_framing(net).maxlen, args.padding, args.truncating)
    return open_classifier(net, parsed, framing, file=Path(args.model).name, vocabulary_file=Path(args.vocab).name,
                           index_from=args.index_from)


def _sentiment(args) -> int:
    from .sentiment.scoring import score
    from .sentiment.store import load_folder

    if args.model.lower().endswith(".keras"):
        model = _opened_classifier(args)
    elif args.vocab is not None:
        raise ValueError(_("--vocab goes with a .keras file; a sentiment model folder has its vocabulary already."))
    else:
        model = load_folder(args.model)

    def result(text: str) -> dict:
        shown = text if len(text) <= 200 else text[:200] + "…"
        out = {"text": shown, **score(model.net, model.vocab, text).to_dict()}
        if args.vader:
            from .sentiment.baseline import vader_compound

            out["vader_compound"] = vader_compound(text)
        return out

    if args.file is not None:
        raw = Path(args.file).read_bytes()
        try:
            lines = raw.decode("utf-8-sig").splitlines()
        except UnicodeDecodeError:
            raise ValueError(f"{args.file} is not UTF-8 text.") from None
        unusable = 0
        for number, line in enumerate(lines, 1):
            out = result(line)
            if out["reason"]:
                unusable += 1
                print(f"line {number}: {out['reason']}", file=sys.stderr)
            print(json.dumps(out, ensure_ascii=False), flush=True)
        return UNUSABLE if unusable else 0
    out = result(args.text)
    for note in out["notes"]:
        print(f"note: {note}", file=sys.stderr)
    if out["reason"]:
        print(f"error: {out['reason']}", file=sys.stderr)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return UNUSABLE if out["reason"] else 0
    if out["reason"]:
        return UNUSABLE
    print(f"{out['label']} (probability of positive {out['probability_positive']:.3f})")
    for step in out["trajectory"]:
        bar = "#" * round(step["p_positive"] * 40)
        print(f"  {step['word'][:20]:<20} {step['p_positive']:.3f} {bar}")
    if "vader_compound" in out:
        print(f"VADER compound: {out['vader_compound']:+.3f}")
    return 0
