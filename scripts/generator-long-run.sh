#!/usr/bin/env bash
# A generator's long run (scripts/long-run.sh): each call trains until the step given, then
# leaves the current weights in OUT, the summary in RESULTS and the checkpoint in
# checkpoints/NAME.safetensors. The token cache is rebuilt identically from the seed when missing.
# Usage: D=192 LAYERS=6 HEADS=6 STEPS=24000 bash scripts/generator-long-run.sh STOP_AT_STEP
# (generator v2, shipped). A candidate that must not replace the shipped weights names its own:
# NAME=generator-v3 OUT=runs/generator-v3/generator.safetensors RESULTS=results/train-generator-v3.json
# CURVE=results/generator-v3-loss.png CACHE=runs/cache-v3/tokens.safetensors ROWS=524288 D=... bash ...
set -euo pipefail
cd "$(dirname "$0")/.."
# the chosen size (results/generator-scaling.json) and the planned length (docs/compute-plan.md)
D=${D:?set D (width)}; LAYERS=${LAYERS:?}; HEADS=${HEADS:?}; STEPS=${STEPS:?}
NAME=${NAME:-generator-v2}; OUT=${OUT:-models/generator.safetensors}; RESULTS=${RESULTS:-results/train-generator.json}
CURVE=${CURVE:-models/generator-loss.png}; CACHE=${CACHE:-runs/cache/tokens.safetensors}; ROWS=${ROWS:-262144}
exec bash scripts/long-run.sh "$NAME" "$CURVE" -- generator --d-model "$D" --layers "$LAYERS" --heads "$HEADS" --steps "$STEPS" --stop-at "$1" \
  --cache "$CACHE" --cache-rows "$ROWS" --out "$OUT" --results "$RESULTS"
