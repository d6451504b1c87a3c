#!/usr/bin/env bash
# Benchmark: `kfit kconfig olddefconfig` beside the tree's own `conf
# --olddefconfig` (ix's cfg_6_16 on Linux 6.12), alternating; whole-process
# figures, the ratio and whether the outputs are byte-identical. Not a test.
# In-process variant: cargo bench -p kfit-kconfig --bench olddefconfig.
# All jobs: scripts/bench.sh.
exec "$(dirname "$0")/bench.sh" kconfig "$@"
