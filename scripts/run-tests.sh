#!/usr/bin/env bash
# npm test's last step: every compiled test file, one at a time, with a temporary folder of their
# own as TMPDIR, removed once they end, so that what the tests write there (a killed test's
# folders too) never piles up in /tmp.
# Usage: bash scripts/run-tests.sh [NODE_TEST_ARGS...]   (after npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TMPDIR=$tmp node --test --test-concurrency=1 "$@" dist/test/ &
pid=$!
# a TERM or INT to this script stops the tests first: their folder goes only once they are gone
trap 'kill -TERM "$pid" 2>/dev/null || true' TERM INT
status=0
wait "$pid" || status=$?
# wait returns early when a trapped signal arrives: wait again for the tests' own end
while kill -0 "$pid" 2>/dev/null; do wait "$pid" || status=$?; done
exit "$status"
