#!/usr/bin/env bash
# Benchmark: `kfit fit` (index and probes cached) against `make localyesconfig`
# on the same 6.12 tree, same machine (the seed), run side by side; prints
# medians and the ratio. Not a test: timings depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-kernels.sh 6.12 >&2
. "${KFIT_CACHE:-$HOME/.cache/kfit}/env/6.12"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -q -p kfit
KFIT=$CARGO_TARGET_DIR/release/kfit
RUNS=${RUNS:-5}
W=$(mktemp -d)
cp "$BUILD/x86_64_defconfig.config" "$W/base.config"
# localyesconfig needs the modules as lsmod lines; the seed's 11 modules:
printf 'Module Size Used by\n' > "$W/lsmod"
for m in amdgpu nvme amd_sfh snd_pci_acp3x iwlwifi xhci_pci snd_hda_intel ccp i2c_piix4 k10temp ahci; do
    printf '%s 16384 0\n' "$m" >> "$W/lsmod"
done
"$KFIT" fit examples/seed/lspci-k.txt --tree "$TREE" --base "$W/base.config" --cc gcc -o "$W/kfit.config" >/dev/null || true
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t_kfit=(); t_lyc=()
for i in $(seq "$RUNS"); do
    s=$(date +%s.%N); "$KFIT" fit examples/seed/lspci-k.txt --tree "$TREE" --base "$W/base.config" --cc gcc -o "$W/kfit.config" >/dev/null || true; e=$(date +%s.%N)
    t_kfit+=("$(echo "$e - $s" | bc)")
    mkdir -p "$W/o"; cp "$W/base.config" "$W/o/.config"
    s=$(date +%s.%N); make -s -C "$TREE" O="$W/o" ARCH=x86 LSMOD="$W/lsmod" localyesconfig >/dev/null 2>&1 </dev/null || true; e=$(date +%s.%N)
    t_lyc+=("$(echo "$e - $s" | bc)")
done
mk=$(printf '%s\n' "${t_kfit[@]}" | median); ml=$(printf '%s\n' "${t_lyc[@]}" | median)
printf 'kfit fit (seed, 6.12, cached index)   median %.3f s over %d runs\n' "$mk" "$RUNS"
printf 'make localyesconfig (same tree/base)  median %.3f s over %d runs\n' "$ml" "$RUNS"
printf 'ratio localyesconfig / kfit: %.1fx\n' "$(echo "$ml / $mk" | bc -l)"
rm -rf "$W"
