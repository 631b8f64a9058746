#!/usr/bin/env bash
# Issue 14's runs and rows, resumable across sessions, in one command. Each step is skipped when
# its output is there; each underlying command resumes by itself after a kill. In order:
#  1. rank-1: round 1's ranking data, tag-balanced, judge-scored (for reward-guided DPO), over a
#     queue of its own (scripts/with-queue.sh): runs/rank-1;
#  2. dpo-val: lr x epochs x the unconditional anchor's weight (beta 0.1) chosen on held-out
#     training prompts -> results/dpo-val-anchor.json, and again on the judge-weighted pairs ->
#     results/dpo-val-rg.json (the lr list again, at the first's best epochs and anchor; beta's
#     own grid around the best, 0.03 to 1, is results/dpo-val-beta.json: 0.1 stays); the plain
#     trainings take the first's best candidate, the reward-guided one the second's
#     (results/dpo-val.json is plain DPO's grid, all below its start: README, What round 1's
#     validation found);
#  3. dpo: one round on rank-1 in runs/dpo-iter -> models/generator-dpo.safetensors
#     (results/train-dpo.json). It is also round 1 of:
#  4. dpo-iter: round 2 sampled with round 1's weights over the queue (its workers find them with
#     --generators runs/dpo-iter) -> models/generator-dpo-iter.safetensors (results/train-dpo-iter.json);
#  5. dpo-rg: reward-guided, 2 rounds: the fine-tuned judge chooses and weights the pairs
#     (src/align/pairs.ts) -> models/generator-dpo-rg.safetensors (results/train-dpo-rg.json);
#  6. rows at 4 images per prompt, seed 0, on the whole test suite, over a queue whose workers find
#     the aligned generators in models/: none with each generator, then PARM (fine-tuned judge,
#     N 20) with the iterative and the reward-guided one -> results/{dpo,dpo-iter,dpo-rg}-k4.json,
#     results/parm-dpo-iter-k4.json, results/parm-dpo-rg-k4.json. A row's file made under another
#     PARM rule than the shipped one (scripts/row-rule.mjs) stops the script, which says what to
#     move aside (this step's rows and step 8's);
#  7. best aligned generator, chosen on held-out training prompts (never the test suite): bench
#     heldout's detector yes rate of the iterative and the reward-guided generator (400 prompts x 2
#     images) -> results/heldout-dpo-iter.json, results/heldout-dpo-rg.json; the higher (the
#     iterative one on a tie) is the best;
#  8. PARM++ (fine-tuned judge, N 20) on the best aligned generator: PARM's paths from it, the
#     corrections from models/generator-sc.safetensors -> results/parm-plus-plus-dpo-k4.json;
#  9. memory: bench dpo-memory over 3 rounds -> results/dpo-memory.json;
# 10. table: results/rows-14.md and .json, every row against results/baseline-k4.json.
# What survives a fresh clone: the folders of the runs that span sessions, each in its archive
# (checkpoints/dpo-*.tar.gz, the `kept` table below), written by `archive` (at a stop: commit them)
# and restored by every run into a fresh folder only: round 1's ranking data without its PNGs (the
# records hold every sample's tokens; the PNGs are for looking at); the validations' kept scores
# (a scored candidate needs no weights); the two-round runs' rounds without their training
# checkpoints (a round in training starts again: minutes; its log, which a finished round's
# summary reads, is kept); the PARM rows' images. A resume from
# them needs the same absolute path (a ranking's meta.json records its generator's).
# Usage: bash scripts/dpo-14.sh          make what is missing, in order
#        bash scripts/dpo-14.sh status   each step: done or not (starts nothing)
#        bash scripts/dpo-14.sh archive  rewrite the archives from runs/ (at a stop, once the run is ended)
#        bash scripts/dpo-14.sh restore  each archive into its folder, where that folder is not there yet
#   DPO_STOP_AFTER=STEP stops after that step (a session's budget)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/step-lib.sh
source scripts/step-lib.sh
suite=suites/geneval-shapes.jsonl
rank=runs/rank-1
logs=runs/dpo-14
cli=(node dist/src/cli/main.js)
# round 1 (and every later round, as rank-1's balance.json records): at least 10,000 pairs, each
# tag at least a tenth; 4 pairs a prompt at most, so that half as many prompts are sampled as at 2
# round 1 was sampled with Show-o's re-masking rule, before the flat-background penalty became the
# sampler's default (its trainings are kept: README, Where DPO stands), hence --flat-penalty 0
rank_args=(--prompts 2500 --samples-per-prompt 8 --pairs-per-prompt 4 --pairs 10000 --min-tag-share 0.1 --seed 1 --judge fine-tuned --flat-penalty 0)
# lr from the generator's own at the end of its training (1e-4, cosine from 1e-3) up by 2x steps;
# the unconditional half held (weight 1 was too weak: results/dpo-val-anchor-probe.json; 30 beat 10
# at every lr and epochs the grid had reached, so 100 was added)
# shellcheck disable=SC2054 # the commas are the flags' lists
val_lr=1e-4,2e-4,4e-4
heldout_args=(--prompts 400 --images 2)
val_args=(--lr "$val_lr" --epochs 1,2 --beta 0.1 --uncond-anchor 10,30,100 "${heldout_args[@]}")
rows=(
  "row-dpo|results/dpo-k4.json|none|models/generator-dpo.safetensors"
  "row-dpo-iter|results/dpo-iter-k4.json|none|models/generator-dpo-iter.safetensors"
  "row-dpo-rg|results/dpo-rg-k4.json|none|models/generator-dpo-rg.safetensors"
  "row-parm-dpo-iter|results/parm-dpo-iter-k4.json|parm|models/generator-dpo-iter.safetensors"
  "row-parm-dpo-rg|results/parm-dpo-rg-k4.json|parm|models/generator-dpo-rg.safetensors"
)
field() { echo "$1" | cut -d'|' -f"$2"; }
# the folders kept across sessions: FOLDER|ARCHIVE|what to leave out (tar patterns, space-separated)
kept=(
  "$rank|checkpoints/dpo-rank-1.tar.gz|*.png"
  "runs/dpo-val|checkpoints/dpo-val.tar.gz|train *.safetensors"
  "runs/dpo-val-rg|checkpoints/dpo-val-rg.tar.gz|train *.safetensors"
  "runs/dpo-iter|checkpoints/dpo-iter.tar.gz|checkpoint.safetensors *.png"
  "runs/dpo-rg|checkpoints/dpo-rg.tar.gz|checkpoint.safetensors *.png"
  "runs/rows/parm-dpo-iter|checkpoints/dpo-rows-parm-dpo-iter.tar.gz|"
  "runs/rows/parm-dpo-rg|checkpoints/dpo-rows-parm-dpo-rg.tar.gz|"
  "runs/rows/parm-plus-plus-dpo|checkpoints/dpo-rows-parm-plus-plus-dpo.tar.gz|"
)

