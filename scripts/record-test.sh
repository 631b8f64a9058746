#!/usr/bin/env bash
# The test suite's recording of 32 paths per image (1,280 images, about 1.47 M sequence passes),
# resumable across sessions and machines, in one command. It is the one recording that the
# replayed rows (best-of-20 and PARM read its first 20 paths) and the frontier (N up to 32) read:
#   imagecot eval --suite suites/geneval-shapes.jsonl --strategy none --n 32 --images-per-prompt 4 --seed 0 --replay runs/record
# run over a queue of its own, with the workers for the precision (scripts/with-queue.sh). The
# replay of `none` it ends with is path 0 of every image, the baseline's own image: its summary
# (results/replay-none-k4.json) must equal results/baseline-k4.json.
# A fresh clone starts from checkpoints/record.tar.gz, the recordings made so far.
# Usage: bash scripts/record-test.sh            record what is missing, then archive
#        bash scripts/record-test.sh archive    rewrite the archive from runs/record (at a stop)
#        bash scripts/record-test.sh restore    add the archive's recordings to runs/record
#        bash scripts/record-test.sh complete   exit 0 when every image is recorded, else 1 with a line
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/record
kept=checkpoints/record.tar.gz
suite=suites/geneval-shapes.jsonl
k=4
paths=32
# the judges' verdicts beside the recordings (*.json) have their own archive (rows-13.sh): a copy
# here is restored first and, once stale, shadows that archive's (a restore adds only what is missing)
not_kept='*.json'
case "${1:-}" in
  archive) exec bash scripts/kept-folder.sh archive "$out" "$kept" "$not_kept" ;;
  restore) exec bash scripts/kept-folder.sh restore "$out" "$kept" ;;
  complete)
    # a recording counts only where the shipped sampler would keep it (its settings, $paths paths): one
    # decoded with another default is made again by the next run, never read as done
    have=0
    [ -d "$out" ] && have=$(node --input-type=module -e '
      import { readdirSync } from "node:fs";
      import { keptRecording } from "./dist/src/eval/replay.js";
      import { DEFAULT_SAMPLE } from "./dist/src/generator/sampler.js";
      const [dir, paths] = process.argv.slice(1);
      let n = 0;
      for (const f of readdirSync(dir, { withFileTypes: true })) if (f.isFile() && f.name.endsWith(".bin") && keptRecording(`${dir}/${f.name}`, +paths, DEFAULT_SAMPLE)) n++;
      console.log(n);' "$out" "$paths")
    want=$(($(grep -c . "$suite") * k))
    [ "$have" -eq "$want" ] || { echo "record-test: $out holds $have of $want recordings made with the shipped sampler: finish them with scripts/record-test.sh" >&2; exit 1; }
    exit 0 ;;
  "") ;;
  *) echo "usage: record-test.sh [archive|restore|complete]" >&2; exit 2 ;;
esac
bash scripts/kept-folder.sh restore "$out" "$kept"
bash scripts/with-queue.sh record eval --suite "$suite" --strategy none --n "$paths" --images-per-prompt "$k" --seed 0 --replay "$out" --json --out results/replay-none-k4.json
bash scripts/kept-folder.sh archive "$out" "$kept" "$not_kept"
