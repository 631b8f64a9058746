#!/usr/bin/env bash
# Sourced by the scripts that run on a GPU machine (device-check.sh, and commands of the device
# tool): makes node and the runtime node_modules available and builds the binding against the
# CUDA libtorch inside that machine's PyTorch (README: Another libtorch). What the machine lacks
# comes in .dev/ (git-ignored, made by scripts/device-pack.sh): node (xz), the runtime
# node_modules (tar.xz) and Node-API's headers; dist/ is the sender's build. Defines log; exits when the build fails.
# Usage: source scripts/device-setup.sh OUT_DIR   (from the repository root)
out=${1:?usage: source device-setup.sh OUT_DIR}
mkdir -p "$out"
log() { echo "== $*" | tee -a "$out/log.txt"; }
if ! command -v node >/dev/null; then
  mkdir -p /tmp/nodebin && xz -dc .dev/node.xz >/tmp/nodebin/node && chmod +x /tmp/nodebin/node
  export PATH=/tmp/nodebin:$PATH
fi
[ -d node_modules ] || tar xJf .dev/node_modules.tar.xz
log "node $(node --version); $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1)"
LIBTORCH=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
export LIBTORCH
log "libtorch $LIBTORCH ($(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)'))"
mkdir -p build/Release
start=$SECONDS
# the flags binding.gyp gives node-gyp, with torch's paths from the same script
g++ -shared -fPIC -std=c++17 -O2 -fexceptions -frtti -Wno-unused-parameter -Wno-deprecated-declarations \
  -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
  -I.dev/node-include -I"$(node -p "require('node-addon-api').include_dir")" $(node scripts/torch-paths.cjs include | sed 's/[^ ]*/-I&/g') \
  native/binding.cc -o build/Release/imagecot_torch.node $(node scripts/torch-paths.cjs libs) -ldl >"$out/build.txt" 2>&1 ||
  { log "build failed"; tail -40 "$out/build.txt"; exit 1; }
log "binding built in $((SECONDS - start)) s"
