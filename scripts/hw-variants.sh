#!/usr/bin/env bash
# Derive the "information removed" variants of the visible listings that the
# tests fit from (issue #13): what users really paste when they lack -k, -n
# or anything but lsmod. Never edit the outputs by hand: rerun this script.
#
#   scripts/hw-variants.sh [OUT_DIR]     (default: crates/hw/tests/data/variants)
#   scripts/hw-variants.sh --check       regenerate into a temp dir and diff
#
# Inputs (copies kept in crates/hw/tests/data, checked equal to ../shared):
#   q35/lspci-nnk.txt, q35/lspci-nk.txt, q35/lsusb-t.txt, q35/modules-loaded.txt
#   seed/seed-lspci-k.txt (busybox lspci -k)
# Outputs:
#   q35/ids-only/lspci-nn.txt     lspci-nnk.txt without the Kernel driver/modules lines
#   q35/ids-only/lspci-n.txt      lspci-nk.txt  without them
#   q35/ids-only/lsusb-t.txt      lsusb -t with every Driver= emptied
#   q35/names-only/lspci.txt      lspci-nnk.txt without driver lines and without its
#                                 bracketed codes, as plain `lspci -v`'s first lines
#                                 print them ("Device [1234:1111]" -> "Device 1234:1111",
#                                 "Red Hat, Inc. Device [1af4:1100]" -> "... Device 1100");
#                                 ("Unassigned class [ff00]" keeps its code when pci.ids
#                                 has no such subclass, as lspci does); checked equal to
#                                 the real plain lspci-k.txt minus drivers
#   q35/lsmod-only/lsmod.txt      modules-loaded.txt as lsmod prints it (sizes unknown: 0)
#   seed/ids-only/lspci.txt       busybox lspci without the driver column
#   seed/names-only/lspci.txt     plain `lspci` of the seed machine: the busybox ids
#                                 rendered by the real lspci (-F, from a synthesized
#                                 64-byte config dump) with this machine's pci.ids
#   seed/names-only/lspci-nn.txt  the same dump through `lspci -nn` (for the ids check)
#   virt-arm64/...                the same ids-only, names-only and lsmod-only variants
#                                 of the arm64 reference machine (qemu-virt-arm64/), made
#                                 by the same functions as q35's
# The seed has no module list (its last column names drivers, not modules): no lsmod variant.
# Variants that are one original file alone are not copied: the tests read the
# original (virt-arm64: devicetree.dtb alone, modalias.txt alone).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=$here/crates/hw/tests/data

if [ "${1:-}" = "--check" ]; then
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    "$0" "$tmp"
    diff -r "$tmp" "$data/variants" && echo "variants up to date"
    exit
fi
out=${1:-$data/variants}
mkdir -p "$out"/seed/{ids-only,names-only}

strip_k() { grep -Ev $'^\t(Kernel driver in use|Kernel modules):' "$1" || true; }

# ids only: lspci -nn / -n without driver lines, lsusb -t with every Driver= emptied
ids_only() { # SRC_DIR OUT_DIR
    strip_k "$1/lspci-nnk.txt" > "$2/ids-only/lspci-nn.txt"
    strip_k "$1/lspci-nk.txt" > "$2/ids-only/lspci-n.txt"
    perl -pe 's/Driver=[^,\/]*/Driver=/' "$1/lsusb-t.txt" > "$2/ids-only/lsusb-t.txt"
}

# names only (pciutils' format_name_pair: "V D", "Device V:D", "V Device D")
# lspci keeps "[cccc]" after a class name when pci.ids has no such subclass.
PCI_IDS=${PCI_IDS:-/usr/share/misc/pci.ids}
[ -f "$PCI_IDS" ] || { echo "hw-variants: needs $PCI_IDS (apt-get install pci.ids)" >&2; exit 1; }
names_only() { # SRC_DIR OUT_DIR
    strip_k "$1/lspci-nnk.txt" | PCI_IDS=$PCI_IDS perl -pe '
        BEGIN { open(my $f, "<", $ENV{PCI_IDS}) or die; my $c;
                while (<$f>) { if (/^C ([0-9a-f]{2})/) { $c = $1 } elsif (/^[^\t#]/) { $c = undef }
                               elsif (defined $c && /^\t([0-9a-f]{2})  /) { $known{"$c$1"} = 1 } } }
        s/^(\S+ [^:]*?) \[([0-9a-f]{4})\]: /$known{$2} ? "$1: " : "$1 [$2]: "/e;   # class code
        s/(: |\tSubsystem: )Device \[([0-9a-f]{4}:[0-9a-f]{4})\]/$1Device $2/;
        s/ Device \[[0-9a-f]{4}:([0-9a-f]{4})\]/ Device $1/;
        s/ \[[0-9a-f]{4}:[0-9a-f]{4}\]( \(|$)/$1/;
    ' > "$2/names-only/lspci.txt"
    if ! diff <(strip_k "$1/lspci-k.txt") "$2/names-only/lspci.txt" >/dev/null; then
        echo "hw-variants: names-only listing of $1 differs from the real plain lspci-k.txt:" >&2
        diff <(strip_k "$1/lspci-k.txt") "$2/names-only/lspci.txt" >&2 || true
        exit 1
    fi
}

# lsmod only: the module list as lsmod prints it (sizes unknown: 0)
lsmod_only() { # SRC_DIR OUT_DIR
    {
        printf 'Module                  Size  Used by\n'
        while read -r m; do printf '%-24s%6s  0\n' "$m" 0; done < "$1/modules-loaded.txt"
    } > "$2/lsmod-only/lsmod.txt"
}

for m in q35:q35 qemu-virt-arm64:virt-arm64; do
    src=$data/${m%%:*} dst=$out/${m#*:}
    mkdir -p "$dst"/{ids-only,names-only,lsmod-only}
    ids_only "$src" "$dst"
    names_only "$src" "$dst"
    lsmod_only "$src" "$dst"
done

# seed, ids only: busybox `03:00.0 Class 0300: 1002:1638 amdgpu` -> no driver column
awk 'NF { print $1, $2, $3, $4 }' "$data/seed/seed-lspci-k.txt" > "$out/seed/ids-only/lspci.txt"

# seed, names only: a config-space dump per device, rendered by the real lspci
command -v lspci >/dev/null || { echo "hw-variants: needs lspci (apt-get install pciutils)" >&2; exit 1; }
dump=$(mktemp); trap 'rm -f "$dump"' RETURN EXIT
awk 'NF {
    cls = $3; sub(":", "", cls); split($4, id, ":")
    printf "%s x\n", $1
    printf "00: %s %s %s %s 00 00 00 00 00 00 %s %s 00 00 00 00\n",
        substr(id[1], 3, 2), substr(id[1], 1, 2), substr(id[2], 3, 2), substr(id[2], 1, 2),
        substr(cls, 3, 2), substr(cls, 1, 2)
    for (o = 1; o < 4; o++) printf "%x0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n", o
}' "$data/seed/seed-lspci-k.txt" > "$dump"
lspci -F "$dump" 2>/dev/null > "$out/seed/names-only/lspci.txt"
lspci -nn -F "$dump" 2>/dev/null > "$out/seed/names-only/lspci-nn.txt"
