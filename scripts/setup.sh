#!/usr/bin/env bash
# Idempotent set-up on Debian 12 (as root, or with sudo): libtorch and OpenBLAS from Debian,
# chromium for the page's browser test (playwright-core drives it; no browser download),
# redis-server for the queue (its tests start one of their own on a free port), npm packages
# (which build the native binding), then the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
missing=()
for pkg in libtorch-dev libopenblas0-pthread g++ make python3 chromium fonts-dejavu-core redis-server; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci only when the lockfile changed since the last install (it rebuilds the addon too).
stamp=node_modules/.imagecot-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp" || [ ! -f build/Release/imagecot_torch.node ]; then
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
npm run --silent build
