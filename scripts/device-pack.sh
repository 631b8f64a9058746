#!/usr/bin/env bash
# Packs into .dev/ (git-ignored) what a GPU machine without this project's setup needs to run it
# (scripts/device-setup.sh): this machine's node binary (xz), the runtime node_modules
# (npm ci --omit=dev from the local npm cache, tar.xz) and Node-API's C headers. Then a run of the
# device tool carries .dev and dist (npm run build first).
# Usage: bash scripts/device-pack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qxF "/.dev/" "$(git rev-parse --git-path info/exclude)" 2>/dev/null || echo "/.dev/" >>"$(git rev-parse --git-path info/exclude)"
mkdir -p .dev/node-include
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xz -T0 -6 -c "$(command -v node)" >"$tmp/node.xz"
cp package.json package-lock.json "$tmp/"
(cd "$tmp" && npm ci --omit=dev --ignore-scripts --offline --no-audit --no-fund >/dev/null && tar cf - node_modules | xz -T0 -6 >node_modules.tar.xz)
include=$(dirname "$(command -v node)")/../include/node
for h in node_api.h node_api_types.h js_native_api.h js_native_api_types.h; do cp "$include/$h" .dev/node-include/; done
mv "$tmp/node.xz" "$tmp/node_modules.tar.xz" .dev/
du -sh .dev
