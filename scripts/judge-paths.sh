#!/usr/bin/env bash
# The judges' paths of generator v2 under one re-masking rule, resumable across sessions and
# machines, in one command:
#   imagecot data paths --out runs/paths-NAME --prompts 2500 --paths-per-prompt 16 --rollout-share 0.25 --seed 11 --flat-penalty PENALTY
# run over a queue of its own, with the workers for the precision (scripts/with-queue.sh). Every set
# has the same prompts and seeds, so the same held-out tenth. A fresh clone starts from
# checkpoints/paths-NAME.tar.gz, the chunks written so far (git keeps them compressed, about 150 kB a
# chunk; a chunk never changes once written). scripts/paths-v2.sh and scripts/paths-flat2.sh name the sets.
# Usage: bash scripts/judge-paths.sh NAME PENALTY            collect what is missing, then archive
#        bash scripts/judge-paths.sh NAME PENALTY archive    rewrite the archive from runs/paths-NAME (at a stop)
#        bash scripts/judge-paths.sh NAME PENALTY restore    add the archive's chunks to runs/paths-NAME
#        bash scripts/judge-paths.sh NAME PENALTY complete   exit 0 when every chunk is in, else 1 with a line
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: judge-paths.sh NAME PENALTY [archive|restore|complete] (scripts/paths-NAME.sh: [archive|restore|complete])" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 3 ] && [ -n "$1" ] && [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage
name=$1; penalty=$2
out=runs/paths-$name
kept=checkpoints/paths-$name.tar.gz
prompts=2500
chunk=10 # data paths' default --chunk
case "${3:-}" in
  archive | restore) exec bash scripts/kept-folder.sh "$3" "$out" "$kept" ;;
  complete)
    have=$(find "$out" -name 'chunk-*.json' 2>/dev/null | wc -l || true)
    want=$(((prompts + chunk - 1) / chunk))
    [ "$have" -eq "$want" ] || { echo "paths-$name: $out holds $have of $want chunks: finish them with scripts/paths-$name.sh" >&2; exit 1; }
    exit 0 ;;
  "") ;;
  *) usage ;;
esac
bash scripts/kept-folder.sh restore "$out" "$kept"
bash scripts/with-queue.sh "paths-$name" data paths --out "$out" --prompts "$prompts" --chunk "$chunk" --paths-per-prompt 16 --rollout-share 0.25 --seed 11 --flat-penalty "$penalty"
bash scripts/kept-folder.sh archive "$out" "$kept"
