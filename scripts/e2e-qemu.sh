#!/usr/bin/env bash
# End-to-end proof: a kernel built from kfit's config binds every device that
# Debian's kernel bound on the QEMU q35 reference machine (or, with --arch
# arm64, on the QEMU virt aarch64 reference machine).
#
#   scripts/e2e-qemu.sh                    fit with kfit, build, boot, compare
#   scripts/e2e-qemu.sh --arch arm64       the same for arm64: fit the QEMU
#                                          virt machine
#                                          (crates/hw/tests/data/qemu-virt-arm64)
#                                          on arm64 defconfig, cross-build the
#                                          Image (aarch64-linux-gnu-gcc), boot
#                                          it under qemu-system-aarch64
#                                          (scripts/e2e/arm64/collect.sh),
#                                          compare with Debian's arm64 kernel
#   scripts/e2e-qemu.sh --config FILE      skip kfit, use FILE as the config
#   scripts/e2e-qemu.sh --version 6.1      the same on Linux 6.1 (Debian's
#                                          reference kernel series)
#   scripts/e2e-qemu.sh --ix               the config of an ix machine package:
#                                          `kfit fit --ix` into a copy of
#                                          shared/fixtures/ix-current with a
#                                          <V> package (ver.sh: the cached
#                                          tree repacked), rendered as ix
#                                          renders it (scripts/ix-render.py),
#                                          built like ix's t/0 (clang, ld.lld,
#                                          LLVM tools)
#
# Options:  --version V     kernel series from scripts/fetch-kernels.sh: 6.12
#                           (default) or 6.1 (same as KFIT_E2E_VERSION=V)
#           --arch A        x86 (default) or arm64 (same as KFIT_E2E_ARCH=A);
#                           arm64: ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
#                           (KFIT_E2E_CROSS_COMPILE overrides it), `make
#                           Image`, its own kept O= dir
#                           $KFIT_CACHE/e2e/build-arm64-V; base: arm64
#                           defconfig without MODULES and without the SoC
#                           platforms (every `config ARCH_*` of
#                           arch/arm64/Kconfig.platforms), fitted with --trim
#           --config FILE   use FILE instead of running `kfit fit` (step 3)
#           --ix            ix mode (above); needs clang, lld, llvm, python3-jinja2
#           --kernel FILE   boot and compare this bzImage (arm64: Image)
#                           only (skips 2-5)
#           --base FILE     base config for kfit (same as KFIT_E2E_BASE=FILE);
#                           MODULES and debug info are forced off
#           --base tinyconfig  the tree's tinyconfig with 64BIT, SMP and
#                           collect.sh's initramfs (BLK_DEV_INITRD, RD_ZSTD):
#                           everything else comes from kfit (and --profile)
#           --profile NAME  `kfit fit --profile NAME` (repeatable), e.g.
#                           minimal-boot
#           --trim          `kfit fit --trim`: turn off the base's device
#                           drivers no device of the machine needs (for a
#                           distro base, e.g. Debian's config)
#           --migrate-from V  fit on Linux V (or take --config FILE as V's
#                           config), carry it to --version with
#                           `kfit migrate ... <listings>`, build that
#           --root-disk     boot from a root disk, without an initramfs
#                           (issue #14): kfit also gets the machine's
#                           mounts, /proc/filesystems and lsblk listings
#                           (crates/hw/tests/data/q35-rootdisk, collected by
#                           scripts/e2e/rootdisk/reference.sh); the root's
#                           filesystem, disk driver and partition parser must
#                           be =y in the final config (checked, with kfit's
#                           reason for each); the guest's virtio-blk disk is
#                           an ext4 image (scripts/e2e/rootdisk/prepare.sh)
#                           booted with root=/dev/vda1, no -initrd
#           --out DIR       where this run's files go
#                           (default $KFIT_CACHE/e2e/runs/<UTC time>, and
#                           $KFIT_CACHE/e2e/latest points at it)
# Env:      KFIT_CACHE (default ~/.cache/kfit)   KFIT_SHARED (default ../shared
#           next to the clone)   KFIT_E2E_BASE   KFIT_E2E_LISTINGS (listing
#           files, relative to the machine dir)   KFIT_E2E_JOBS (default 2)
#           CARGO_TARGET_DIR   QEMU_TIMEOUT (default 600)
#           KFIT_E2E_SYSTEM_LISTINGS (--root-disk: the system listings, paths;
#           default mounts.txt filesystems.txt lsblk.txt of q35-rootdisk)
#           KFIT_E2E_CONFIG_ONLY=1 (stop after step 4: the config, no build)
#           KFIT_E2E_BUILD_DIR (another kept O= dir, with its own lock)
#
# Steps: (1) packages + the kernel tree, (2) the MODULES=n base config,
# (3) `kfit fit` on the machine's listings, (4) the kernel's own olddefconfig
# on the result (what it drops is printed), (5) `make -j2 bzImage` in a kept
# O= dir with ccache (arm64: `make Image`, cross), (6) boot it with
# collect.sh's KERNEL_IMAGE mode,
# (7) compare.sh against Debian's bindings. Prints build time, boot time and
# devices bound against Debian's count. Exit 0: nothing missing; 1: devices
# missing; 2: the pipeline itself failed. Needs root on Debian 12 (apt-get).
# See docs/e2e.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KFIT_CACHE:-$HOME/.cache/kfit}
SHARED=${KFIT_SHARED:-$ROOT/../shared}
JOBS=${KFIT_E2E_JOBS:-2}
NICE=${KFIT_E2E_NICE:-10}
VERSION=${KFIT_E2E_VERSION:-6.12}
KARCH=${KFIT_E2E_ARCH:-x86}
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
CC_CMD="ccache gcc"
IX=0
TRIM=0
MIGRATE_FROM=""
PROFILES=()
ROOTDISK=0
ROOTDISK_DATA=$ROOT/crates/hw/tests/data/q35-rootdisk
SYSTEM_LISTINGS=${KFIT_E2E_SYSTEM_LISTINGS:-$ROOTDISK_DATA/mounts.txt $ROOTDISK_DATA/filesystems.txt $ROOTDISK_DATA/lsblk.txt}
# The root disk scripts/e2e/rootdisk/ makes: ext4 in an msdos partition on
# the virtio-blk disk. Without an initramfs the kernel itself must have each
# built in (checked before the build).
ROOT_SYMS="EXT4_FS VIRTIO_BLK MSDOS_PARTITION"

