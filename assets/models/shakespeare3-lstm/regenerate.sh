#!/bin/sh
# Regenerates the pretrained default model: about 15 minutes on two CPU cores (`make assets`).
# One LSTM layer keeps generation and the Gates trace fast in NumPy; dropout and the decaying
# learning rate are what keep it from overfitting 350k characters of training text.
set -e
cd "$(dirname "$0")/../../.."
"${PYTHON:-.venv/bin/python}" -m lstm_core train --corpus shakespeare3 --arch lstm --layers 1 --units 256 \
    --embed 64 --dropout 0.3 --seq-len 128 --batch 64 --lr 0.01 --lr-final 0.0005 --seed 0 --steps 1600 \
    --no-optimizer --out assets/models/shakespeare3-lstm
