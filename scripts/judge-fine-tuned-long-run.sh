#!/usr/bin/env bash
# The fine-tuned judge's long run (scripts/long-run.sh): from the shipped zero-shot judge (its
# architecture is kept), on generator v2's paths (scripts/paths-v2.sh; a fresh clone restores
# them from checkpoints/paths-v2.tar.gz), 6,000 steps (about 0.30 s each on a 2-core machine with
# bfloat16, about 30 minutes alone; 1.33 s without), the held-out ranking in the log every 500 steps.
# The prompt's own objects' readings weigh 1 in the loss (--reading-weight: of 0, 1 and 3, the
# held-out ranking and reasons were best at 1), and 6,000 steps beat 3,000 on every held-out
# figure (README, Judges). Each call trains until the step given; the finished run writes
# models/judge-fine-tuned.safetensors and results/train-judge-fine-tuned-reading-1-6000.json,
# and every stop leaves the checkpoint in checkpoints/judge-r1-6k.safetensors. The shipped judge
# is that one with its counting head added (imagecot train judge-counter: models/README.md).
# Usage: bash scripts/judge-fine-tuned-long-run.sh STOP_AT_STEP
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: judge-fine-tuned-long-run.sh STOP_AT_STEP" >&2; exit 2; }
bash scripts/paths-v2.sh restore
bash scripts/paths-v2.sh complete
exec bash scripts/long-run.sh judge-r1-6k models/judge-fine-tuned-loss.png -- judge --kind fine-tuned --data runs/paths-v2 \
  --init models/judge-zero-shot.safetensors --steps 6000 --validate-every 500 --reading-weight 1 --stop-at "$1" \
  --out models/judge-fine-tuned.safetensors --results results/train-judge-fine-tuned-reading-1-6000.json
