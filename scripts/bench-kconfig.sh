#!/usr/bin/env bash
# Time kfit's olddefconfig against the kernel's own `conf --olddefconfig`
# (already built by scripts/fetch-kernels.sh) on Linux 6.12, same input, in
# one run; prints medians and the ratio. Env: KFIT_BENCH_RUNS (default 7),
# KFIT_BENCH_CONFIG (default: the ix cfg_6_16 oracle input).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "${KFIT_CACHE:-$HOME/.cache/kfit}/oracle/6.12/.stamp-v1" ] || scripts/kconfig-oracle.sh 6.12
exec cargo bench -p kfit-kconfig --bench olddefconfig
