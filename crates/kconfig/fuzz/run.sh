#!/usr/bin/env bash
# Run a fuzz target for N seconds (default 600). Usage:
#   crates/kconfig/fuzz/run.sh parse|model_cache [seconds]
# model_cache is seeded with the cache files of small models, parse with
# the repo's test Kconfigs. cargo-fuzz on the stable toolchain.
set -euo pipefail
cd "$(dirname "$0")"
t=$1; secs=${2:-600}
mkdir -p corpus/$t
[ "$t" = model_cache ] && export KFIT_FUZZ_SEED_DIR=$PWD/corpus/$t
RUSTC_BOOTSTRAP=1 exec cargo fuzz run -s none "$t" corpus/$t -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -print_final_stats=1
