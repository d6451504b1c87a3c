#!/usr/bin/env bash
# Fetch Debian's linux-firmware packages that kfit's firmware tests measure
# against (real file names and sizes), and extract them into a linux-firmware
# style tree:
#
#   $KFIT_CACHE/firmware/lib/firmware/     amdgpu/..., iwlwifi-*.ucode, ...
#   $KFIT_CACHE/firmware/env               FWDIR=... and the package versions
#
# The packages live in Debian's `non-free-firmware` component. The normal
# Debian way to get them is to add that component to the apt source; to leave
# the machine's apt configuration untouched, this script does exactly that in a
# private apt state under $KFIT_CACHE/firmware/apt (same mirror and suites as
# the system's main Debian source), and only *downloads* the .debs
# (`apt-get download`), nothing is installed.
#
# Idempotent: a stamp file records what was extracted; later runs return at
# once. Set KFIT_FIRMWARE_REFRESH=1 to fetch again.
#
#   scripts/fetch-firmware.sh            (packages: firmware-amd-graphics firmware-iwlwifi)
set -euo pipefail

CACHE=${KFIT_CACHE:-$HOME/.cache/kfit}
OUT=$CACHE/firmware
PKGS=(firmware-amd-graphics firmware-iwlwifi)
STAMP=$OUT/.kfit-extracted

log() { printf '[fetch-firmware] %s\n' "$*" >&2; }

if [ -f "$STAMP" ] && [ -z "${KFIT_FIRMWARE_REFRESH:-}" ] && [ -f "$OUT/env" ]; then
    exit 0
fi

mkdir -p "$OUT"/apt/{lists/partial,cache/archives/partial,etc/preferences.d,etc/sources.list.d} "$OUT/debs"

# Mirror and suite of the system's Debian source (deb822 or one-line format).
URI=""
SUITE=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    URI=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    SUITE=$(awk '/^Suites:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$URI" ] && [ -f /etc/apt/sources.list ]; then
    read -r URI SUITE < <(awk '$1=="deb" && $2 !~ /^\[/ {print $2, $3; exit}' /etc/apt/sources.list) || true
fi
if [ -z "$URI" ] || [ -z "$SUITE" ]; then
    log "no Debian source found in /etc/apt/sources.list(.d): cannot download firmware packages"
    exit 2
fi

cat > "$OUT/apt/etc/sources.list" <<EOF
deb $URI $SUITE non-free-firmware
EOF

SANDBOX=()
[ "$(id -u)" = 0 ] && SANDBOX=(-o "APT::Sandbox::User=root")
APT_OPTS=(
    "${SANDBOX[@]}"
    -o "Dir::Etc::SourceList=$OUT/apt/etc/sources.list"
    -o "Dir::Etc::SourceParts=$OUT/apt/etc/sources.list.d"
    -o "Dir::Etc::PreferencesParts=$OUT/apt/etc/preferences.d"
    -o "Dir::State::Lists=$OUT/apt/lists"
    -o "Dir::Cache=$OUT/apt/cache"
    -o "APT::Get::List-Cleanup=0"
)

log "apt-get update ($URI $SUITE non-free-firmware, private state in $OUT/apt)"
apt-get "${APT_OPTS[@]}" update -qq

cd "$OUT/debs"
rm -f ./*.deb
log "apt-get download ${PKGS[*]}"
apt-get "${APT_OPTS[@]}" download "${PKGS[@]}" >/dev/null

rm -rf "$OUT/root.tmp"
mkdir -p "$OUT/root.tmp"
VERS=()
for deb in ./*.deb; do
    dpkg-deb -x "$deb" "$OUT/root.tmp"
    VERS+=("$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)")
done
rm -rf "$OUT/root"
mv "$OUT/root.tmp" "$OUT/root"
# Debian ships the tree under /lib/firmware (usr-merge moves it to /usr/lib).
FWDIR=$OUT/root/lib/firmware
[ -d "$FWDIR" ] || FWDIR=$OUT/root/usr/lib/firmware
[ -d "$FWDIR" ] || { log "no lib/firmware in the packages"; exit 1; }

{
    echo "FWDIR=$FWDIR"
    echo "PACKAGES=\"${VERS[*]}\""
} > "$OUT/env.tmp"
mv "$OUT/env.tmp" "$OUT/env"
touch "$STAMP"
log "firmware tree at $FWDIR (${VERS[*]})"
