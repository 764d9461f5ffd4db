#!/usr/bin/env bash
# Ordergraph against the raw floor (../shared/bench-floor), side by side: see bench/compare.py.
#   bench/compare.sh [--rounds 2] [--seconds 20] [--only "order detail"]
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory install bench-tools >/dev/null
command -v taskset >/dev/null || { apt-get install -y util-linux || (apt-get update && apt-get install -y util-linux); }
exec .venv/bin/python bench/compare.py "$@"
