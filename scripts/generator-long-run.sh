#!/usr/bin/env bash
# Generator v2's long run, resumable across sessions and machines. Each call trains until the
# step given (or the end), then leaves the current weights in models/generator.safetensors, the
# summary in results/train-generator.json, and the checkpoint (weights + optimiser) in
# checkpoints/generator-v2.safetensors for git: a fresh clone carries on from there. The token
# cache is rebuilt identically from the seed when missing. A process stopped by its memory limit
# (exit 75, at a checkpoint) is restarted.
# Usage: bash scripts/generator-long-run.sh STOP_AT_STEP
set -euo pipefail
cd "$(dirname "$0")/.."
# the chosen size (results/generator-scaling.json) and the planned length (docs/compute-plan.md)
D=${D:?set D (width)}; LAYERS=${LAYERS:?}; HEADS=${HEADS:?}; STEPS=${STEPS:?}
run=runs/generator-v2
kept=checkpoints/generator-v2.safetensors
mkdir -p "$run" checkpoints
# a fresh machine: start from the committed checkpoint
if [ ! -f "$run/checkpoint.safetensors" ] && [ -f "$kept" ]; then cp "$kept" "$run/checkpoint.safetensors"; fi
train() {
  node dist/src/cli/main.js train generator --d-model "$D" --layers "$LAYERS" --heads "$HEADS" --steps "$STEPS" --stop-at "$1" \
    --cache runs/cache/tokens.safetensors --cache-rows 262144 --run-dir "$run" \
    --out models/generator.safetensors --results results/train-generator.json --quiet
}
# exit 75: the run passed its memory limit and stopped at a checkpoint; a fresh process goes on
status=75
while [ "$status" -eq 75 ]; do status=0; train "$1" || status=$?; done
[ "$status" -eq 0 ] || exit "$status"
cp "$run/checkpoint.safetensors" "$kept.tmp" && mv "$kept.tmp" "$kept"
cp "$run/loss.png" models/generator-loss.png
