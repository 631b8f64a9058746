#!/usr/bin/env bash
# Issue 14's last lever, resumable across sessions in one command: round 1's ranking data sampled
# with the shipped sampler (the flat-background penalty, 2 nats), where every aligned generator of
# scripts/dpo-14.sh was trained on samples drawn with Show-o's rule (--flat-penalty 0). The same
# prompts, seed, balance and judge as round 1 (dpo-14.sh's rank_args, the penalty aside), then a
# held-out validation of the best settings round 1's validation found (lr 2e-4, 1 epoch, anchor 30:
# results/dpo-val-anchor.json) and their neighbours. Training and rows follow only if a candidate
# beats the start: DPO only where the held-out prompts say it helps (scripts/dpo-best-flags.sh).
#  1. rank: runs/rank-flat2 over a queue of its own (scripts/with-queue.sh);
#  2. val: bench dpo-val -> results/dpo-val-flat2.json;
#  3. dpo: one round at the best candidate's flags in runs/dpo-iter-flat2 ->
#     models/generator-dpo-flat2.safetensors (results/train-dpo-flat2.json);
#  4. row-dpo: the test suite at 4 images per prompt, seed 0, no verifier -> results/dpo-flat2-k4.json;
#  5. dpo-iter: round 2 ranked by round 1's weights (the shipped sampler, as runs/rank-flat2 records)
#     over the queue -> models/generator-dpo-iter-flat2.safetensors (results/train-dpo-iter-flat2.json);
#  6. heldout-dpo-iter: its held-out yes rate on the validation's prompts and images (seed 1) ->
#     results/heldout-dpo-iter-flat2.json;
#  7. row-dpo-iter -> results/dpo-iter-flat2-k4.json;
#  8. results/rows-flat2.md and .json: the rows made so far against results/baseline-k4.json (after
#     each row, and at a DPO_STOP_AFTER stop; seconds).
# What survives a fresh clone: the folders in `kept` below, each in its archive (written by
# `archive` at a stop: commit them), restored into fresh folders only. A resume from them needs the
# same absolute path (a ranking's meta.json records its generator's).
# Usage: bash scripts/dpo-flat2.sh           make what is missing, in order
#        bash scripts/dpo-flat2.sh archive   rewrite the archives from runs/ (at a stop, once the run is ended)
#        bash scripts/dpo-flat2.sh restore   each archive into its folder, where that folder is not there yet
#   DPO_STOP_AFTER=STEP stops after that step (a session's budget)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/step-lib.sh
source scripts/step-lib.sh
rank=runs/rank-flat2
val=runs/dpo-val-flat2
logs=runs/dpo-flat2
iter=runs/dpo-iter-flat2
suite=suites/geneval-shapes.jsonl
cli=(node dist/src/cli/main.js)
rank_args=(--prompts 2500 --samples-per-prompt 8 --pairs-per-prompt 4 --pairs 10000 --min-tag-share 0.1 --seed 1 --judge fine-tuned)
# shellcheck disable=SC2054 # the commas are the flags' lists
val_args=(--lr 1e-4,2e-4 --epochs 1,2 --beta 0.1 --uncond-anchor 30 --prompts 400 --images 2)
# FOLDER|ARCHIVE|what to leave out (as dpo-14.sh's `kept`)
kept=(
  "$rank|checkpoints/dpo-rank-flat2.tar.gz|*.png"
  "$val|checkpoints/dpo-val-flat2.tar.gz|train *.safetensors"
  "$iter|checkpoints/dpo-iter-flat2.tar.gz|checkpoint.safetensors *.png"
)
field() { echo "$1" | cut -d'|' -f"$2"; }

# step NAME DONE_FILE CMD...: runs CMD unless DONE_FILE is there, logging to runs/dpo-flat2/NAME.log
step() {
  local name=$1
  run_step dpo-flat2 "$logs" "$@"
  # the table first, so that a stop after a row leaves it whole
  if [ "${DPO_STOP_AFTER:-}" = "$name" ]; then table; echo "dpo-flat2: stopping after $name (DPO_STOP_AFTER)"; exit 0; fi
}

# row NAME GENERATOR OUT: the test suite at 4 images per prompt, no verifier, over a queue whose
# workers find the aligned generators in models/ (as dpo-14.sh's rows)
row() {
  QUEUE_WORKER_ARGS="--generators models" step "$1" "$3" bash scripts/with-queue.sh "$1-flat2" eval --suite "$suite" --strategy none --generator "$2" \
    --images-per-prompt 4 --seed 0 --gen-dir "runs/rows/${1#row-}-flat2" --json --out "$3"
}

