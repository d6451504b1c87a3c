#!/usr/bin/env bash
# Benchmark the kernel tree index on the whole 6.12 tree: cold build (a
# hard-link copy, private cache; DROP_CACHES=1 drops the page cache first),
# cached load, and the incremental rebuild after one source file changes;
# wall, user, sys, peak RSS. Not a test. All jobs: scripts/bench.sh.
exec "$(dirname "$0")/bench.sh" index "$@"
