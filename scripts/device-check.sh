#!/usr/bin/env bash
# The engine on a GPU machine, in one prepared run: builds the binding against the CUDA libtorch
# inside that machine's PyTorch (scripts/device-setup.sh), runs the engine's tests on it, then
# `bench device`.
# Usage (on the GPU machine, from the repository root): IMAGECOT_GIT_COMMIT=SHA bash scripts/device-check.sh OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: device-check.sh OUT_DIR}
source scripts/device-setup.sh "$out"
node -e 'import("./dist/src/torch/index.js").then(t => console.log("torch", t.torchVersion(), "cuda", t.cudaAvailable()))' 2>&1 | tee -a "$out/log.txt"
log "engine tests (dist/test/torch, the generator on the device)"
timeout 240 node --test --test-concurrency=1 dist/test/torch/ dist/test/generator/device.test.js >"$out/tests.txt" 2>&1
log "tests exit $?: $(grep -E '^# (tests|pass|fail|skipped)' "$out/tests.txt" | tr '\n' ' ')"
grep -B2 -A15 "^not ok" "$out/tests.txt" | head -60
log "bench device"
timeout 240 node dist/src/cli/main.js bench device --out "$out/device-h200.json" 2>&1 | tee -a "$out/log.txt"
log "done in $((SECONDS - start)) s"
