#!/usr/bin/env bash
# Builds (once) and runs the C++ reference transformer step; prints one JSON line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../build/transformer_step"
mkdir -p "$(dirname "$out")"
if [ ! -x "$out" ] || [ "$here/transformer_step.cpp" -nt "$out" ]; then
  g++ -O2 -std=c++17 -I/usr/include/torch/csrc/api/include "$here/transformer_step.cpp" \
    -o "$out" -ltorch -ltorch_cpu -lc10 -Wno-deprecated-declarations
fi
exec "$out" "$@"