CONFIG_IN=""
KERNEL_IN=""
BASE_IN=${KFIT_E2E_BASE:-}
OUTDIR=""
while [ $# -gt 0 ]; do
    case $1 in
        --version) VERSION=$2; shift 2;;
        --arch) KARCH=$2; shift 2;;
        --config) CONFIG_IN=$(realpath "$2"); shift 2;;
        --ix) IX=1; shift;;
        --trim) TRIM=1; shift;;
        --profile) PROFILES+=(--profile "$2"); shift 2;;
        --migrate-from) MIGRATE_FROM=$2; shift 2;;
        --root-disk) ROOTDISK=1; shift;;
        --kernel) KERNEL_IN=$(realpath "$2"); shift 2;;
        --base) BASE_IN=$2; shift 2;;
        --out) OUTDIR=$2; shift 2;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0;;
        *) echo "e2e-qemu: unknown argument $1 (see --help)" >&2; exit 2;;
    esac
done
[ -z "$BASE_IN" ] || [ "$BASE_IN" = tinyconfig ] || BASE_IN=$(realpath "$BASE_IN")
case $VERSION in
    6.12) BUILD_DIR=$CACHE/e2e-build; KCONF_DIR=$CACHE/e2e/kconfig;;   # kept O= dirs:
    *) BUILD_DIR=$CACHE/e2e-build-$VERSION; KCONF_DIR=$CACHE/e2e/kconfig-$VERSION;;  # reruns are incremental
esac
LOCK=$CACHE/e2e/.lock-$VERSION
# The architecture: its make variables, kernel image, reference machine (the
# listings, and the collect.sh/init/compare.sh that boot and judge it) and
# what its boot needs from any kernel.
case $KARCH in
    x86)
        MK_ARCH=(ARCH=x86)
        IMAGE_TARGET=bzImage IMAGE_PATH=arch/x86/boot/bzImage
        MACHINE_DIR=$SHARED/hw/qemu-q35-debian61 MACHINE_SCRIPTS=""
        DEFAULT_LISTINGS="lspci-nnk.txt lsusb.txt modalias-uevent.txt drivers.txt modules-loaded.txt"
        # console on ttyS0, results on ttyS1
        BOOT_CONSOLE="SERIAL_8250 SERIAL_8250_CONSOLE"
        BASE_NAME=x86_64_defconfig BASE_DESC="x86_64_defconfig without MODULES, i915, Wi-Fi"
        QEMU_TIMEOUT_DEFAULT=600
        FIT_ARCH=() FIT_CC=gcc
        ;;
    arm64)
        [ "$IX" = 0 ] && [ "$ROOTDISK" = 0 ] && [ -z "$MIGRATE_FROM" ] \
            || { echo "e2e-qemu: --arch arm64 does not go with --ix, --root-disk or --migrate-from (x86 machines only)" >&2; exit 2; }
        # Cross: Debian's gcc-aarch64-linux-gnu. Exported so that kfit's
        # toolchain probes see the compiler make uses.
        export ARCH=arm64 CROSS_COMPILE=${KFIT_E2E_CROSS_COMPILE:-aarch64-linux-gnu-}
        MK_ARCH=(ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE")
        CC_CMD="ccache ${CROSS_COMPILE}gcc"
        IMAGE_TARGET=Image IMAGE_PATH=arch/arm64/boot/Image
        MACHINE_DIR=$ROOT/crates/hw/tests/data/qemu-virt-arm64 MACHINE_SCRIPTS=$ROOT/scripts/e2e/arm64
        # The device tree is a listing too: its nodes' suppliers (the
        # GIC, the clock, the SMMU in front of PCI) become goals.
        DEFAULT_LISTINGS="lspci-nnk.txt lsusb.txt modalias-uevent.txt drivers.txt modules-loaded.txt devicetree.dtb"
        # ttyAMA0 (PL011) is the console and carries the results
        BOOT_CONSOLE="SERIAL_AMBA_PL011 SERIAL_AMBA_PL011_CONSOLE"
        BASE_NAME="arm64 defconfig without MODULES and the SoC platforms (ARCH_* of Kconfig.platforms)"
        BASE_DESC="arm64 defconfig without MODULES, its modules, the SoC platforms, Xen, debug info"
        # TCG emulates a foreign CPU: slower than q35's boot
        QEMU_TIMEOUT_DEFAULT=1200
        # kfit probes the compiler make uses (CROSS_COMPILE is exported too)
        FIT_ARCH=(--arch arm64) FIT_CC=${CROSS_COMPILE}gcc
        # defconfig has drivers for every SoC: --trim turns off those no
        # device of the machine needs
        TRIM=1
        BUILD_DIR=$CACHE/e2e/build-arm64-$VERSION KCONF_DIR=$CACHE/e2e/kconfig-arm64-$VERSION
        LOCK=$CACHE/e2e/.lock-arm64-$VERSION
        ;;
    *) echo "e2e-qemu: --arch $KARCH: x86 or arm64" >&2; exit 2;;
