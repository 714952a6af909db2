#!/bin/sh
# Regenerates the pretrained SimpleRNN sibling of the default LSTM (`make assets`): about an hour on two
# idle CPU cores. Two SimpleRNN layers of 516 units: about the LSTM's parameter count (880 thousand), so the
# three cells are compared at one size. Everything else is the LSTM's recipe (shakespeare-lstm/regenerate.sh):
# the same plays, the same three held out, the same steps, learning rate, cool-down and seed.
set -e
cd "$(dirname "$0")/../../.."
"${PYTHON:-.venv/bin/python}" -m lstm_core.training.pretrain --corpus shakespeare-train --arch rnn --layers 2 \
    --units 516 --embed 64 --dropout 0.1 --seq-len 128 --batch 64 --lr 0.005 --cool-down 0.4 --seed 0 \
    --steps 3200 --snapshot-steps 0,3200 --out assets/models/shakespeare-rnn
