#!/usr/bin/env bash
# Issue 13's lever, resumable across sessions in one command: the judges' paths of generator v2
# decoded with the shipped sampler (the flat penalty 2, its default; scripts/judge-paths.sh), and
# the shipped fine-tuned judge's held-out figures on them beside the same on scripts/paths-v2.sh's
# (Show-o's rule: the paths it trained on), both in this machine's precision: whether its process
# heads rank penalty-decoded paths worse, the paths PARM cuts on the test suite. In order:
#  1. paths: runs/paths-flat2 over a queue of its own, archived in checkpoints/paths-flat2.tar.gz;
#  2. judge-flat2, judge-v2: bench judge -> results/judge-held-out-flat2.json, -v2.json;
#  3. parm-val-flat2, parm-val-v2: bench parm-val at results/parm-val-survivors.json's survivor
#     budgets -> results/parm-val-survivors-flat2.json, -v2.json (the judge's answers cached in
#     runs/parm-val-cache-NAME).
# To stop it, TERM its process group (or scripts/with-queue.sh, while it collects), then archive.
# Usage: bash scripts/paths-flat2.sh            make what is missing, in order
#        bash scripts/paths-flat2.sh archive|restore|complete   the paths' (scripts/judge-paths.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/step-lib.sh
source scripts/step-lib.sh
[ $# -eq 0 ] || exec bash scripts/judge-paths.sh flat2 2 "$@"
require_dist paths-flat2
cli=(node dist/src/cli/main.js)
logs=runs/paths-flat2-bench
bash scripts/judge-paths.sh flat2 2 restore
# a complete set starts no queue; a stopped collection goes no further
bash scripts/judge-paths.sh flat2 2 complete 2>/dev/null || bash scripts/judge-paths.sh flat2 2
bash scripts/judge-paths.sh flat2 2 complete
bash scripts/paths-v2.sh restore
bash scripts/paths-v2.sh complete
for set in flat2 v2; do
  run_step paths-flat2 "$logs" "judge-$set" "results/judge-held-out-$set.json" \
    "${cli[@]}" bench judge --data "runs/paths-$set" --json --out "results/judge-held-out-$set.json"
done
for set in flat2 v2; do
  run_step paths-flat2 "$logs" "parm-val-$set" "results/parm-val-survivors-$set.json" \
    "${cli[@]}" bench parm-val --data "runs/paths-$set" --judge fine-tuned --cache "runs/parm-val-cache-$set" \
    --keep-from 0.5 --max-survivors 1,2,3,4,6,8,16 --json --out "results/parm-val-survivors-$set.json"
done
