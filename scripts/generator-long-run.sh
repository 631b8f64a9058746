#!/usr/bin/env bash
# Generator v2's long run (scripts/long-run.sh): each call trains until the step given, then
# leaves the current weights in models/generator.safetensors, the summary in
# results/train-generator.json and the checkpoint in checkpoints/generator-v2.safetensors. The
# token cache is rebuilt identically from the seed when missing.
# Usage: D=192 LAYERS=6 HEADS=6 STEPS=24000 bash scripts/generator-long-run.sh STOP_AT_STEP
set -euo pipefail
cd "$(dirname "$0")/.."
# the chosen size (results/generator-scaling.json) and the planned length (docs/compute-plan.md)
D=${D:?set D (width)}; LAYERS=${LAYERS:?}; HEADS=${HEADS:?}; STEPS=${STEPS:?}
exec bash scripts/long-run.sh generator-v2 models/generator-loss.png -- generator --d-model "$D" --layers "$LAYERS" --heads "$HEADS" --steps "$STEPS" --stop-at "$1" \
  --cache runs/cache/tokens.safetensors --cache-rows 262144 --out models/generator.safetensors --results results/train-generator.json