esac
LISTINGS=${KFIT_E2E_LISTINGS:-$DEFAULT_LISTINGS}
# ix's t/0/ix.sh `mk_flags`: clang and the LLVM tools (its own O= dir: no
# gcc objects mixed in).
MK_TOOLS=()
if [ "$IX" = 1 ]; then
    BUILD_DIR=$CACHE/e2e-build-ix-$VERSION
    CC_CMD="ccache clang"
    MK_TOOLS=(LD=ld.lld AR=llvm-ar NM=llvm-nm STRIP=llvm-strip OBJCOPY=llvm-objcopy
              OBJDUMP=llvm-objdump READELF=llvm-readelf HOSTCC=clang HOSTCXX=clang++
              HOSTAR=llvm-ar HOSTLD=ld.lld)
fi

T_START=$(date +%s)
step() { printf '\n==> [e2e %s] %s\n' "$(date -u +%T)" "$*"; }
die() { echo "e2e-qemu: error: $*" >&2; exit 2; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }

HW=$MACHINE_DIR
SCRIPTS=${MACHINE_SCRIPTS:-$HW}   # collect.sh, init, compare.sh
[ -f "$SCRIPTS/collect.sh" ] && [ -f "$SCRIPTS/compare.sh" ] && [ -f "$HW/drivers.txt" ] \
    || die "no reference machine at $HW (set KFIT_SHARED to the shared/ directory)"
HW=$(cd "$HW" && pwd)

if [ -z "$OUTDIR" ]; then
    OUTDIR=$CACHE/e2e/runs/$(date -u +%Y%m%dT%H%M%SZ)
    mkdir -p "$OUTDIR"
    ln -sfn "$OUTDIR" "$CACHE/e2e/latest"
fi
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
echo "e2e-qemu: run directory $OUTDIR"

# ------------------------------------------------------------ (1) packages
step "host packages"
PKGS=(make gcc libc6-dev flex bison bc libelf-dev libssl-dev xz-utils ccache
      qemu-system-x86 swtpm busybox-static pciutils pci.ids usbutils kmod cpio zstd file)
[ "$IX" = 0 ] || PKGS+=(clang lld llvm python3-jinja2 curl)
[ "$ROOTDISK" = 0 ] || PKGS+=(fdisk e2fsprogs util-linux)
if [ "$KARCH" = arm64 ]; then
    # The cross compiler and what scripts/e2e/arm64/collect.sh runs on the
    # host (the guest's arm64 busybox, kmod, lspci and lsusb it fetches
    # itself with apt-get download, after dpkg --add-architecture arm64).
    PKGS=("${PKGS[@]/qemu-system-x86}"); PKGS=("${PKGS[@]/busybox-static}")
    PKGS=("${PKGS[@]/pciutils}"); PKGS=("${PKGS[@]/usbutils}")
    PKGS+=(gcc-aarch64-linux-gnu qemu-system-arm device-tree-compiler ipxe-qemu binutils)
fi
if [ "${KFIT_E2E_CONFIG_ONLY:-0}" = 1 ]; then   # no boot: no QEMU
    PKGS=("${PKGS[@]/qemu-system-x86}"); PKGS=("${PKGS[@]/swtpm}"); PKGS=("${PKGS[@]/busybox-static}")
    PKGS=("${PKGS[@]/qemu-system-arm}"); PKGS=("${PKGS[@]/ipxe-qemu}")
fi
missing=()
for p in "${PKGS[@]}"; do
    [ -n "$p" ] || continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
ccache -M 5G >/dev/null

step "Linux $VERSION tree"
"$ROOT/scripts/fetch-kernels.sh" "$VERSION"
# shellcheck disable=SC1090,SC1091
. "$CACHE/env/$VERSION"
[ -f "$TREE/Makefile" ] || die "no kernel tree at $TREE"
echo "TREE=$TREE (Linux $KVER)"
mkt() { local t=$1; shift; nice -n "$NICE" make -C "$t" "${MK_ARCH[@]}" CC="$CC_CMD" "${MK_TOOLS[@]}" "$@"; }
mk() { mkt "$TREE" "$@"; }
# --migrate-from V: the base and the fit (or --config) belong to Linux V;
# `kfit migrate` carries the config to $VERSION's tree.
FIT_TREE=$TREE FIT_VER=$VERSION
if [ -n "$MIGRATE_FROM" ]; then
    [ "$IX" = 0 ] || die "--migrate-from and --ix do not go together"
    [ "$MIGRATE_FROM" != "$VERSION" ] || die "--migrate-from $MIGRATE_FROM is the --version itself"
    "$ROOT/scripts/fetch-kernels.sh" "$MIGRATE_FROM"
    FIT_TREE=$(. "$CACHE/env/$MIGRATE_FROM" && echo "$TREE") FIT_VER=$MIGRATE_FROM
    [ -f "$FIT_TREE/Makefile" ] || die "no kernel tree at $FIT_TREE"
    echo "migrating from Linux $MIGRATE_FROM: $FIT_TREE"
    case $MIGRATE_FROM in
        6.12) KCONF_DIR=$CACHE/e2e/kconfig;;
        *) KCONF_DIR=$CACHE/e2e/kconfig-$MIGRATE_FROM;;
    esac
