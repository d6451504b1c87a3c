#!/usr/bin/env bash
# Fetch and cache the real kernel trees and Debian ground truth that kfit's
# integration tests, benchmarks and quick start use.
#
# Everything lands in ${KFIT_CACHE:-~/.cache/kfit}, outside the clone, and is
# reused on later runs (each step leaves a stamp file). Needs root for apt-get
# (as on a fresh Debian 12 machine or in CI).
#
#   scripts/fetch-kernels.sh [6.12] [6.1] [6.12-arm64]   (default: 6.12 6.1)
#
# Per version V it produces:
#   $KFIT_CACHE/trees/V/            pristine source tree from Debian's linux-source-V
#   $KFIT_CACHE/build/V/            O= build dir with scripts/kconfig/conf built
#                                   (the oracle), and .config = x86_64_defconfig
#   $KFIT_CACHE/debian/V/config     Debian's amd64 config for that version
#   $KFIT_CACHE/debian/V/lib/modules/<abi>/modules.alias ...   (depmod -b)
#   $KFIT_CACHE/env/V               KEY=VALUE lines: TREE BUILD KVER ABI
#
# V-ARCH (a Debian architecture other than amd64, e.g. 6.12-arm64) is the
# same tree (fetched as for V) with Debian's ARCH image as ground truth:
#   $KFIT_CACHE/debian/V-ARCH/config, .../lib/modules/<abi>/modules.alias
#   $KFIT_CACHE/env/V-ARCH          TREE KVER DEBIAN ABI DEBARCH (no BUILD)
# The image comes through the machine's configured apt sources, with ARCH
# added as a foreign architecture (dpkg --add-architecture) when needed.
set -euo pipefail

