#!/usr/bin/env bash
# Produce ground-truth olddefconfig results with the kernel's own `conf`.
#
# For each version V (default: 6.12 6.1) and each base config NAME it writes
#   $KFIT_CACHE/oracle/V/NAME.in    the input .config
#   $KFIT_CACHE/oracle/V/NAME.out   `conf --olddefconfig` applied to NAME.in
#   $KFIT_CACHE/oracle/V/NAME.def   `conf --savedefconfig` of NAME.out
# NAME: cfg_6_16 cfg_6_14 slot1 (ix fixtures), x86_64_defconfig, allnoconfig,
# debian (the linux-image config), rand1..rand20 (randconfig, KCONFIG_SEED=N).
#
# conf runs in a scratch directory with srctree=$TREE and the environment the
# top Makefile would export for CC=gcc (the same one kfit uses with --cc gcc).
# Results are cached; a stamp records the inputs (delete it to regenerate).
#
#   scripts/kconfig-oracle.sh [6.12] [6.1]
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KFIT_CACHE:-$HOME/.cache/kfit}
FIX=${KFIT_FIXTURES:-$HERE/../shared/fixtures}
VERSIONS=("$@")
[ ${#VERSIONS[@]} -gt 0 ] || VERSIONS=(6.12 6.1)
log() { printf '[kconfig-oracle] %s\n' "$*" >&2; }

for V in "${VERSIONS[@]}"; do
    [ -f "$CACHE/env/$V" ] || "$HERE/scripts/fetch-kernels.sh" "$V"
    # shellcheck disable=SC1090
    . "$CACHE/env/$V"
    OUT=$CACHE/oracle/$V
    STAMP=$OUT/.stamp-v1
    CONF=$BUILD/scripts/kconfig/conf
    [ -x "$CONF" ] || { log "missing $CONF (run scripts/fetch-kernels.sh $V)"; exit 1; }
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    runconf() { # KCONFIG_CONFIG-file mode [extra env...]
        local cfg=$1 mode=$2; shift 2
        (cd "$WORK" && env "$@" KCONFIG_CONFIG="$cfg" srctree="$TREE" ARCH=x86 SRCARCH=x86 \
            KERNELVERSION="$KVER" CC=gcc LD=ld HOSTCC=gcc \
            CC_VERSION_TEXT="$(LC_ALL=C gcc --version 2>/dev/null | head -n 1)" \
            RUSTC=rustc BINDGEN=bindgen OBJCOPY=objcopy NM=nm PAHOLE=pahole \
            "$CONF" "$mode" Kconfig >/dev/null 2>&1 </dev/null)
    }
    if [ -f "$STAMP" ]; then
        log "$V: cached in $OUT"
    else
    mkdir -p "$OUT"
    cp "$FIX/ix-current/pkgs/bin/kernel/configs/cfg_6_16" "$OUT/cfg_6_16.in"
    cp "$FIX/ix-current/pkgs/bin/kernel/configs/cfg_6_14" "$OUT/cfg_6_14.in"
    cp "$FIX/ix-slots-2023/pkgs/bin/kernel/6/0/slot/1/cfg" "$OUT/slot1.in"
    cp "$TREE/arch/x86/configs/x86_64_defconfig" "$OUT/x86_64_defconfig.in"
    cp "$DEBIAN/config" "$OUT/debian.in"
    rm -f "$WORK/all.config"
    runconf "$OUT/allnoconfig.in" --allnoconfig
    for n in $(seq 1 20); do
        runconf "$OUT/rand$n.in" --randconfig KCONFIG_SEED=$n
    done
    for f in "$OUT"/*.in; do
        name=$(basename "$f" .in)
        cp "$f" "$WORK/cfg"
        runconf "$WORK/cfg" --olddefconfig
        cp "$WORK/cfg" "$OUT/$name.out"
    done
    date -u > "$STAMP"
    log "$V: $(ls "$OUT"/*.out | wc -l) cases in $OUT"
    fi
    if [ ! -f "$OUT/.stamp-def-v1" ]; then
        for f in "$OUT"/*.out; do
            name=$(basename "$f" .out)
            cp "$f" "$WORK/cfg"
            runconf "$WORK/cfg" --savedefconfig="$OUT/$name.def"
        done
        date -u > "$OUT/.stamp-def-v1"
        log "$V: savedefconfig outputs in $OUT"
    fi
    rm -rf "$WORK"; trap - EXIT
done
