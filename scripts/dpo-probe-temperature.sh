#!/usr/bin/env bash
# Issue 14's probe of why DPO on round 1's ranking data does not raise the held-out yes rate:
# every `bench dpo-val` candidate (results/dpo-val.json) scored below its start. The data was
# sampled at temperature 1.3 (for diversity), the yes rate is measured at the sampling every
# row uses (0.7): are the preferences off-policy? Two measures, held-out training prompts only:
#  1. the start and dpo-val's best candidate at temperature 1.3, the data's own sampling
#     (results/probe-t13-heldout-{start,best}.json): does DPO help where its pairs came from?
#  2. the same 500 training prompts ranked at 0.7 (runs/probe-t07, over a queue) against their
#     pairs at 1.3 (rank-1's pairs of those prompts, runs/probe-t13): DPO on each, scored at 0.7
#     (results/dpo-val-probe-t07.json, results/dpo-val-probe-t13.json); on the pairs at 0.7 also
#     with the chosen images' masked-token loss beside DPO's (RPO, --nll-weight 1).
# Resumable: each output is skipped when there; each command resumes itself. Session 18 ran 1 and
# the 0.7 arm of 2, then stopped it: the guidance was found to be the cause (README, What round
# 1's validation found), so the 1.3 arm's candidates were not trained.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=(node dist/src/cli/main.js)
heldout=(--prompts 400 --images 2 --seed 1) # dpo-val's held-out draw (its --seed is also the DPO runs')
grid=(--lr 1e-4,2e-4 --epochs 4 --beta 0.1)
declare -A nll=([t07]=0,1 [t13]=0)
[ -f results/dpo-val.json ] || { echo "probe: results/dpo-val.json first (bash scripts/dpo-14.sh)" >&2; exit 1; }
best=$(node -e 'console.log(require("./results/dpo-val.json").dpo_val.best.weights)')

for g in start best; do
  out=results/probe-t13-heldout-$g.json
  weights=models/generator.safetensors
  [ "$g" = start ] || weights=$best
  [ -f "$out" ] || "${cli[@]}" bench heldout --generator "$weights" --temperature 1.3 "${heldout[@]}" --loss-prompts 0 --quiet --json --out "$out" > /dev/null
done

[ -f runs/probe-t07/balance.json ] || [ -f runs/probe-t07/stats.json ] ||
  bash scripts/with-queue.sh probe-t07 data rank --out runs/probe-t07 --prompts 500 --samples-per-prompt 8 --pairs-per-prompt 4 --temperature 0.7 --seed 1
mkdir -p runs/probe-t13
# rank-1 drew its prompts with the same seed: its first 500 are these
node -e 'const fs = require("fs"); const keep = fs.readFileSync("runs/rank-1/pairs.jsonl", "utf8").split("\n").filter((l) => l && JSON.parse(l).prompt_index < 500); fs.writeFileSync("runs/probe-t13/pairs.jsonl.tmp", keep.join("\n") + "\n"); fs.renameSync("runs/probe-t13/pairs.jsonl.tmp", "runs/probe-t13/pairs.jsonl")'

for t in t07 t13; do
  [ -f "results/dpo-val-probe-$t.json" ] ||
    "${cli[@]}" bench dpo-val --data "runs/probe-$t" --run-dir "runs/dpo-val-probe-$t" "${grid[@]}" --nll-weight "${nll[$t]}" "${heldout[@]}" --quiet --out "results/dpo-val-probe-$t.json" > /dev/null
done
node -e '
const r = (f) => require("./results/" + f);
console.log("at 1.3: start", r("probe-t13-heldout-start.json").heldout.yes_rate, "best", r("probe-t13-heldout-best.json").heldout.yes_rate);
for (const t of ["t07", "t13"]) { const v = r(`dpo-val-probe-${t}.json`).dpo_val; console.log(t, v.pairs, "pairs; start", v.start.yes_rate, v.candidates.map((c) => `lr ${c.lr} nll ${c.nllWeight}: ${c.heldout.yes_rate}`).join(", ")); }'