fi

# KFIT_E2E_BUILD_DIR: another kept O= dir (and its own base-config dir
# and lock), so that a run does not wait for, or touch, the default one.
if [ -n "${KFIT_E2E_BUILD_DIR:-}" ]; then
    BUILD_DIR=$(realpath -m "$KFIT_E2E_BUILD_DIR") KCONF_DIR=$BUILD_DIR-kconfig LOCK=$BUILD_DIR.lock
fi
# Only one run at a time may use the kept build dir.
mkdir -p "$BUILD_DIR" "$KCONF_DIR" "$CACHE/e2e"
exec 9>"$LOCK"
flock -n 9 || { echo "e2e-qemu: waiting for another run to finish"; flock 9; }

BUILD_S=- CC_N=- FINAL_Y=- FW_DROPPED=""
if [ -z "$KERNEL_IN" ]; then
# ------------------------------------------------------------ (2) base config
if [ -z "$CONFIG_IN" ] && [ "$IX" = 0 ]; then
    step "MODULES=n base config${MIGRATE_FROM:+ (Linux $MIGRATE_FROM)}"
    if [ "$BASE_IN" = tinyconfig ]; then
        # The smallest start: what the guest's CPUs and collect.sh's
        # initramfs need and nothing else; kfit adds the buses, the drivers
        # and (with --profile minimal-boot) what userspace needs.
        mkt "$FIT_TREE" -s O="$KCONF_DIR" tinyconfig >/dev/null
        if [ "$ROOTDISK" = 1 ]; then
            # No initramfs: the root disk's drivers must come from kfit.
            echo "base: tinyconfig of Linux $FIT_VER + 64BIT SMP, MODULES off (no initramfs support)"
            "$FIT_TREE/scripts/config" --file "$KCONF_DIR/.config" --enable 64BIT --enable SMP
        else
            echo "base: tinyconfig of Linux $FIT_VER + 64BIT SMP BLK_DEV_INITRD RD_ZSTD, MODULES off"
            "$FIT_TREE/scripts/config" --file "$KCONF_DIR/.config" \
                --enable 64BIT --enable SMP --enable BLK_DEV_INITRD --enable RD_ZSTD
        fi
    elif [ -n "$BASE_IN" ]; then
        echo "base: $BASE_IN (KFIT_E2E_BASE), with MODULES and debug info forced off"
        cp "$BASE_IN" "$KCONF_DIR/.config"
        # A distro base builds DWARF (and BTF) for every object: no device
        # binds because of it, and it costs a large part of the build.
        "$FIT_TREE/scripts/config" --file "$KCONF_DIR/.config" \
            --enable DEBUG_INFO_NONE --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
            --disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5 --disable DEBUG_INFO
    elif [ "$KARCH" = arm64 ]; then
        # arm64 defconfig is a kernel for every supported SoC: ~3200
        # symbols =y and ~1160 =m. With MODULES off, Kconfig makes every
        # tristate a bool and each `m` a `y` (scripts/kconfig/symbol.c,
        # sym_get_type and sym_calc_value), which would build all of
        # defconfig's modules into the Image: hours on 2 cores. The base is
        # what defconfig builds in; the machine's modules come from kfit
        # (its devices' drivers, its loaded modules). See docs/e2e.md.
        echo "base: $BASE_NAME, its modules off, no debug info, no Xen guest (scripts/config + olddefconfig)"
        mkt "$FIT_TREE" -s O="$KCONF_DIR" defconfig >/dev/null
        off=()
        # Every SoC platform (arch/arm64/Kconfig.platforms: `config ARCH_*`,
        # read from the tree): the QEMU virt machine is none of them.
        for s in $(sed -n 's/^config \(ARCH_[A-Z0-9_]*\)$/\1/p' "$FIT_TREE/arch/arm64/Kconfig.platforms"); do
            off+=(--disable "$s")
        done
        # defconfig's modules (every `=m` of the defconfig just made).
        for s in $(sed -n 's/^CONFIG_\(.*\)=m$/\1/p' "$KCONF_DIR/.config"); do off+=(--disable "$s"); done
        # XEN: "run Linux in a Virtual Machine on Xen" (arch/arm64/Kconfig);
        # QEMU's virt machine is no Xen VM. Debug info binds no device.
        "$FIT_TREE/scripts/config" --file "$KCONF_DIR/.config" "${off[@]}" --disable XEN \
            --enable DEBUG_INFO_NONE --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
            --disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5 --disable DEBUG_INFO
    else
        echo "base: x86_64_defconfig of Linux $FIT_VER without MODULES, i915 and Wi-Fi (scripts/config + olddefconfig)"
        mkt "$FIT_TREE" -s O="$KCONF_DIR" x86_64_defconfig >/dev/null
        # The two largest subsystems in defconfig that no QEMU machine has
        # hardware for (~500 of ~3000 objects): see docs/e2e.md.
        "$FIT_TREE/scripts/config" --file "$KCONF_DIR/.config" \
            --disable DRM_I915 --disable CFG80211 --disable MAC80211
    fi
    "$FIT_TREE/scripts/config" --file "$KCONF_DIR/.config" --disable MODULES
    mkt "$FIT_TREE" -s O="$KCONF_DIR" olddefconfig >/dev/null
    cp "$KCONF_DIR/.config" "$OUTDIR/base.config"
    grep -q '^# CONFIG_MODULES is not set' "$OUTDIR/base.config" || die "base still has MODULES"
    echo "base.config: $(grep -c '=y$' "$OUTDIR/base.config") symbols =y"
