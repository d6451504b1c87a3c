#!/usr/bin/env bash
# Regenerate the expected outputs of the synthetic Kconfig cases with the
# kernel's own conf (from scripts/fetch-kernels.sh's build dirs):
#   expected-6.12.config / expected-6.1.config = conf --olddefconfig on in.config
# A case containing a file named `only-6.1` is not run against 6.12.
set -euo pipefail
cd "$(dirname "$0")"
CACHE=${KFIT_CACHE:-$HOME/.cache/kfit}
for V in 6.12 6.1; do
    # shellcheck disable=SC1090
    . "$CACHE/env/$V"
    for d in */; do
        d=${d%/}
        [ -f "$d/Kconfig" ] || continue
        if [ "$V" = 6.12 ] && [ -f "$d/only-6.1" ]; then continue; fi
        tmp=$(mktemp -d)
        cp "$d/in.config" "$tmp/.config"
        (cd "$tmp" && KCONFIG_CONFIG=.config srctree="$PWD/../$d" srctree="$(cd "$OLDPWD/$d" && pwd)" \
            ARCH=x86 SRCARCH=x86 KERNELVERSION=1.0 CC=gcc LD=ld \
            "$BUILD/scripts/kconfig/conf" --olddefconfig Kconfig >/dev/null 2>"$tmp/err" ) || { cat "$tmp/err"; exit 1; }
        cp "$tmp/.config" "$d/expected-$V.config"
        rm -rf "$tmp"
    done
done
