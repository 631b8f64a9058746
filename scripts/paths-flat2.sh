#!/usr/bin/env bash
# The judges' paths of generator v2 (scripts/judge-paths.sh), decoded with the shipped sampler
# (the flat penalty 2, its default): whether judges trained on scripts/paths-v2.sh's paths rank
# these as well (issue 13).
# Usage: bash scripts/paths-flat2.sh [archive|restore|complete]
exec bash "$(dirname "$0")/judge-paths.sh" flat2 2 "$@"
