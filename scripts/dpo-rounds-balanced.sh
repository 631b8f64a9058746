#!/usr/bin/env bash
# Exit 0 when every round a `train dpo` results file records met its tag balance, else 1 with the
# short rounds on stderr: train dpo trains on a round ranked short of it and only records that in
# its summary, so nothing may follow such a round. Used by dpo-14.sh and dpo-flat2.sh.
# Usage: bash scripts/dpo-rounds-balanced.sh results/train-....json
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: dpo-rounds-balanced.sh TRAIN_DPO_RESULTS.json" >&2; exit 2; }
[ -f "$1" ] || { echo "dpo-rounds-balanced: no $1" >&2; exit 2; }
# shellcheck disable=SC2016 # JavaScript
node -e 'const short = require(process.argv[1]).dpo.rounds.filter((r) => r.balance?.met !== true).map((r) => r.round); if (short.length) { console.error(`rounds ${short} short of the tag balance`); process.exit(1); }' "$(realpath "$1")"
