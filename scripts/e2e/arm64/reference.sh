#!/usr/bin/env bash
# Collect the arm64 reference machine again (collect.sh: Debian's arm64
# kernel with all its modules on QEMU virt, TCG) and copy the files the
# tests read into crates/hw/tests/data/qemu-virt-arm64. A second run gives
# the same bindings: compare.sh of the old copy against the new one must
# report 0 MISSING, and the new copy against the old one too.
#
#   scripts/e2e/arm64/reference.sh [OUT_DIR]
#     OUT_DIR default $KFIT_CACHE/e2e/arm64-reference/<UTC time>
#   Env: KFIT_CACHE, KPKG / KSERIES / QEMU_TIMEOUT (collect.sh's),
#        KFIT_ARM64_NO_COPY=1 (collect and compare only)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$ROOT/scripts/e2e/arm64
CACHE=${KFIT_CACHE:-$HOME/.cache/kfit}
DATA=$ROOT/crates/hw/tests/data/qemu-virt-arm64
OUT=${1:-$CACHE/e2e/arm64-reference/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT/work"; OUT=$(cd "$OUT" && pwd)
WORK=$OUT/work nice -n "${NICE:-15}" "$HERE/collect.sh" "$OUT/guest" 2>&1 | tee "$OUT/collect.log"
[ -s "$OUT/guest/drivers.txt" ] || { echo "arm64/reference.sh: no drivers.txt (console: $OUT/guest/console.log)" >&2; exit 2; }
if [ -f "$DATA/drivers.txt" ]; then
    set +e
    { "$HERE/compare.sh" "$DATA" "$OUT/guest"; echo "old->new exit $?"
      "$HERE/compare.sh" "$OUT/guest" "$DATA"; echo "new->old exit $?"; } > "$OUT/compare.txt" 2>&1
    set -e
    cat "$OUT/compare.txt"
fi
[ -n "${KFIT_ARM64_NO_COPY:-}" ] && exit 0
mkdir -p "$DATA"
for f in lspci-k.txt lspci-nk.txt lspci-nnk.txt lsusb.txt lsusb-t.txt modalias.txt \
         modalias-uevent.txt modules-loaded.txt drivers.txt dmesg.txt sys.txt \
         devicetree.dts devicetree.dtb qemu-cmdline.txt run-info.txt; do
    cp "$OUT/guest/$f" "$DATA/$f"
done
echo "arm64 reference: $OUT/guest, copied into $DATA"
