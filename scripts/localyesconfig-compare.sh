#!/usr/bin/env bash
# kfit beside `make localyesconfig` on the same tree, base and lsmod (#13, #21).
#
# For each lsmod file (lsmod output, /proc/modules or a module list; default:
# the q35 reference machine's modules-loaded.txt and an lsmod of the seed
# laptop's drivers) it runs, on the cached Debian 6.12 tree:
#   * make localyesconfig with Debian's own config and LSMOD=<file>;
#   * kfit fit <file> --trim on Debian's config with MODULES off;
# and prints, per lsmod module, whether each config builds it in (kfit's
# "loaded on the listed machine" verdicts, read back with the config as
# base), whether kfit covers everything localyesconfig covers, and one
# benchmark line: built-in device drivers, =y symbols, config size, time.
#
#   scripts/localyesconfig-compare.sh [LSMOD...]
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KFIT_CACHE:-$HOME/.cache/kfit}
[ -f "$CACHE/env/6.12" ] || "$HERE/scripts/fetch-kernels.sh" 6.12
# shellcheck disable=SC1091
. "$CACHE/env/6.12"
SHARED=$HERE/../shared
[ -d "$SHARED" ] || SHARED=$HERE/../../shared
KFIT=${KFIT:-$HERE/target/release/kfit}
[ -x "$KFIT" ] || (cd "$HERE" && cargo build --release -p kfit >&2)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

LSMODS=("$@")
if [ ${#LSMODS[@]} -eq 0 ]; then
    LSMODS=("$SHARED/hw/qemu-q35-debian61/modules-loaded.txt")
    # The seed laptop's lsmod: the modules of its bound drivers.
    "$KFIT" fit "$HERE/examples/seed/lspci-k.txt" --tree "$TREE" --base "$DEBIAN/config" --cc gcc --json 2>/dev/null |
        python3 -c 'import json,sys
f=json.load(sys.stdin); seen=set()
print("Module                  Size  Used by")
for d in f["machines"][0]["devices"]:
    for m in d["modules"]:
        if d.get("driver") and m["how"]["kind"] != "companion" and m["module"] not in seen:
            seen.add(m["module"]); print(m["module"].ljust(24) + "16384  0")' > "$WORK/seed-lsmod.txt"
    LSMODS+=("$WORK/seed-lsmod.txt")
fi

# Debian's config with MODULES off (kfit builds everything in).
BASE=$WORK/debian-nomodules.config
mkdir -p "$WORK/base"
cp "$DEBIAN/config" "$WORK/base/.config"
"$TREE/scripts/config" --file "$WORK/base/.config" --disable MODULES
make -s -C "$TREE" O="$WORK/base" ARCH=x86 olddefconfig </dev/null >/dev/null 2>&1
cp "$WORK/base/.config" "$BASE"

# verdicts FIT_JSON: "module verdict" per loaded module.
verdicts() {
    python3 -c 'import json,sys
f=json.load(open(sys.argv[1]))
for m in f["machines"]:
    for l in m.get("loaded", []):
        print(l["listed"], l["verdict"])
print("#drivers", f["precision"]["device_drivers_built_in"])' "$1"
}

status=0
for L in "${LSMODS[@]}"; do
    name=$(basename "$L")
    LY=$WORK/ly-$name
    mkdir -p "$LY"
    cp "$DEBIAN/config" "$LY/.config"
    t0=$(date +%s.%N)
    make -s -C "$TREE" O="$LY" ARCH=x86 LSMOD="$L" localyesconfig </dev/null >/dev/null 2>&1
    t1=$(date +%s.%N)
    "$KFIT" fit "$L" --tree "$TREE" --base "$BASE" --cc gcc --trim --json -o "$WORK/kfit-$name.config" >"$WORK/kfit-$name.json" 2>/dev/null || true
    t2=$(date +%s.%N)
    # Coverage of each config, read back with it as the base (no change made
    # for a module it already builds in: verdict already_on).
    "$KFIT" fit "$L" --tree "$TREE" --base "$LY/.config" --cc gcc --json >"$WORK/ly-$name.json" 2>/dev/null || true
    "$KFIT" fit "$L" --tree "$TREE" --base "$WORK/kfit-$name.config" --cc gcc --json >"$WORK/kf-$name.json" 2>/dev/null || true
    verdicts "$WORK/ly-$name.json" >"$WORK/ly-$name.v"
    verdicts "$WORK/kf-$name.json" >"$WORK/kf-$name.v"
    python3 - "$WORK/ly-$name.v" "$WORK/kf-$name.v" "$name" <<'PY' || status=1
import sys
def load(p):
    v, n = {}, 0
    for l in open(p):
        k, x = l.split()
        if k == "#drivers": n = int(x)
        else: v[k] = x
    return v, n
ly, _ = load(sys.argv[1]); kf, _ = load(sys.argv[2])
on = lambda v: v == "already_on"
mods = sorted(ly)
print(f"== {sys.argv[3]}: {len(mods)} modules")
print(f"{'module':<28} {'localyesconfig':<16} kfit")
for m in mods:
    a, b = ly[m], kf.get(m, "?")
    if not (on(a) and on(b)):
        print(f"{m:<28} {('built in' if on(a) else a):<16} {('built in' if on(b) else b)}")
cov_ly = [m for m in mods if on(ly[m])]
cov_kf = [m for m in mods if on(kf.get(m, ""))]
lost = [m for m in cov_ly if m not in cov_kf]
print(f"coverage: localyesconfig {len(cov_ly)}/{len(mods)}, kfit {len(cov_kf)}/{len(mods)}")
if lost:
    print("kfit misses what localyesconfig builds in:", " ".join(lost))
    sys.exit(1)
print("kfit covers everything localyesconfig covers")
PY
    lyd=$(grep '^#drivers' "$WORK/ly-$name.v" | cut -d' ' -f2)
    kfd=$(grep '^#drivers' "$WORK/kf-$name.v" | cut -d' ' -f2)
    printf 'bench %s: localyesconfig %s device drivers built in, %s =y, %s bytes, %.1f s | kfit --trim %s device drivers built in, %s =y, %s bytes, %.2f s\n' \
        "$name" "$lyd" "$(grep -c '=y$' "$LY/.config")" "$(wc -c <"$LY/.config")" "$(echo "$t1 - $t0" | bc)" \
        "$kfd" "$(grep -c '=y$' "$WORK/kfit-$name.config")" "$(wc -c <"$WORK/kfit-$name.config")" "$(echo "$t2 - $t1" | bc)"
done
exit $status