CACHE=${KFIT_CACHE:-$HOME/.cache/kfit}
VERSIONS=("$@")
[ ${#VERSIONS[@]} -gt 0 ] || VERSIONS=(6.12 6.1)
mkdir -p "$CACHE"/{trees,build,debian,env,debs}

log() { printf '[fetch-kernels] %s\n' "$*" >&2; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

apt_ready() {
    [ -f "$CACHE/.apt-updated" ] && [ -z "${CI:-}" ] && return 0
    [ -n "${APT_UPDATED:-}" ] && return 0
    log "apt-get update"
    $SUDO apt-get update -qq
    APT_UPDATED=1
    touch "$CACHE/.apt-updated"
}

need_pkgs() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    apt_ready
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Host tools the kernel's own kconfig needs to build conf, and kmod for depmod.
need_pkgs make gcc flex bison bc xz-utils kmod libc6-dev
# ix builds its kernels with clang + ld.lld (LLVM=1): the --ix tests and
# `make LLVM=1` comparisons need them; curl fetches ver.sh sources,
# python3-jinja2 renders ix templates (scripts/ix-render.py).
need_pkgs clang lld llvm curl python3-jinja2
# pci.ids/usb.ids (names -> ids for listings without -n; kfit-hw's tests need
# them) and pciutils (scripts/hw-variants.sh renders listings with lspci -F).
need_pkgs pci.ids usb.ids pciutils usbutils
# man-db: crates/cli/tests/json.rs renders `kfit man` with `man -l`.
# strace: crates/cli/tests/fit_snapshots.rs checks that a warm fit opens no
# .c or .h file of the tree.
need_pkgs man-db strace
# gcc-aarch64-linux-gnu (with its binutils): crates/cli/tests/cross_toolchain.rs
# compares `kfit --arch arm64` with `make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-`,
# and scripts/e2e-qemu.sh --arch arm64 cross-builds with it.
need_pkgs gcc-aarch64-linux-gnu

for SERIES in "${VERSIONS[@]}"; do
    V=${SERIES%%-*}
    DARCH=amd64
    [ "$SERIES" = "$V" ] || DARCH=${SERIES#*-}
    TREE=$CACHE/trees/$V
    BUILD=$CACHE/build/$V
    DEB=$CACHE/debian/$SERIES
    if [ "$DARCH" != amd64 ] && ! { [ "$(dpkg --print-architecture)" = "$DARCH" ] \
        || dpkg --print-foreign-architectures | grep -qx "$DARCH"; }; then
        log "dpkg --add-architecture $DARCH"
        $SUDO dpkg --add-architecture "$DARCH"
        rm -f "$CACHE/.apt-updated"; APT_UPDATED=
    fi

    # 1. the source tree
    if [ ! -f "$TREE/.kfit-extracted" ]; then
        need_pkgs "linux-source-$V"
        tarball=$(ls /usr/src/linux-source-"$V".tar.* | head -1)
        log "extracting $tarball"
        rm -rf "$TREE" "$TREE.tmp"
        mkdir -p "$TREE.tmp"
        tar -xf "$tarball" -C "$TREE.tmp" --strip-components=1
        touch "$TREE.tmp/.kfit-extracted"
        mv "$TREE.tmp" "$TREE"
    fi
    KVER=$(make -s -C "$TREE" kernelversion 2>/dev/null)

    # 2. conf, built out of tree so the source stays pristine
    if [ "$DARCH" = amd64 ] && { [ ! -x "$BUILD/scripts/kconfig/conf" ] || [ ! -f "$BUILD/.kfit-defconfig" ]; }; then
        log "building scripts/kconfig/conf for $V (O=$BUILD)"
        rm -rf "$BUILD"; mkdir -p "$BUILD"
        make -s -C "$TREE" O="$BUILD" ARCH=x86 x86_64_defconfig >/dev/null
        cp "$BUILD/.config" "$BUILD/x86_64_defconfig.config"
        touch "$BUILD/.kfit-defconfig"
    fi

    # 3. Debian's image of the same version: config + modules.alias ground truth
    if [ ! -f "$DEB/.kfit-done" ]; then
        apt_ready
        case $V in
            6.1) meta=linux-image-$DARCH ;;
            *) meta=linux-image-$V-$DARCH ;;
        esac
        img=$(apt-cache depends "$meta:$DARCH" 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
        img=${img%:"$DARCH"}
        [ -n "$img" ] || { log "cannot find the image package behind $meta:$DARCH"; exit 1; }
        # Prefer the unsigned package (same modules, no signature wrapper).
        if apt-cache show "$img-unsigned:$DARCH" >/dev/null 2>&1; then img=$img-unsigned; fi
        log "downloading $img:$DARCH"
        rm -rf "$DEB" "$DEB.tmp"; mkdir -p "$DEB.tmp"
        (cd "$CACHE/debs" && apt-get download -qq "$img:$DARCH" >/dev/null)
        dpkg-deb -x "$(ls -t "$CACHE"/debs/"$img"_*_"$DARCH".deb | head -1)" "$DEB.tmp"
        abi=$(ls "$DEB.tmp/lib/modules" | head -1)
        depmod -b "$DEB.tmp" "$abi"
        cp "$DEB.tmp/boot/config-$abi" "$DEB.tmp/config"
        echo "$abi" > "$DEB.tmp/abi"
        touch "$DEB.tmp/.kfit-done"
        mv "$DEB.tmp" "$DEB"
    fi

    if [ "$DARCH" = amd64 ]; then
        cat > "$CACHE/env/$SERIES" <<EOT
TREE=$TREE
BUILD=$BUILD
KVER=$KVER
DEBIAN=$DEB
ABI=$(cat "$DEB/abi")
EOT
    else
        cat > "$CACHE/env/$SERIES" <<EOT
TREE=$TREE
KVER=$KVER
DEBIAN=$DEB
ABI=$(cat "$DEB/abi")
DEBARCH=$DARCH
EOT
    fi
    log "$SERIES ready: tree $TREE (Linux $KVER), Debian $(cat "$DEB/abi")"
done
