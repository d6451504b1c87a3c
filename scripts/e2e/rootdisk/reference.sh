#!/usr/bin/env bash
# Collect the q35 reference listings again, booting from the root disk
# (scripts/e2e/rootdisk/prepare.sh) with Debian's own 6.1 kernel and all its
# modules in the initramfs, as collect.sh does: the initramfs coldplugs,
# loads the root's filesystem, switch_roots into /dev/vda1, and the disk's
# init writes the reference listings plus mounts.txt, filesystems.txt and
# lsblk.txt. Then compare.sh against the reference machine: the device set
# and its bindings must be the reference's (0 missing).
#
#   scripts/e2e/rootdisk/reference.sh [OUT_DIR]
#     OUT_DIR default $KFIT_CACHE/e2e/rootdisk-reference/<UTC time>
#   Env: KFIT_CACHE, KFIT_SHARED (as scripts/e2e-qemu.sh), QEMU_TIMEOUT
#        (default 900), KFIT_DEBIAN_61 (default $DEBIAN of
#        $KFIT_CACHE/env/6.1: boot/vmlinuz-<ABI>, lib/modules/<ABI>).
# The repo's copy (crates/hw/tests/data/q35-rootdisk) was made with it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
CACHE=${KFIT_CACHE:-$HOME/.cache/kfit}
SHARED=${KFIT_SHARED:-$ROOT/../shared}
[ -d "$SHARED/hw" ] || SHARED=/work/shared
HW=$(cd "$SHARED/hw/qemu-q35-debian61" && pwd)
[ -f "$CACHE/env/6.1" ] || "$ROOT/scripts/fetch-kernels.sh" 6.1
# shellcheck disable=SC1091
. "$CACHE/env/6.1"
DEB=${KFIT_DEBIAN_61:-$DEBIAN}
[ -f "$DEB/boot/vmlinuz-$ABI" ] && [ -d "$DEB/lib/modules/$ABI" ] \
    || { echo "rootdisk/reference.sh: no Debian 6.1 kernel under $DEB" >&2; exit 2; }
OUT=${1:-$CACHE/e2e/rootdisk-reference/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/collect" "$OUT/guest"
"$ROOT/scripts/e2e/rootdisk/prepare.sh" "$HW" "$OUT/collect"
mkdir -p "$OUT/collect/work"
WORK=$OUT/collect/work KERNEL_IMAGE=$DEB/boot/vmlinuz-$ABI KERNEL_MODULES=$DEB/lib/modules/$ABI \
    KVER=$ABI QEMU_TIMEOUT=${QEMU_TIMEOUT:-900} "$OUT/collect/collect.sh" "$OUT/guest" 2>&1 \
    | tee "$OUT/collect.log"
[ -s "$OUT/guest/mounts.txt" ] || { echo "rootdisk/reference.sh: no mounts.txt (console: $OUT/guest/console.log)" >&2; exit 2; }
set +e
"$OUT/collect/compare.sh" "$HW" "$OUT/guest" > "$OUT/compare.txt" 2>&1
echo "compare.sh exit $?" >> "$OUT/compare.txt"
set -e
cat "$OUT/compare.txt"
echo "rootdisk reference: $OUT/guest"
