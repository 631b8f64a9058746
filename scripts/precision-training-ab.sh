#!/usr/bin/env bash
# Does bfloat16 autocast train generator v2 as float32 does? From one checkpoint of the long run,
# the same steps (same batches, same optimiser state) once in each precision; then the losses
# and seconds per step side by side in results/precision-training.json.
# Usage: bash scripts/precision-training-ab.sh CHECKPOINT STEPS
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt=$1; steps=$2
start=$(node -e "import('./dist/src/torch/index.js').then(({ loadSafetensors }) => console.log(JSON.parse(loadSafetensors(process.argv[1]).metadata.state).step))" "$ckpt")
for p in float32 bfloat16; do
  dir=runs/precision-ab/$p
  rm -rf "$dir" && mkdir -p "$dir" && cp "$ckpt" "$dir/checkpoint.safetensors"
  IMAGECOT_PRECISION=$p node dist/src/cli/main.js train generator --d-model 192 --layers 6 --heads 6 --steps 24000 \
    --stop-at $((start + steps)) --cache runs/cache/tokens.safetensors --cache-rows 262144 --run-dir "$dir" \
    --out "$dir/generator.safetensors" --results "$dir/train.json" --quiet
done
node scripts/precision-training-summary.mjs "bash scripts/precision-training-ab.sh $*" "$start"
