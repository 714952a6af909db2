#!/bin/sh
# Regenerates the pretrained character LSTM on 全唐诗 (`make assets`; needs `make poetry` first).
# Simplified characters; the held-out poems (lstm_core.data.poetry) are never trained on and
# their loss goes in meta.json. The 4,000 most frequent characters (99.3% of the text) get their
# own ids, the rarer ones share the unknown slot: a softmax over all 8,580 would double the cost of
# every step on the pages and in training. Sequences of 96 characters hold the longest common
# poem form (七言律诗, 64 characters) whole. About an hour and a half on two idle CPU cores.
set -e
cd "$(dirname "$0")/../../.."
"${PYTHON:-.venv/bin/python}" -m lstm_core.training.pretrain --corpus tang --arch lstm --layers 2 \
    --units 256 --embed 128 --dropout 0.1 --seq-len 96 --batch 64 --lr 0.005 --cool-down 0.4 --seed 0 \
    --max-chars 4000 --steps 1400 --snapshot-steps 0,1400 \
    --label "LSTM 2×256 · pretrained on Tang poems (全唐诗)" --out assets/models/tang-lstm
