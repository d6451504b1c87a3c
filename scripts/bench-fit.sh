#!/usr/bin/env bash
# Benchmark: `kfit fit` of the seed (index and model cached) beside `make
# localyesconfig` on the same 6.12 tree and base, alternating; whole-process
# wall, user, sys, peak RSS and the ratio. Not a test. All jobs: scripts/bench.sh.
exec "$(dirname "$0")/bench.sh" fit "$@"
