#!/usr/bin/env bash
# The scaling probe of issue "Generator v2": train each size for the same wall time (the
# cosine schedule ends at that time: steps = budget / measured seconds per step), then score
# each on held-out training prompts. Resumable: finished runs are skipped.
# Usage: bash scripts/generator-probe.sh BUDGET_SECONDS NAME:DMODEL:LAYERS:HEADS:SEC_PER_STEP ...
set -euo pipefail
cd "$(dirname "$0")/.."
budget=$1; shift
for spec in "$@"; do
  IFS=: read -r name d layers heads sps <<<"$spec"
  steps=$(node -e "console.log(Math.max(50, Math.round($budget / $sps / 50) * 50))")
  dir=runs/probe/$name
  mkdir -p "$dir"
  if [ ! -f "$dir/generator.safetensors" ]; then
    node dist/src/cli/main.js train generator --d-model "$d" --layers "$layers" --heads "$heads" --steps "$steps" \
      --cache runs/cache/tokens.safetensors --cache-rows 131072 --run-dir "$dir" --out "$dir/generator.safetensors" \
      --results "$dir/train.json" --quiet
  fi
  if [ ! -f "$dir/heldout.json" ]; then
    node dist/src/cli/main.js bench heldout --generator "$dir/generator.safetensors" --prompts 200 --images 2 --seed 0 \
      --json --quiet --out "$dir/heldout.json" >/dev/null
  fi
done
