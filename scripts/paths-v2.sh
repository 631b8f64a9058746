#!/usr/bin/env bash
# The judges' paths of generator v2 (scripts/judge-paths.sh), decoded with Show-o's re-masking rule
# (--flat-penalty 0), before the penalty was the sampler's default: the paths the shipped judges
# trained on.
# Usage: bash scripts/paths-v2.sh [archive|restore|complete]
exec bash "$(dirname "$0")/judge-paths.sh" v2 0 "$@"