fi

# ------------------------------------------------------------ (3) kfit fit
if [ "$IX" = 1 ] && [ -z "$CONFIG_IN" ]; then
    step "ix machine package: kfit fit --ix, rendered as ix renders it"
    TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
    (cd "$ROOT" && nice -n 10 cargo build --release -p kfit) || die "cargo build -p kfit failed"
    read -r TB SHA < <("$ROOT/scripts/ix-source-tarball.sh" "$VERSION")
    IXD=$OUTDIR/ix
    rm -rf "$IXD"; mkdir -p "$IXD"
    cp -r "$SHARED/fixtures/ix-current/pkgs" "$IXD/"
    K=$IXD/pkgs/bin/kernel; MM=${VERSION/./\/}
    mkdir -p "$K/$MM"
    cp "$K/7/1/ix.sh" "$K/$MM/ix.sh"     # like 7/1: the shared cfg_6_16
    printf '{%% block kernel_version %%}\n%s\n{%% endblock %%}\n\n{%% block kernel_sha %%}\n%s\n{%% endblock %%}\n\n{%% block kernel_url %%}\nfile://%s\n{%% endblock %%}\n' \
        "$KVER" "$SHA" "$TB" > "$K/$MM/ver.sh"
    printf '#!/bin/sh\n# stub: kfit only finds the checkout through it\nexit 0\n' > "$IXD/ix"
    chmod +x "$IXD/ix"
    listing_files=()
    for f in $LISTINGS; do listing_files+=("$HW/$f"); done
    [ "$ROOTDISK" = 0 ] || for f in $SYSTEM_LISTINGS; do listing_files+=("$f"); done
    echo "kfit fit ${listing_files[*]} --ix --kernel $VERSION --name q35"
    PATH=$IXD:$PATH "$TARGET/release/kfit" fit "${listing_files[@]}" --ix --kernel "$VERSION" --name q35 \
        2>&1 | tee "$OUTDIR/kfit-fit.log" && rc=0 || rc=$?
    [ "$rc" -le 1 ] || die "kfit fit --ix failed (exit $rc, log: $OUTDIR/kfit-fit.log)"
    # t/0 writes the rendered text with an unquoted heredoc: the shell
    # expands ${LINUX_FIRMWARE} (the firmware package) there.
    python3 "$ROOT/scripts/ix-render.py" "$IXD" "bin/kernel/$MM/q35" \
        | sed "s|\${LINUX_FIRMWARE}|${KFIT_E2E_FIRMWARE_DIR:-/lib/firmware}|" > "$OUTDIR/fitted.config"
    [ -s "$OUTDIR/fitted.config" ] || die "rendering the ix package gave no config"
    echo "rendered: bin/kernel/$MM/q35 -> fitted.config ($(grep -c '=y$' "$OUTDIR/fitted.config") symbols =y)"
elif [ -n "$CONFIG_IN" ] && [ -z "$MIGRATE_FROM" ]; then
    step "config given with --config (kfit fit skipped)"
    cp "$CONFIG_IN" "$OUTDIR/fitted.config"
    echo "config: $CONFIG_IN"
