#!/usr/bin/env bash
# analyse.sh REF_DIR TEST_DIR COMPARE_OUTPUT
# Reads two collect.sh result dirs (drivers.txt) and compare.sh's output and
# prints: devices bound per bus (Debian vs test), the MISSING keys that are
# only a bus move (Debian 6.1 bound the device on one bus, the test kernel
# binds the same modalias with the same driver on another: vmgenid moved from
# the acpi bus to the platform bus in 6.10), and every device the test kernel
# leaves unbound with what Debian did with it.
# Devices count the way compare.sh counts them: PCI by slot, other buses only
# when the device has a modalias. The last lines are "# NAME=number" for the
# caller.
set -euo pipefail
REF=$1/drivers.txt TEST=$2/drivers.txt CMP=$3
out=$(awk -F'\t' -v CMP="$CMP" '
  function key(  m) { if ($1 == "pci") return "pci\t" $2
                      m = $5; if (m ~ /^usb:v1D6B/) sub(/d[0-9A-F][0-9A-F][0-9A-F][0-9A-F]dc/, "dc", m)
                      return $1 "\t" m }
  function counted() { return $1 == "pci" || $5 != "-" }
  FNR == NR { if (!counted()) next
              k = key(); bus[$1] = 1
              if ($3 != "-") { rb[k]++; rbus[$1]++; rbound++; rdrv[k] = rdrv[k] " " $3 } else ru[k]++
              next }
  { if (!counted()) next
    k = key(); bus[$1] = 1
    if ($3 != "-") { tb[k]++; tbus[$1]++; tbound++
                     # same modalias bound on some bus: remember driver per modalias
                     tmod[$5 "\t" $3]++; tmodbus[$5 "\t" $3] = tmodbus[$5 "\t" $3] " " $1 }
    else { tu[k]++; tuk[k] = $2 } }
  END {
    printf "devices bound per bus (test / Debian):"
    n = 0; for (b in bus) names[++n] = b
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (names[j] < names[i]) { t = names[i]; names[i] = names[j]; names[j] = t }
    for (i = 1; i <= n; i++) if (rbus[names[i]] + tbus[names[i]] > 0) printf " %s %d/%d", names[i], tbus[names[i]] + 0, rbus[names[i]] + 0
    printf "\n"
    refkeys = 0; ok = 0
    for (k in rb) { refkeys++; if (tb[k] >= rb[k]) ok++ }

    # compare.sh MISSING lines: MISSING <TAB> bus <TAB> key <TAB> ref: drivers <TAB> test: drivers
    moved = 0; real = 0
    while ((getline line < CMP) > 0) {
      split(line, f, "\t"); if (f[1] != "MISSING") continue
      k = f[2] "\t" f[3]; need = rb[k] - tb[k]
      d = f[4]; sub(/^ref: */, "", d); nd = split(d, drv, " ")
      found = 0; via = ""
      if (f[2] != "pci") for (i = 1; i <= nd; i++) {
        mk = f[3] "\t" drv[i]
        if (mk in tmod && tmodbus[mk] !~ (" " f[2] "( |$)")) { found = tmod[mk]; via = drv[i] " on" tmodbus[mk]; break }
      }
      if (found >= need && found > 0) { moved++; mv[k] = via; printf "BUS MOVE (counts as bound)\t%s\t%s\tDebian: %s on %s\ttest: %s\n", f[2], f[3], d, f[2], via }
      else { real++; printf "STILL MISSING\t%s\t%s\tDebian: %s\n", f[2], f[3], d }
    }
    bad = 0; both = 0; new = 0
    for (k in tu) {
      inref = (k in rb); inru = (k in ru)
      if (k in mv) s = "bound by Debian on this bus; bus move: " mv[k]
      else if (inref && rb[k] > tb[k] + 0) { bad++; s = "bound by Debian" }
      else if (inru) { both++; s = "unbound under Debian too" }
      else if (inref) { both++; s = "Debian bound this key as often as this kernel did" }
      else { new++; s = "not in Debian listing (a device node its kernel did not create)" }
      split(k, kk, "\t")
      printf "UNBOUND here (%dx)\t%s\t%s\t%s\t%s\n", tu[k], kk[1], tuk[k], kk[2], s
    }
    printf "# REF_BOUND=%d\n# TEST_BOUND=%d\n# REF_KEYS=%d\n# KEYS_OK=%d\n# MOVED=%d\n# MISSING_REAL=%d\n# UNBOUND_BAD=%d\n# UNBOUND_BOTH=%d\n# UNBOUND_NEW=%d\n",
           rbound, tbound, refkeys, ok, moved, real, bad, both, new
  }' "$REF" "$TEST")
printf '%s\n' "$out" | grep '^devices bound'
printf '%s\n' "$out" | grep -E '^(BUS MOVE|STILL MISSING)' | sort || true
printf '%s\n' "$out" | grep '^UNBOUND' | sort -t"$(printf '\t')" -k5,5 -k2,2 -k4,4 || true
printf '%s\n' "$out" | grep '^# '
