#!/usr/bin/env bash
# Runs one imagecot command over a queue of its own: a Redis server in runs/redis-NAME and the
# workers that make the most images on this machine: in float32, one single-threaded worker per
# core (on a 2-core machine two one-thread processes make about 1.5 times the images of one
# two-thread process); in bfloat16, one worker with every thread (there two one-thread processes
# make 0.41 times its images: README, Beyond one machine). A worker that dies is started again,
# its log in runs/redis-NAME/worker-K.log; at the end, or on a TERM or INT, the command and the
# workers stop at once (their unfinished jobs are remade on the next call) and Redis stops. Redis keeps nothing between calls: the command plans its jobs
# afresh from what is on disk, and a queue kept from an earlier call would make again the work
# that was done elsewhere since (recordings made on another machine, say).
# Usage: bash scripts/with-queue.sh NAME IMAGECOT_ARGS...   (the command gets --queue and --quiet)
#   QUEUE_REDIS_PORT=... picks another port than 6390
#   QUEUE_WORKERS=K and QUEUE_WORKER_THREADS=T set the workers and their BLAS threads
#   QUEUE_WORKER_ARGS="..." adds arguments to every worker (e.g. --generators runs/dpo-iter: the
#   generators a command writes as it goes, which its later jobs sample with)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: with-queue.sh NAME IMAGECOT_ARGS..." >&2; exit 2; }
name=$1; shift
port=${QUEUE_REDIS_PORT:-6390}
dir=runs/redis-$name
if redis-cli -p "$port" ping >/dev/null 2>&1; then echo "with-queue: port $port is taken (QUEUE_REDIS_PORT=... picks another)" >&2; exit 2; fi
# before Redis starts: the precision the workers will run in (IMAGECOT_PRECISION too), as the code decides it
[ -f dist/src/util/precision.js ] || { echo "with-queue: no dist/: build first (npx tsc -p tsconfig.json, or scripts/setup.sh)" >&2; exit 1; }
prec=$(node --input-type=module -e 'import { precision } from "./dist/src/util/precision.js"; console.log(precision())')
if [ "$prec" = bfloat16 ]; then workers=${QUEUE_WORKERS:-1} threads=${QUEUE_WORKER_THREADS:-$(nproc)}; else workers=${QUEUE_WORKERS:-$(nproc)} threads=${QUEUE_WORKER_THREADS:-1}; fi
mkdir -p "$dir"
rm -f "$dir/dump.rdb" # left by an earlier version of this script, which saved the queue
redis-server --port "$port" --dir "$PWD/$dir" --save "" --appendonly no --daemonize no > "$dir/redis.log" 2>&1 &
redis=$!
loops=()
# each worker runs in a loop of its own that starts it again when it dies, while this script lives;
# a TERM to the loop (from stop, or a pkill of this script's name) takes its worker with it
worker() {
  local child=""
  trap '[ -z "$child" ] || kill -KILL "$child" 2>/dev/null; exit 0' TERM INT
  while kill -0 "$script" 2>/dev/null; do
    # shellcheck disable=SC2086 # the extra arguments are words
    OPENBLAS_NUM_THREADS=$threads node dist/src/cli/main.js worker --queue "redis://127.0.0.1:$port" --concurrency 10 --lock-ms 300000 --quiet ${QUEUE_WORKER_ARGS:-} >> "$dir/worker-$1.log" 2>&1 &
    child=$!
    wait "$child" || echo "with-queue: worker $1 exited $? at $(date -u +%FT%TZ); starting it again" >> "$dir/worker-$1.log"
    child=""
    sleep 2
  done
}
script=$$
main=""
# the command, the loops and their workers at once (unfinished jobs are remade on the next call), then Redis
stop() {
  [ -z "$main" ] || kill -TERM "$main" 2>/dev/null || true
  kill -TERM "${loops[@]}" 2>/dev/null || true
  wait "${loops[@]}" ${main:+"$main"} 2>/dev/null || true
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$redis" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 143' TERM INT
for _ in $(seq 50); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.2; done
redis-cli -p "$port" ping 2>/dev/null | grep -q PONG || { echo "with-queue: redis-server did not start ($dir/redis.log)" >&2; exit 1; }
for ((w = 0; w < workers; w++)); do
  worker "$w" &
  loops+=($!)
done
# in the background, so that a TERM to this script is handled at once, not when the command ends
node dist/src/cli/main.js "$@" --queue "redis://127.0.0.1:$port" --quiet &
main=$!
status=0
wait "$main" || status=$?
main=""
exit "$status"
