#!/usr/bin/env bash
# The judges' paths of generator v2, resumable across sessions and machines, in one command:
#   imagecot data paths --out runs/paths-v2 --prompts 2500 --paths-per-prompt 16 --rollout-share 0.25 --seed 11
# run over the queue by one single-threaded worker per core, with a Redis server of its own
# (on a 2-core machine without bfloat16 two one-thread processes make about 1.5 times the
# images of one two-thread process: README, Beyond one machine).
# A fresh clone starts from checkpoints/paths-v2.tar.gz, the chunks written so far (git keeps
# them compressed, about 150 kB a chunk; a chunk never changes once written).
# Usage: bash scripts/paths-v2.sh            collect what is missing, then archive
#        bash scripts/paths-v2.sh archive    rewrite the archive from runs/paths-v2 (at a stop)
#        bash scripts/paths-v2.sh restore    add the archive's chunks to runs/paths-v2
#        bash scripts/paths-v2.sh complete   exit 0 when every chunk is in, else 1 with a line
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/paths-v2
kept=checkpoints/paths-v2.tar.gz
prompts=2500
chunk=10 # data paths' default --chunk
archive() { mkdir -p checkpoints && tar cf - --exclude='*.tmp*' -C runs paths-v2 | gzip -n > "$kept.tmp" && mv "$kept.tmp" "$kept"; }
# into a folder of its own first: a kill mid-way leaves no half-written chunk in $out
restore() {
  [ -f "$kept" ] || return 0
  local tmp
  tmp=$(mktemp -d runs/.paths-v2.XXXX)
  tar xzf "$kept" -C "$tmp"
  mkdir -p "$out"
  for f in "$tmp"/paths-v2/*; do [ -e "$out/$(basename "$f")" ] || mv "$f" "$out/"; done
  rm -rf "$tmp"
}
mkdir -p runs
case "${1:-}" in
  archive) archive; exit 0 ;;
  restore) restore; exit 0 ;;
  complete)
    have=$(find "$out" -name 'chunk-*.json' 2>/dev/null | wc -l)
    want=$(((prompts + chunk - 1) / chunk))
    [ "$have" -eq "$want" ] || { echo "paths-v2: $out holds $have of $want chunks: finish them with scripts/paths-v2.sh" >&2; exit 1; }
    exit 0 ;;
  "") ;;
  *) echo "usage: paths-v2.sh [archive|restore|complete]" >&2; exit 2 ;;
esac
restore
port=${PATHS_REDIS_PORT:-6390}
if redis-cli -p "$port" ping >/dev/null 2>&1; then echo "paths-v2: port $port is taken (PATHS_REDIS_PORT=... picks another)" >&2; exit 2; fi
mkdir -p runs/redis-paths
redis-server --port "$port" --dir "$PWD/runs/redis-paths" --save 60 1 --daemonize no > runs/redis-paths/redis.log 2>&1 &
redis=$!
workers=()
# workers at once (their jobs are remade by others once their locks expire), then Redis, saved
stop() { kill -KILL "${workers[@]}" 2>/dev/null || true; wait "${workers[@]}" 2>/dev/null || true; redis-cli -p "$port" shutdown save >/dev/null 2>&1 || kill "$redis" 2>/dev/null || true; }
trap stop EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.2; done
redis-cli -p "$port" ping 2>/dev/null | grep -q PONG || { echo "paths-v2: redis-server did not start (runs/redis-paths/redis.log)" >&2; exit 1; }
for ((w = 0; w < $(nproc); w++)); do
  OPENBLAS_NUM_THREADS=1 node dist/src/cli/main.js worker --queue "redis://127.0.0.1:$port" --concurrency 10 --lock-ms 300000 --quiet &
  workers+=($!)
done
node dist/src/cli/main.js data paths --out "$out" --prompts "$prompts" --chunk "$chunk" --paths-per-prompt 16 --rollout-share 0.25 --seed 11 --queue "redis://127.0.0.1:$port" --quiet
archive
