#!/usr/bin/env bash
# config-diff.sh WANTED.config FINAL.config
# What the kernel's own `make olddefconfig` did to a config: every symbol the
# wanted config sets (=y, =m, =value) that ends up different in the final one,
# and how many symbols olddefconfig added on its own.
set -euo pipefail
awk '
  function parse(line,   i) {
    if (line ~ /^CONFIG_[A-Za-z0-9_]+=/) { i = index(line, "="); k = substr(line, 1, i-1); v = substr(line, i+1); return 1 }
    if (line ~ /^# CONFIG_[A-Za-z0-9_]+ is not set$/) { split(line, a, " "); k = a[2]; v = "n"; return 1 }
    return 0
  }
  FNR == NR { if (parse($0)) want[k] = v; next }
  { if (parse($0)) got[k] = v }
  END {
    nset = 0; kept = 0; nd = 0; added = 0
    for (k in want) if (want[k] != "n") {
      nset++
      g = (k in got) ? got[k] : "n"
      if (g == want[k]) kept++
      else { nd++; d[nd] = sprintf("  %s: %s -> %s", k, want[k], g) }
    }
    for (k in got) if (got[k] != "n" && !((k in want) && want[k] != "n")) added++
    printf "olddefconfig kept %d of %d set symbols; changed or dropped %d; added %d on its own\n", kept, nset, nd, added
    n = 0
    for (i = 1; i <= nd; i++) line[++n] = d[i]
    # sorted, at most 60 lines
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (line[j] < line[i]) { t = line[i]; line[i] = line[j]; line[j] = t }
    for (i = 1; i <= n && i <= 60; i++) print line[i]
    if (n > 60) printf "  ... %d more\n", n - 60
  }' "$1" "$2"
