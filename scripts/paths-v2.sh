#!/usr/bin/env bash
# The judges' paths of generator v2, resumable across sessions and machines, in one command:
#   imagecot data paths --out runs/paths-v2 --prompts 2500 --paths-per-prompt 16 --rollout-share 0.25 --seed 11 --flat-penalty 0
# run over a queue of its own, with the workers for the precision (scripts/with-queue.sh). They were
# decoded with Show-o's re-masking rule (--flat-penalty 0), before the penalty was the sampler's default.
# A fresh clone starts from checkpoints/paths-v2.tar.gz, the chunks written so far (git keeps
# them compressed, about 150 kB a chunk; a chunk never changes once written).
# Usage: bash scripts/paths-v2.sh            collect what is missing, then archive
#        bash scripts/paths-v2.sh archive    rewrite the archive from runs/paths-v2 (at a stop)
#        bash scripts/paths-v2.sh restore    add the archive's chunks to runs/paths-v2
#        bash scripts/paths-v2.sh complete   exit 0 when every chunk is in, else 1 with a line
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/paths-v2
kept=checkpoints/paths-v2.tar.gz
prompts=2500
chunk=10 # data paths' default --chunk
case "${1:-}" in
  archive | restore) exec bash scripts/kept-folder.sh "$1" "$out" "$kept" ;;
  complete)
    have=$(find "$out" -name 'chunk-*.json' 2>/dev/null | wc -l || true)
    want=$(((prompts + chunk - 1) / chunk))
    [ "$have" -eq "$want" ] || { echo "paths-v2: $out holds $have of $want chunks: finish them with scripts/paths-v2.sh" >&2; exit 1; }
    exit 0 ;;
  "") ;;
  *) echo "usage: paths-v2.sh [archive|restore|complete]" >&2; exit 2 ;;
esac
bash scripts/kept-folder.sh restore "$out" "$kept"
bash scripts/with-queue.sh paths data paths --out "$out" --prompts "$prompts" --chunk "$chunk" --paths-per-prompt 16 --rollout-share 0.25 --seed 11 --flat-penalty 0
bash scripts/kept-folder.sh archive "$out" "$kept"