# best NAME FILE: the best candidate of a bench dpo-val results file, as train dpo's flags, into the
# array NAME; none when it does not beat its start on the held-out prompts (an aligned generator
# the validation says is worse is never trained).
best() {
  local line
  line=$(bash scripts/dpo-best-flags.sh "$2") ||
    { echo "dpo-14: no candidate of $2 to train (it needs one above its start): widen its grid (val_lr, val_args) and rm $2" >&2; exit 1; }
  read -r -a "$1" <<<"$line"
  echo "dpo-14: $2's best held-out candidate: $line"
}

done_file() { # STEP: the file whose presence means the step is done
  case "$1" in
    rank-1) echo "$rank/balance.json" ;;
    dpo-val) echo results/dpo-val-anchor.json ;;
    dpo-val-rg) echo results/dpo-val-rg.json ;;
    # the results file, written after the weights: a kill between the two reruns the (finished) step
    dpo) echo results/train-dpo.json ;;
    dpo-iter) echo results/train-dpo-iter.json ;;
    dpo-rg) echo results/train-dpo-rg.json ;;
    heldout-dpo-iter) echo results/heldout-dpo-iter.json ;;
    heldout-dpo-rg) echo results/heldout-dpo-rg.json ;;
    row-parm-plus-plus-dpo) echo results/parm-plus-plus-dpo-k4.json ;;
    memory) echo results/dpo-memory.json ;;
    table) echo results/rows-14.json ;;
    *) local r
       for r in "${rows[@]}"; do if [ "$(field "$r" 1)" = "$1" ]; then field "$r" 2; fi; done ;;
  esac
}
steps=(rank-1 dpo-val dpo-val-rg dpo dpo-iter dpo-rg)
for r in "${rows[@]}"; do steps+=("$(field "$r" 1)"); done
steps+=(heldout-dpo-iter heldout-dpo-rg row-parm-plus-plus-dpo memory table)

status() {
  local s f why
  for s in "${steps[@]}"; do
    f=$(done_file "$s")
    if [ ! -f "$f" ]; then printf '%-24s not yet (%s)\n' "$s" "$f"
    elif [[ "$s" == row-* ]] && ! why=$(same_rule "$s" "$f" 2>&1); then printf '%-24s %s\n' "$s" "${why#"dpo-14: $s: "}"
    else printf '%-24s done (%s)\n' "$s" "$f"; fi
  done
}