# table: the rows made so far against the baseline, rewritten when a row is newer than it
table() {
  local ins=() f stale=""
  for f in results/dpo-flat2-k4.json results/dpo-iter-flat2-k4.json; do
    [ -f "$f" ] || continue
    ins+=("$f")
    [ results/rows-flat2.json -nt "$f" ] || stale=1
  done
  [ -n "$stale" ] || return 0
  "${cli[@]}" results table --baseline results/baseline-k4.json "${ins[@]}" --out results/rows-flat2.md --json-out results/rows-flat2.json
}

restore() {
  local k
  for k in "${kept[@]}"; do bash scripts/kept-folder.sh restore-fresh "$(field "$k" 1)" "$(field "$k" 2)"; done
}

case "${1:-}" in
  "")
    require_dist dpo-flat2
    restore
    step rank "$rank/balance.json" bash scripts/with-queue.sh rank-flat2 data rank --out "$rank" "${rank_args[@]}"
    node -e 'process.exit(require(process.argv[1]).met === true ? 0 : 1)' "./$rank/balance.json" ||
      { echo "dpo-flat2: $rank/balance.json: the tag balance was not met" >&2; exit 1; }
    step val results/dpo-val-flat2.json "${cli[@]}" bench dpo-val --data "$rank" --run-dir "$val" "${val_args[@]}" --quiet --out results/dpo-val-flat2.json
    flags=$(bash scripts/dpo-best-flags.sh results/dpo-val-flat2.json) || { echo "dpo-flat2: no candidate of results/dpo-val-flat2.json to train" >&2; exit 1; }
    read -r -a best <<<"$flags"
    echo "dpo-flat2: the best held-out candidate: $flags"
    step dpo results/train-dpo-flat2.json "${cli[@]}" train dpo --data "$rank" --rounds 1 --run-dir "$iter" "${best[@]}" --quiet \
      --out models/generator-dpo-flat2.safetensors --results results/train-dpo-flat2.json
    row row-dpo models/generator-dpo-flat2.safetensors results/dpo-flat2-k4.json
    table
    # round 2 starts from round 1's weights in $iter, the row's: restored from the archive on a fresh
    # clone, never trained again there (train dpo would, and in another precision they would differ)
    [ -f "$iter/round-1/generator.safetensors" ] ||
      { echo "dpo-flat2: no $iter/round-1/generator.safetensors: restore checkpoints/dpo-iter-flat2.tar.gz (bash scripts/dpo-flat2.sh restore)" >&2; exit 1; }
    QUEUE_WORKER_ARGS="--generators $iter" step dpo-iter results/train-dpo-iter-flat2.json bash scripts/with-queue.sh dpo-iter-flat2 \
      train dpo --data "$rank" --rounds 2 --run-dir "$iter" "${best[@]}" --out models/generator-dpo-iter-flat2.safetensors --results results/train-dpo-iter-flat2.json
    bash scripts/dpo-rounds-balanced.sh results/train-dpo-iter-flat2.json ||
      { echo "dpo-flat2: results/train-dpo-iter-flat2.json: round 2 is short of the tag balance: nothing follows it (dpo-14.sh's rounds_balanced says how to rank more)" >&2; exit 1; }
    step heldout-dpo-iter results/heldout-dpo-iter-flat2.json "${cli[@]}" bench heldout --generator models/generator-dpo-iter-flat2.safetensors \
      --prompts 400 --images 2 --seed 1 --loss-prompts 0 --json --quiet --out results/heldout-dpo-iter-flat2.json
    row row-dpo-iter models/generator-dpo-iter-flat2.safetensors results/dpo-iter-flat2-k4.json
    table
    cat results/rows-flat2.md ;;
  archive)
    for k in "${kept[@]}"; do
      read -r -a leave_out <<<"$(field "$k" 3)"
      # one that fails leaves its old archive and the others still go (as dpo-14.sh's)
      [ ! -d "$(field "$k" 1)" ] || bash scripts/kept-folder.sh archive "$(field "$k" 1)" "$(field "$k" 2)" "${leave_out[@]}" ||
        echo "dpo-flat2: $(field "$k" 2) not rewritten" >&2
    done ;;
  restore) restore ;;
  *) echo "usage: dpo-flat2.sh [archive|restore]" >&2; exit 2 ;;
esac
