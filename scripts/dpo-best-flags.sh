#!/usr/bin/env bash
# The best candidate of a `bench dpo-val` results file, printed as `train dpo`'s flags; exit 1 (the
# reason on stderr) when it does not beat its start on the held-out prompts: an aligned generator
# the validation says is worse is never trained. Used by dpo-14.sh and dpo-flat2.sh.
# Usage: bash scripts/dpo-best-flags.sh results/dpo-val-....json
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: dpo-best-flags.sh DPO_VAL_RESULTS.json" >&2; exit 2; }
[ -f "$1" ] || { echo "dpo-best-flags: no $1" >&2; exit 2; }
# shellcheck disable=SC2016 # JavaScript
node -e 'const v = require(process.argv[1]).dpo_val, b = v.best; if (!(b.yes_rate > v.start.yes_rate)) { console.error(`the best candidate (${b.yes_rate}) does not beat the start (${v.start.yes_rate})`); process.exit(1); } console.log(`--lr ${b.lr} --epochs ${b.epochs} --beta ${b.beta} --nll-weight ${b.nllWeight} --cfg ${b.cfg} --uncond-anchor ${b.uncondAnchor} --masks ${b.masks ?? 1} --min-mask-ratio ${b.minMaskRatio ?? 0}`)' "$(realpath "$1")"
