#!/usr/bin/env bash
# The README's first quick-start command: fit a kernel to the bundled seed
# machine (examples/seed/lspci-k.txt, an AMD Renoir laptop from the ix kernel
# guide) starting from ix's own kernel config and from a minimal
# MODULES=n x86_64_defconfig, on Debian's Linux 6.12 source.
# Installs what it needs on a fresh Debian 12 machine (as root).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
    echo "quickstart: cargo is needed (rustup.rs or Debian's cargo package)" >&2
    exit 2
fi
scripts/fetch-kernels.sh 6.12 >&2
. "${KFIT_CACHE:-$HOME/.cache/kfit}/env/6.12"
# KFIT=<binary>: use that kfit instead of building one (tests/readme.rs).
if [ -z "${KFIT:-}" ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
    cargo build --release -q -p kfit
    KFIT=$CARGO_TARGET_DIR/release/kfit
fi
OUT=${KFIT_OUT:-target/quickstart}
mkdir -p "$OUT"

# A minimal base made with the kernel's own tools: x86_64_defconfig without modules.
BASE=$OUT/x86_64_defconfig-nomodules.config
if [ ! -f "$BASE" ]; then
    tmp=$(mktemp -d)
    cp "$BUILD/x86_64_defconfig.config" "$tmp/.config"
    "$TREE/scripts/config" --file "$tmp/.config" --disable MODULES
    make -s -C "$TREE" O="$tmp" ARCH=x86 olddefconfig >/dev/null
    cp "$tmp/.config" "$BASE"
    rm -rf "$tmp"
fi

echo "== 1. the seed machine on x86_64_defconfig without modules"
"$KFIT" fit examples/seed/lspci-k.txt --tree "$TREE" --base "$BASE" --cc gcc -o "$OUT/seed.config" || true
echo
echo "== 2. the same machine on ix's cfg_6_16 (the config it already runs)"
"$KFIT" fit examples/seed/lspci-k.txt --tree "$TREE" --base examples/seed/cfg_6_16 --cc gcc -o "$OUT/seed-ix.config" || true
echo
echo "== why is CONFIG_IWLMVM on?"
"$KFIT" explain IWLMVM examples/seed/lspci-k.txt --tree "$TREE" --base "$BASE" --cc gcc
