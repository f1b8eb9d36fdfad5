#!/usr/bin/env bash
# A second training seed of each shipped recipe (issue 25): each command is the shipped card's
# command with `--seed 1` added and its own run folder; the split is the shipped one (split seed 0,
# checked against the shipped card afterwards by tests/test_seed_study.py). Resumable: run again
# after an interruption. Usage: bash tools/seed_runs.sh gemstones|scratch|transfer
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
case "${1:?gemstones, scratch or transfer}" in
  gemstones)
    exec $PY -m gemlib train --dataset gemstones --image-size 128 --epochs 300 --budget-minutes 55 \
      --batch-size 32 --lr 2e-3 --weight-decay 0.05 --patience 40 --seed 1 \
      --run-dir runs/gemstones_128_stem4_seed1 --out runs/gemstones_128_stem4_seed1/gemstones_seed1.keras --quiet ;;
  scratch)
    exec $PY -m gemlib train --dataset architecture --image-size 96 --batch-size 32 --lr 2e-3 \
      --weight-decay 0.05 --warmup-epochs 2 --patience 40 --flip horizontal --rotation 0.03 --zoom 0.2 \
      --ema-decay 0.998 --quiet --epochs 20 --seed 1 \
      --run-dir runs/arch_scratch96_seed1 --out runs/arch_scratch96_seed1/architecture_scratch_seed1.keras ;;
  transfer)
    exec $PY -m gemlib train --dataset architecture --image-size 96 --batch-size 32 --lr 2e-3 \
      --weight-decay 0.05 --warmup-epochs 2 --patience 40 --flip horizontal --rotation 0.03 --zoom 0.2 \
      --ema-decay 0.998 --quiet --epochs 16 --frozen-epochs 4 \
      --transfer-from docs/history/gemstones_round2.keras --backbone-lr-scale 1.0 --seed 1 \
      --run-dir runs/arch_transfer96_s1.0_seed1 --out runs/arch_transfer96_s1.0_seed1/architecture_transfer_seed1.keras ;;
  *) echo "usage: bash tools/seed_runs.sh gemstones|scratch|transfer" >&2; exit 2 ;;
esac
