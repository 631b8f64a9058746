#!/usr/bin/env bash
# npm test's last step: every compiled test file, one at a time, with a temporary folder of their
# own as TMPDIR, removed at the end whatever happens, so that what the tests write there (about
# 5 MB a run, and a killed test's folders) never piles up in /tmp.
# Usage: bash scripts/run-tests.sh [NODE_TEST_ARGS...]   (after npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TMPDIR=$tmp node --test --test-concurrency=1 "$@" dist/test/
