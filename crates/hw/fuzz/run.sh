#!/usr/bin/env bash
# Run one fuzz target for N seconds (default 600), seeded from the test listings.
# Usage: crates/hw/fuzz/run.sh <target> [seconds]   (stable toolchain is enough)
set -euo pipefail
cd "$(dirname "$0")"
t=$1; secs=${2:-600}
mkdir -p corpus/$t
cp -n ../tests/data/formats/* ../tests/data/q35/* ../tests/data/seed/* ../tests/data/system/* corpus/$t/ 2>/dev/null || true
find ../tests/data/variants -type f -exec cp -n {} corpus/$t/ \; 2>/dev/null || true
[ "$t" = ids_db ] && head -c 60000 /usr/share/misc/pci.ids > corpus/$t/pci.ids.head 2>/dev/null || true
RUSTC_BOOTSTRAP=1 exec cargo fuzz run -s none "$t" corpus/$t -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -print_final_stats=1
