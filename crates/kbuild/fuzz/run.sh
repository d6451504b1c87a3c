#!/usr/bin/env bash
# Run a fuzz target for N seconds (default 600), seeded with the cache file
# of a miniature tree. Usage: crates/kbuild/fuzz/run.sh index_cache [seconds]
# (cargo-fuzz on the stable toolchain, as crates/hw/fuzz/run.sh).
set -euo pipefail
cd "$(dirname "$0")"
t=$1; secs=${2:-600}
mkdir -p corpus/$t
RUSTC_BOOTSTRAP=1 KFIT_FUZZ_SEED_DIR=$PWD/corpus/$t exec cargo fuzz run -s none "$t" corpus/$t -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -print_final_stats=1
