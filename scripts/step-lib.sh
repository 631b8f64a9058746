# shellcheck shell=bash
# Sourced by the resumable pipelines (dpo-14.sh, dpo-flat2.sh, paths-flat2.sh): a built dist/, and
# one step of a pipeline.

# require_dist TAG: exit 1 unless dist/ is built from today's src/ (hours of runs recording this
# commit must run its code).
require_dist() {
  [ -f dist/src/cli/main.js ] || { echo "$1: no dist/: build first (scripts/setup.sh)" >&2; exit 1; }
  [ -z "$(find src -name '*.ts' -newer dist/src/cli/main.js | head -n 1)" ] || { echo "$1: src/ is newer than dist/: build first (npx tsc -p .)" >&2; exit 1; }
}

# run_step TAG LOGS NAME DONE_FILE CMD...: runs CMD unless DONE_FILE is there, appending its output
# to LOGS/NAME.log; on a failure, the log's end on stderr and exit 1 (the caller's script ends).
run_step() {
  local tag=$1 logs=$2 name=$3 done=$4
  shift 4
  if [ -f "$done" ]; then
    echo "$tag: $name: done, skipped"
    return
  fi
  mkdir -p "$logs"
  echo "$tag: $name: started $(date -u +%FT%TZ) (log $logs/$name.log)"
  echo "== $tag: $name, started $(date -u +%FT%TZ)" >> "$logs/$name.log"
  "$@" >> "$logs/$name.log" 2>&1 || { echo "$tag: $name: failed; the log ends:" >&2; tail -n 15 "$logs/$name.log" >&2; exit 1; }
  echo "$tag: $name: done $(date -u +%FT%TZ)"
}
