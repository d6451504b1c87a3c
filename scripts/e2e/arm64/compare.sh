#!/bin/bash
# compare.sh REF_OUT TEST_OUT  (the arm64 QEMU virt reference machine)
# Reports every device the reference kernel (Debian's arm64 kernel with its
# modules) bound to a driver but the test kernel did not bind, as the q35
# reference's compare.sh does (shared/hw/qemu-q35-debian61/compare.sh):
# PCI devices are keyed by slot (stable across kernels); every other bus by
# bus+modalias, as multisets. On this machine most of the other keys are
# device-tree platform and amba devices: `of:N<node name>T<type>C<compatible>...`
# (the node name without its unit address, so virt's 32 virtio-mmio
# transports share one key and count as a multiset) and `amba:d<periphid>`.
# The USB root hubs' bcdDevice is the kernel version (d0612): dropped.
# A different driver on the same key is DIFFERENT and still OK.
# Exit status 1 if anything is missing.
set -euo pipefail
REF=$1/drivers.txt; TEST=$2/drivers.txt
awk -F'\t' '
  function key(  m){ if ($1=="pci") return "pci\t" $2
                     m=$5; if (m ~ /^usb:v1D6B/) sub(/d[0-9A-F][0-9A-F][0-9A-F][0-9A-F]dc/, "dc", m)
                     return $1 "\t" m }
  FNR==NR { if ($3!="-" && ($1=="pci" || $5!="-")) { k=key(); ref[k]=ref[k] " " $3; nref[k]++ } ; next }
  { if ($3!="-" && ($1=="pci" || $5!="-")) { k=key(); tst[k]=tst[k] " " $3; ntst[k]++ } }
  END {
    bad=0; ok=0
    for (k in ref) {
      if (ntst[k] < nref[k]) { printf "MISSING\t%s\tref:%s\ttest:%s\n", k, ref[k], (k in tst ? tst[k] : " -"); bad++ }
      else if (ref[k] != tst[k]) { printf "DIFFERENT\t%s\tref:%s\ttest:%s\n", k, ref[k], tst[k]; ok++ }
      else ok++
    }
    printf "summary: %d bound-in-reference keys OK (incl. DIFFERENT driver), %d MISSING\n", ok, bad > "/dev/stderr"
    exit (bad > 0)
  }' "$REF" "$TEST" | sort
