#!/usr/bin/env bash
# Repack a cached kernel tree as the tarball an ix package's ver.sh names
# (kernel.org's shape: linux-<version>.tar.xz with one top directory
# linux-<version>/), once, for the `--ix` integration tests (issue 12): a
# file:// URL to it plus its sha256 make a ver.sh that kfit fetches and
# verifies like a real one.
#
#   scripts/ix-source-tarball.sh [6.12]     prints: <tarball path> <sha256>
#
# Output: ${KFIT_CACHE:-~/.cache/kfit}/ix-src/linux-<KVER>.tar.xz (+ .sha256).
# xz -0 with all cores: the tree is 1.4 GB; a stronger preset takes minutes.
set -euo pipefail
V=${1:-6.12}
CACHE=${KFIT_CACHE:-$HOME/.cache/kfit}
ENV=$CACHE/env/$V
[ -f "$ENV" ] || { echo "no $ENV: run scripts/fetch-kernels.sh $V first" >&2; exit 2; }
TREE=$(sed -n 's/^TREE=//p' "$ENV")
KVER=$(sed -n 's/^KVER=//p' "$ENV")
OUT=$CACHE/ix-src
TB=$OUT/linux-$KVER.tar.xz
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9
if [ ! -f "$TB.sha256" ] || [ ! -f "$TB" ]; then
    echo "[ix-source-tarball] packing $TREE as $TB" >&2
    tmp=$(mktemp "$OUT/.linux-$KVER.XXXXXX")
    trap 'rm -f "$tmp"' EXIT
    # tar exits 1 when a file's ctime moved while it was read (another
    # process reading or chmod-ing the shared tree); the content is still
    # the tree's, so only 2 and above are errors.
    { tar -C "$(dirname "$TREE")" --exclude=.kfit-extracted \
        --transform "s,^$(basename "$TREE"),linux-$KVER," --warning=no-file-changed \
        --owner=0 --group=0 --numeric-owner -cf - "$(basename "$TREE")" || [ $? -eq 1 ]; } \
        | xz -T0 -0 >"$tmp"
    sha=$(sha256sum "$tmp" | cut -d' ' -f1)
    mv "$tmp" "$TB"
    trap - EXIT
    echo "$sha" >"$TB.sha256"
fi
echo "$TB $(cat "$TB.sha256")"
