#!/usr/bin/env bash
# Run the argument-layer target for N seconds (default 600), seeded with
# the command lines in seeds/args (the first byte 0x0d: the arguments name
# their own subcommand). Usage: crates/cli/fuzz/run.sh args [seconds]
set -euo pipefail
cd "$(dirname "$0")"
t=$1; secs=${2:-600}
mkdir -p corpus/$t
cp -n seeds/$t/* corpus/$t/ 2>/dev/null || true
RUSTC_BOOTSTRAP=1 exec cargo fuzz run -s none "$t" corpus/$t -- -max_total_time="$secs" -max_len=4096 -rss_limit_mb=1024 -print_final_stats=1
