#!/usr/bin/env bash
# Every benchmark in one run (timings, not tests): kfit beside `make
# localyesconfig`, `conf --olddefconfig` and the cold index, with wall, user,
# sys, peak RSS and ratios, as a markdown table (the README's speed table is
# this output). See scripts/bench.py and docs/bench.md.
#
#   scripts/bench.sh [index] [fit] [kconfig] [hw] [fleet]    (default: all)
#
# Env: RUNS (7), COLD_RUNS (3), KFIT_BIN, KFIT_CACHE, DROP_CACHES=1.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "bench: needs python3 (apt-get install python3)" >&2; exit 2; }
exec python3 scripts/bench.py "$@"
