#!/usr/bin/env bash
# The zero-shot judge's long run (scripts/long-run.sh), at the size and design the probe chose
# (results/judge-scaling.json): each call trains until the step given; the finished run writes
# models/judge-zero-shot.safetensors and results/train-judge-zero-shot.json, and every stop
# leaves the checkpoint in checkpoints/judge-zero-shot.safetensors.
# Usage: bash scripts/judge-long-run.sh STOP_AT_STEP
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/long-run.sh judge-zero-shot models/judge-zero-shot-loss.png -- judge --kind zero-shot --answer rules --steps 9000 --validate-every 1000 --stop-at "$1" \
  --out models/judge-zero-shot.safetensors --results results/train-judge-zero-shot.json
