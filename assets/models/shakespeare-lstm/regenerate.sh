#!/bin/sh
# Regenerates the pretrained default model and its learning history (`make assets`): about an hour
# on two idle CPU cores (no native bfloat16; it trains in float32 either way, so it is the same
# model on every machine).
# Two LSTM layers of 256 units: the largest that keeps generation and the Gates trace interactive
# in NumPy (bench/bench_inference.py). It reads every play but Othello, Twelfth Night and Henry V
# (held out whole; their losses go in meta.json); the learning rate stays at 0.005 for the first
# 60% of the steps and falls linearly to zero over the rest. The snapshots are the log-spaced
# steps of the learning history.
set -e
cd "$(dirname "$0")/../../.."
"${PYTHON:-.venv/bin/python}" -m lstm_core.training.pretrain --corpus shakespeare-train --arch lstm --layers 2 \
    --units 256 --embed 64 --dropout 0.1 --seq-len 128 --batch 64 --lr 0.005 --cool-down 0.4 --seed 0 \
    --steps 3200 --snapshot-steps 0,2,8,25,76,229,681,2022,3200 --out assets/models/shakespeare-lstm