# step NAME CMD...: runs CMD unless done, logging to runs/dpo-14/NAME.log
step() {
  local name=$1
  shift
  run_step dpo-14 "$logs" "$name" "$(done_file "$name")" "$@"
  if [ "${DPO_STOP_AFTER:-}" = "$name" ]; then echo "dpo-14: stopping after $name (DPO_STOP_AFTER)"; exit 0; fi
}

# same_rule STEP FILE: 0 when FILE is missing or made under the shipped PARM rule (scripts/row-rule.mjs);
# else 1 with a line on stderr: a row made under another rule is another run's, not done
same_rule() {
  [ -f "$2" ] || return 0
  local why rc=0
  why=$(node scripts/row-rule.mjs "$2" 2>&1) || rc=$?
  case "$rc" in
    0) return 0 ;;
    3) echo "dpo-14: $1: $2 is another run's ($why): move it aside, with its folder runs/rows/${1#row-} and its archive checkpoints/dpo-rows-${1#row-}.tar.gz, to remake it" >&2 ;;
    *) echo "dpo-14: $1: the rule of $2 unchecked: $why" >&2 ;;
  esac
  return 1
}

# row NAME STRATEGY GENERATOR OUT: one row at 4 images per prompt over a queue whose workers find the aligned generators in models/
row() {
  local judge=()
  [ "$2" = none ] || judge=(--judge fine-tuned)
  same_rule "$1" "$4" || exit 1
  QUEUE_WORKER_ARGS="--generators models" step "$1" bash scripts/with-queue.sh "$1" eval --suite "$suite" --strategy "$2" \
    ${judge[@]+"${judge[@]}"} --generator "$3" --n 20 --images-per-prompt 4 --seed 0 --gen-dir "runs/rows/${1#row-}" --json --out "$4"
}

# the table of every row against the baseline: results/rows-14.md and .json
table() {
  local r ins=()
  for r in "${rows[@]}"; do ins+=("$(field "$r" 2)"); done
  ins+=(results/parm-plus-plus-dpo-k4.json)
  "${cli[@]}" results table --baseline results/baseline-k4.json "${ins[@]}" --out results/rows-14.md --json-out results/rows-14.json
}

# every later step and round would train on rank-1's data: its balance is checked on every run
# (data rank itself exits 1 when its stages end short of it; an older rank-1 may not have)
balanced() {
  node -e 'process.exit(require(process.argv[1]).met === true ? 0 : 1)' "./$rank/balance.json" ||
    { echo "dpo-14: $rank/balance.json: the tag balance was not met; raise --max-stages in rank_args (or --prompts, before any stage was added), then rm $rank/balance.json and run again" >&2; return 1; }
}

# Each archive into a fresh folder only (kept-folder.sh restore-fresh): a ranking's meta.json,
# pairs and stats are rewritten at every stage, and a round's files depend on each other.
restore() {
  local k
  for k in "${kept[@]}"; do bash scripts/kept-folder.sh restore-fresh "$(field "$k" 1)" "$(field "$k" 2)"; done
}

archive() {
  local k folder leave_out
  for k in "${kept[@]}"; do
    folder=$(field "$k" 1)
    read -r -a leave_out <<<"$(field "$k" 3)"
    # one that fails leaves its old archive and the others still go
    [ ! -d "$folder" ] || bash scripts/kept-folder.sh archive "$folder" "$(field "$k" 2)" ${leave_out[@]+"${leave_out[@]}"} ||
      echo "dpo-14: $(field "$k" 2) not rewritten" >&2
  done
}

# round 1's ranking data
rank_1() {
  bash scripts/with-queue.sh rank-1 data rank --out "$rank" "${rank_args[@]}"
}

# rounds_balanced FILE RUN_DIR: every round a train dpo results file records met its tag balance
# (train dpo trains on a round ranked short of it and records that in its summary; nothing may
# follow). Later rounds rank with rank-1's balance.json's settings, so that is where to raise them;
# a round's samples are kept (its stages grow).
rounds_balanced() {
  bash scripts/dpo-rounds-balanced.sh "$1" ||
    { echo "dpo-14: $1: a round's tag balance was not met (its data's balance.json): raise --max-stages in rank_args and rm $rank/balance.json (rank-1 is then balanced again to the new limit); rm -r $2/round-N/generator.safetensors $2/round-N/train for each short round N, and rm $1; run again" >&2; return 1; }
}

