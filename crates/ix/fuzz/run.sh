#!/usr/bin/env bash
# Run the ix package reader/writer target for N seconds (default 600) on a
# copy of today's ix packages (KFIT_FUZZ_IX, default ../shared/fixtures/
# ix-current), seeded with each replaceable file as it is.
# Usage: crates/ix/fuzz/run.sh package [seconds]
set -euo pipefail
cd "$(dirname "$0")"
t=$1; secs=${2:-600}
ix=${KFIT_FUZZ_IX:-$(cd ../../.. && cd ../shared/fixtures/ix-current 2>/dev/null && pwd || echo /work/shared/fixtures/ix-current)}
export KFIT_FUZZ_IX=$ix
mkdir -p corpus/$t
k=$ix/pkgs/bin/kernel
i=0
for f in 7/1/ix.sh 7/1/ver.sh t/4/ix.sh t/1/ix.sh t/0/ix.sh ix.sh t/1/fw.sh configs/cfg_6_16; do
    { printf "\\x$(printf %02x $i)"; head -c 8192 "$k/$f"; } > corpus/$t/seed-$i
    i=$((i + 1))
done
{ printf '\x0a'; head -c 8192 "$k/configs/cfg_6_16"; printf '\0amdgpu/green_sardine_asd.bin\niwlwifi-cc-a0-77.ucode\n'; } > corpus/$t/seed-write
RUSTC_BOOTSTRAP=1 exec cargo fuzz run -s none "$t" corpus/$t -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -print_final_stats=1