else
    TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
    (cd "$ROOT" && nice -n 10 cargo build --release -p kfit) || die "cargo build -p kfit failed"
    listing_files=()
    for f in $LISTINGS; do listing_files+=("$HW/$f"); done
    [ "$ROOTDISK" = 0 ] || for f in $SYSTEM_LISTINGS; do listing_files+=("$f"); done
    FIT_OUT=$OUTDIR/fitted.config
    [ -z "$MIGRATE_FROM" ] || FIT_OUT=$OUTDIR/fitted-$MIGRATE_FROM.config
    if [ -n "$CONFIG_IN" ]; then
        step "config of Linux $MIGRATE_FROM given with --config (kfit fit skipped)"
        cp "$CONFIG_IN" "$FIT_OUT"
        echo "config: $CONFIG_IN"
    else
        step "kfit fit${MIGRATE_FROM:+ on Linux $MIGRATE_FROM}"
        fit_args=(--tree "$FIT_TREE" "${FIT_ARCH[@]}" --cc "$FIT_CC" --base "$OUTDIR/base.config")
        [ "$TRIM" = 0 ] || fit_args+=(--trim)
        fit_args+=("${PROFILES[@]}")
        echo "kfit fit ${listing_files[*]} ${fit_args[*]} -o $(basename "$FIT_OUT")"
        t0=$(date +%s.%N)
        rm -f "$FIT_OUT"
        "$TARGET/release/kfit" fit "${listing_files[@]}" "${fit_args[@]}" -o "$FIT_OUT" 2>&1 \
            | tee "$OUTDIR/kfit-fit.log" && rc=0 || rc=$?
        # kfit exits 1 when some device cannot be driven; the config is still
        # written and the boot below is the judge. 2 is an error.
        [ "$rc" -le 1 ] || die "kfit fit failed (exit $rc, log: $OUTDIR/kfit-fit.log)"
        [ "$rc" -eq 0 ] || echo "WARNING: kfit reports devices it cannot drive (exit 1); building anyway"
        [ -s "$FIT_OUT" ] || die "kfit fit wrote no config"
        echo "kfit fit: $(secs "$t0" "$(date +%s.%N)") s"
    fi
    if [ -n "$MIGRATE_FROM" ]; then
        step "kfit migrate: Linux $MIGRATE_FROM -> $VERSION, with the listings"
        echo "kfit migrate --config $(basename "$FIT_OUT") --from-tree $FIT_TREE --to-tree $TREE ${listing_files[*]} --cc gcc -o fitted.config"
        t0=$(date +%s.%N)
        rm -f "$OUTDIR/fitted.config"
        "$TARGET/release/kfit" migrate --config "$FIT_OUT" --from-tree "$FIT_TREE" --to-tree "$TREE" \
            "${listing_files[@]}" --cc gcc -o "$OUTDIR/fitted.config" 2>&1 \
            | tee "$OUTDIR/kfit-migrate.log" && rc=0 || rc=$?
        [ "$rc" -le 1 ] || die "kfit migrate failed (exit $rc, log: $OUTDIR/kfit-migrate.log)"
        [ "$rc" -eq 0 ] || echo "WARNING: kfit migrate reports devices not driven (exit 1); building anyway"
        [ -s "$OUTDIR/fitted.config" ] || die "kfit migrate wrote no config"
        echo "kfit migrate: $(secs "$t0" "$(date +%s.%N)") s"
    fi
fi

