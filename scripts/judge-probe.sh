#!/usr/bin/env bash
# The zero-shot judge's size probe (issue "Judges that see"): each configuration trained on
# renders of training prompts for the same wall time (steps = budget / measured seconds per
# step, data included), then scored on held-out renders (balanced accuracy, each near-miss
# kind). Resumable: finished runs are skipped. Collect with scripts/judge-probe-summary.mjs.
# Usage: bash scripts/judge-probe.sh BUDGET_SECONDS NAME:CHANNELS:DMODEL:LAYERS:SEC_PER_STEP:ANSWER ...
# (ANSWER: head or rules, train judge --answer)
set -euo pipefail
cd "$(dirname "$0")/.."
budget=$1; shift
for spec in "$@"; do
  IFS=: read -r name channels d layers sps answer <<<"$spec"
  steps=$(node -e "console.log(Math.max(200, Math.round($budget / $sps / 50) * 50))")
  dir=runs/judge-probe/$name
  mkdir -p "$dir"
  if [ ! -f "$dir/judge.safetensors" ]; then
    node dist/src/cli/main.js train judge --kind zero-shot --channels "$channels" --d-model "$d" --layers "$layers" --answer "${answer:-head}" \
      --steps "$steps" --run-dir "$dir" --out "$dir/judge.safetensors" --results "$dir/train.json" --quiet
  fi
done
