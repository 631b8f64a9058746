#!/usr/bin/env bash
# A long training run, resumable across sessions and machines. Each call trains until the
# --stop-at step in its arguments (or the end) in runs/NAME, then copies the checkpoint (weights
# and optimiser) to checkpoints/NAME.safetensors for git, so that a fresh clone carries on from
# there with the same command, and the loss curve to CURVE. A process stopped by its memory
# limit (exit 75, at a checkpoint) is restarted.
# Usage: bash scripts/long-run.sh NAME CURVE -- TRAIN_SUBCOMMAND ARGS... (imagecot train's, without --run-dir)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${3:-}" = "--" ] || { echo "usage: long-run.sh NAME CURVE -- TRAIN_ARGS..." >&2; exit 2; }
name=$1; curve=$2; shift 3
run=runs/$name
kept=checkpoints/$name.safetensors
mkdir -p "$run" checkpoints
# a fresh machine: start from the committed checkpoint
if [ ! -f "$run/checkpoint.safetensors" ] && [ -f "$kept" ]; then cp "$kept" "$run/checkpoint.safetensors"; fi
# a process that passes its limit again at once would loop: a few restarts, then the error stands
status=75; restarts=0
while [ "$status" -eq 75 ] && [ "$restarts" -le 5 ]; do status=0; node dist/src/cli/main.js train "$@" --run-dir "$run" --quiet || status=$?; restarts=$((restarts + 1)); done
[ "$status" -eq 0 ] || exit "$status"
cp "$run/checkpoint.safetensors" "$kept.tmp" && mv "$kept.tmp" "$kept"
cp "$run/loss.png" "$curve"