# ------------------------------------------------------------ (4) olddefconfig
step "kernel's own olddefconfig on the config"
cp "$OUTDIR/fitted.config" "$BUILD_DIR/.config"
mk -s O="$BUILD_DIR" olddefconfig >/dev/null
cp "$BUILD_DIR/.config" "$OUTDIR/final.config"
# Firmware the config builds in (CONFIG_EXTRA_FIRMWARE) must exist under
# CONFIG_EXTRA_FIRMWARE_DIR or the build stops. KFIT_E2E_FIRMWARE_DIR points
# at a linux-firmware tree. Files found nowhere are left out, loudly: the
# guest has no /lib/firmware either (Debian's reference run had none), so
# binding never depended on them (e100's ucode is optional CPUSaver code).
FW_DROPPED=""
fw_list=$(sed -n 's/^CONFIG_EXTRA_FIRMWARE="\(.*\)"$/\1/p' "$OUTDIR/final.config")
if [ -n "$fw_list" ]; then
    fw_dir=${KFIT_E2E_FIRMWARE_DIR:-$(sed -n 's/^CONFIG_EXTRA_FIRMWARE_DIR="\(.*\)"$/\1/p' "$OUTDIR/final.config")}
    fw_dir=${fw_dir:-/lib/firmware}
    keep=() drop=()
    for f in $fw_list; do
        if [ -f "$fw_dir/$f" ]; then keep+=("$f"); else drop+=("$f"); fi
    done
    if [ ${#drop[@]} -gt 0 ] || [ -n "${KFIT_E2E_FIRMWARE_DIR:-}" ]; then
        FW_DROPPED="${drop[*]}"
        [ ${#drop[@]} -eq 0 ] || echo "WARNING: firmware not found under $fw_dir, left out of CONFIG_EXTRA_FIRMWARE: $FW_DROPPED"
        "$TREE/scripts/config" --file "$BUILD_DIR/.config" \
            --set-str EXTRA_FIRMWARE "${keep[*]}" --set-str EXTRA_FIRMWARE_DIR "$fw_dir"
        mk -s O="$BUILD_DIR" olddefconfig >/dev/null
        cp "$BUILD_DIR/.config" "$OUTDIR/final.config"
    fi
fi
"$ROOT/scripts/e2e/config-diff.sh" "$OUTDIR/fitted.config" "$OUTDIR/final.config" \
    | tee "$OUTDIR/olddefconfig-diff.txt"
grep -q '^# CONFIG_MODULES is not set' "$OUTDIR/final.config" \
    || die "final config has CONFIG_MODULES set: this pipeline proves statically linked kernels"
# What collect.sh's boot needs from any kernel (zstd initramfs, busybox
# script /init, devtmpfs, console on ttyS0 and results on ttyS1): fail here
# rather than after a 20-minute build and a QEMU timeout. With --root-disk
# there is no initramfs: the root's filesystem, disk driver and partition
# parser instead.
BOOT_NEEDS="64BIT BLK_DEV_INITRD RD_ZSTD"
[ "$ROOTDISK" = 0 ] || BOOT_NEEDS="64BIT $ROOT_SYMS"
lacking=()
for s in $BOOT_NEEDS DEVTMPFS PROC_FS SYSFS TTY PRINTK BINFMT_ELF \
         BINFMT_SCRIPT $BOOT_CONSOLE; do
    grep -q "^CONFIG_$s=y" "$OUTDIR/final.config" || lacking+=("$s")
done
if [ "$ROOTDISK" = 1 ]; then
    # Why each root symbol is on: the base's value and kfit's chain from
    # the listing line to the symbol (`kfit explain`: a system requirement
    # with its evidence, or the device whose driver it is).
    step "root disk: ${ROOT_SYMS// /, } (kfit's choice, not the base's)"
    {
        for s in $ROOT_SYMS; do
            b=$(sed -n "s/^CONFIG_$s=//p" "$OUTDIR/base.config" 2>/dev/null); b=${b:-n}
            echo "CONFIG_$s: base ${b}, final $(sed -n "s/^CONFIG_$s=//p" "$OUTDIR/final.config")"
            if [ -n "${TARGET:-}" ] && [ -n "${listing_files+x}" ] && [ -f "$OUTDIR/base.config" ]; then
                "$TARGET/release/kfit" explain "$s" "${listing_files[@]}" --tree "$FIT_TREE" \
                    --cc gcc --base "$OUTDIR/base.config" "${PROFILES[@]}" 2>&1 | sed -n 2p \
                    | sed -E 's/^ *([^ ]*\+[^ ]*: )?/  kfit: /' || true   # without the machine name (the listings joined by +)
            fi
        done
    } | tee "$OUTDIR/root-disk-reasons.txt"
fi
[ ${#lacking[@]} -eq 0 ] || die "the config cannot run collect.sh's boot (root disk: $ROOTDISK); not =y: ${lacking[*]}"
if [ "${KFIT_E2E_CONFIG_ONLY:-0}" = 1 ]; then
    echo "KFIT_E2E_CONFIG_ONLY=1: stopping before the build; final config: $OUTDIR/final.config"
    exit 0
fi

# ------------------------------------------------------------ (5) bzImage
step "make -j$JOBS $IMAGE_TARGET (O=$BUILD_DIR, ccache $CCACHE_DIR)"
ccache -z >/dev/null
t0=$(date +%s.%N)
if ! mk O="$BUILD_DIR" -j"$JOBS" "$IMAGE_TARGET" > "$OUTDIR/build.log" 2>&1; then
    tail -40 "$OUTDIR/build.log"
    die "kernel build failed (log: $OUTDIR/build.log)"
fi
BUILD_S=$(secs "$t0" "$(date +%s.%N)")
ccache -s > "$OUTDIR/ccache-stats.txt" 2>&1 || true
CC_N=$(grep -cE '^  (CC|AS)  ' "$OUTDIR/build.log" || true)
BZIMAGE=$OUTDIR/$IMAGE_TARGET
cp "$BUILD_DIR/$IMAGE_PATH" "$BZIMAGE"
echo "build: ${BUILD_S} s, $CC_N objects compiled, $IMAGE_TARGET $(du -h "$BZIMAGE" | cut -f1)"
grep -iE 'hits|misses|cacheable' "$OUTDIR/ccache-stats.txt" | sed 's/^/  ccache: /' | head -4 || true
FINAL_Y=$(grep -c '=y$' "$OUTDIR/final.config")
else
    step "kernel given with --kernel (steps 2-5 skipped)"
    BZIMAGE=$OUTDIR/$IMAGE_TARGET
    cp "$KERNEL_IN" "$BZIMAGE"
    echo "kernel: $KERNEL_IN"
fi

# ------------------------------------------------------------ (6) boot
step "boot in QEMU (collect.sh KERNEL_IMAGE mode)"
COLLECT=$OUTDIR/collect
rm -rf "$COLLECT" "$OUTDIR/guest"
mkdir -p "$COLLECT/work"
if [ "$ROOTDISK" = 1 ]; then
    # The same devices; the virtio-blk disk is an ext4 root, no initramfs.
    "$ROOT/scripts/e2e/rootdisk/prepare.sh" "$HW" "$COLLECT"
else
    cp "$SCRIPTS/collect.sh" "$SCRIPTS/init" "$SCRIPTS/compare.sh" "$COLLECT/"   # a private copy: shared/ stays untouched
fi
# arm64: collect.sh keeps the guest's arm64 userspace (apt-get download)
# in its WORK dir; a kept one fetches it once.
COLLECT_WORK=$COLLECT/work
if [ "$KARCH" = arm64 ]; then
    COLLECT_WORK=$CACHE/e2e/collect-arm64
    mkdir -p "$COLLECT_WORK"
fi
t0=$(date +%s.%N)
WORK=$COLLECT_WORK KERNEL_IMAGE=$BZIMAGE KVER=kfit-e2e QEMU_TIMEOUT=${QEMU_TIMEOUT:-$QEMU_TIMEOUT_DEFAULT} ROOTDISK_INITRD=0 \
    "$COLLECT/collect.sh" "$OUTDIR/guest" 2>&1 | tee "$OUTDIR/collect.log"
COLLECT_S=$(secs "$t0" "$(date +%s.%N)")
BOOT_S=$(sed -n 's/^qemu_wall_seconds=//p' "$OUTDIR/guest/run-info.txt" 2>/dev/null | head -1)
BOOT_S=$(printf '%.1f' "${BOOT_S:-0}")
GUEST_DONE=$(sed -n 's/^guest_done_line=init: done t=//p' "$OUTDIR/guest/run-info.txt" 2>/dev/null | head -1)
if [ ! -s "$OUTDIR/guest/drivers.txt" ]; then
    tail -30 "$OUTDIR/guest/console.log" 2>/dev/null || true
    die "the guest delivered no results (console: $OUTDIR/guest/console.log)"
fi
ROOT_MOUNT=-
if [ "$ROOTDISK" = 1 ]; then
    # The proof that the kernel ran from the disk: / in the guest's mounts.
    # A root the kernel mounted itself shows as /dev/root in /proc/mounts;
    # lsblk (by device number) names the partition mounted on /.
    ROOT_MOUNT=$(awk '$2=="/"{print $1" "$3}' "$OUTDIR/guest/mounts.txt" 2>/dev/null | tail -1)
    ROOT_DEV=$(awk '$NF=="/"{n=$1; gsub(/^[^[:alnum:]]+/, "", n); print n" "($0 ~ / ext4 / ? "ext4" : "not-ext4")}' \
               "$OUTDIR/guest/lsblk.txt" 2>/dev/null | tail -1)
    echo "guest root: ${ROOT_MOUNT:-none} (/proc/mounts), ${ROOT_DEV:-none} (lsblk: device, FSTYPE)"
    [ "$ROOT_DEV" = "vda1 ext4" ] && [ "${ROOT_MOUNT#* }" = ext4 ] \
        || die "the guest's / is not ext4 on vda1 (mounts: ${ROOT_MOUNT:-none}; lsblk: ${ROOT_DEV:-none})"
    ROOT_MOUNT="/dev/vda1 (${ROOT_MOUNT%% *} in /proc/mounts) ext4"
fi

# ------------------------------------------------------------ (7) compare
step "compare.sh (Debian's bindings vs this kernel)"
set +e
"$COLLECT/compare.sh" "$HW" "$OUTDIR/guest" > "$OUTDIR/compare.txt" 2> "$OUTDIR/compare-summary.txt"
CMP_RC=$?
set -e
cat "$OUTDIR/compare.txt" "$OUTDIR/compare-summary.txt"
"$ROOT/scripts/e2e/analyse.sh" "$HW" "$OUTDIR/guest" "$OUTDIR/compare.txt" \
    > "$OUTDIR/analysis.txt"
cat "$OUTDIR/analysis.txt"
# shellcheck disable=SC1090
. <(sed -n 's/^# \([A-Z_]*=[0-9]*\)$/\1/p' "$OUTDIR/analysis.txt")

# ------------------------------------------------------------ summary
TOTAL_S=$(( $(date +%s) - T_START ))
{
    if [ -n "$KERNEL_IN" ]; then
        echo "kernel:         $KERNEL_IN (given with --kernel, not built here)"
    else
        echo "kernel:         Linux $KVER $KARCH $IMAGE_TARGET, $FINAL_Y symbols =y, MODULES=n"
        if [ "$IX" = 1 ]; then
            echo "config:         ix machine package bin/kernel/${VERSION/./\/}/q35 (kfit fit --ix on cfg_6_16), rendered; built with clang + ld.lld + LLVM tools (ix's t/0)"
        else
            how=${CONFIG_IN:-kfit fit}; [ "$TRIM" = 0 ] || how="$how --trim"
            [ ${#PROFILES[@]} = 0 ] || how="$how ${PROFILES[*]}"
            [ -z "$MIGRATE_FROM" ] || how="$how on Linux $MIGRATE_FROM, kfit migrate to $VERSION"
            echo "config:         $how (base: ${BASE_IN:-$BASE_DESC}${BASE_IN:+, MODULES and debug info off})"
        fi
    fi
    echo "build time:     ${BUILD_S} s (make -j$JOBS $IMAGE_TARGET, $CC_N objects compiled)"
    [ "$ROOTDISK" = 0 ] || echo "root:           $ROOT_MOUNT, no initramfs (root=/dev/vda1 rootfstype=ext4; ${ROOT_SYMS// /, } =y)"
    echo "boot time:      ${BOOT_S} s QEMU wall (TCG; guest done at ${GUEST_DONE:-?}), collect.sh ${COLLECT_S} s"
    echo "devices bound:  ${TEST_BOUND} by this kernel vs ${REF_BOUND} by Debian (compare.sh keys: ${REF_KEYS} bound by Debian, ${KEYS_OK} bound here)"
    echo "compare.sh:     $(cat "$OUTDIR/compare-summary.txt") [exit $CMP_RC]"
    [ -z "$FW_DROPPED" ] || echo "firmware:       left out of CONFIG_EXTRA_FIRMWARE (not on this host): $FW_DROPPED"
    echo "bus moves:      ${MOVED} key(s) Debian bound on one bus that this kernel binds with the same driver on another"
    echo "still missing:  ${MISSING_REAL}"
    echo "unbound here:   ${UNBOUND_BAD} key(s) Debian bound, ${UNBOUND_BOTH} Debian leaves unbound too, ${UNBOUND_NEW} not in Debian's listing"
    echo "total:          ${TOTAL_S} s; files in $OUTDIR"
} | tee "$OUTDIR/summary.txt"
if [ "$MISSING_REAL" -gt 0 ]; then
    echo "E2E FAIL: $MISSING_REAL device key(s) Debian bound are unbound here"
    exit 1
fi
echo "E2E PASS: every device Debian bound is bound"