# two_rounds NAME TRAIN_ARGS...: a two-round run over the queue into runs/NAME, checked in its own
# step (a session that stops after it learns of a short round)
two_rounds() {
  local name=$1
  shift
  bash scripts/with-queue.sh "$name" train dpo --data "$rank" --rounds 2 --run-dir "runs/$name" "$@" \
    --out "models/generator-$name.safetensors" --results "results/train-$name.json" && rounds_balanced "results/train-$name.json" "runs/$name"
}

run() {
  require_dist dpo-14
  # without the self-correction generator PARM++ would correct with another model: not the row
  # asked for; checked first, not hours in
  [ -f models/generator-sc.safetensors ] || { echo "dpo-14: no models/generator-sc.safetensors: PARM++ needs it (issue 13: imagecot train self-correct)" >&2; exit 1; }
  restore
  step rank-1 rank_1
  balanced || exit 1
  # the reward-guided pairs are made of the judge's scores of rank-1's samples: a retrained judge
  # scores them again (data rank scores again only what another judge's weights scored, else it
  # only rewrites the pairs); a reward-guided validation of other scores is moved aside by hand
  "${cli[@]}" data rank --out "$rank" "${rank_args[@]}" --quiet
  local plain=() guided=()
  step dpo-val "${cli[@]}" bench dpo-val --data "$rank" --run-dir runs/dpo-val "${val_args[@]}" --quiet --out results/dpo-val-anchor.json
  best plain results/dpo-val-anchor.json # before the reward-guided validation's hour, which would follow a failed one
  # the reward-guided grid: the lr list again at plain DPO's chosen epochs, beta and anchor (its
  # pair weights have mean 1: the same loss at the same scale, reweighted; the whole grid again
  # would cost 1.5 h more)
  local rg_args=() i
  for ((i = 0; i < ${#plain[@]}; i += 2)); do
    if [ "${plain[i]}" = --lr ]; then rg_args+=(--lr "$val_lr"); else rg_args+=("${plain[i]}" "${plain[i + 1]}"); fi
  done
  step dpo-val-rg "${cli[@]}" bench dpo-val --data "$rank" --reward-guided --run-dir runs/dpo-val-rg "${rg_args[@]}" "${heldout_args[@]}" --quiet --out results/dpo-val-rg.json
  best guided results/dpo-val-rg.json
  step dpo "${cli[@]}" train dpo --data "$rank" --rounds 1 --run-dir runs/dpo-iter "${plain[@]}" --quiet \
    --out models/generator-dpo.safetensors --results results/train-dpo.json
  QUEUE_WORKER_ARGS="--generators runs/dpo-iter" step dpo-iter two_rounds dpo-iter "${plain[@]}"
  rounds_balanced results/train-dpo-iter.json runs/dpo-iter || exit 1
  QUEUE_WORKER_ARGS="--generators runs/dpo-rg" step dpo-rg two_rounds dpo-rg --reward-guided --judge fine-tuned "${guided[@]}"
  rounds_balanced results/train-dpo-rg.json runs/dpo-rg || exit 1
  local r
  for r in "${rows[@]}"; do row "$(field "$r" 1)" "$(field "$r" 3)" "$(field "$r" 4)" "$(field "$r" 2)"; done
  local g
  for g in dpo-iter dpo-rg; do
    step "heldout-$g" "${cli[@]}" bench heldout --generator "models/generator-$g.safetensors" --prompts 400 --images 2 --loss-prompts 0 --json --quiet --out "results/heldout-$g.json"
  done
  # shellcheck disable=SC2016 # JavaScript
  g=$(node -e 'const y = (f) => require("./" + f).heldout.yes_rate; const [a, b] = [y(process.argv[1]), y(process.argv[2])]; if (!(a >= 0 && b >= 0)) process.exit(1); console.log(b > a ? "dpo-rg" : "dpo-iter")' results/heldout-dpo-iter.json results/heldout-dpo-rg.json) ||
    { echo "dpo-14: no heldout.yes_rate in results/heldout-dpo-iter.json and results/heldout-dpo-rg.json" >&2; exit 1; }
  echo "dpo-14: the best aligned generator on held-out training prompts: $g"
  row row-parm-plus-plus-dpo parm++ "models/generator-$g.safetensors" results/parm-plus-plus-dpo-k4.json
  step memory "${cli[@]}" bench dpo-memory --rounds 3 --prompts 100 --json --out results/dpo-memory.json
  step table table
  cat results/rows-14.md
}

case "${1:-}" in
  "") run ;;
  status) status ;;
  archive) archive ;;
  restore) restore ;;
  *) echo "usage: dpo-14.sh [status|archive|restore]" >&2; exit 2 ;;
esac
