#!/usr/bin/env bash
# Make kfit's release tarball and fill the ix recipe's cargo_url/cargo_sha.
#
#   packaging/ix/release.sh URL_PREFIX [OUT_DIR]
#
# Writes OUT_DIR/kfit-<version>.tar.gz (default OUT_DIR: target/release-tarball)
# from the committed tree (git archive of HEAD, top directory kfit-<version>/,
# with Cargo.lock: ix builds with --locked --offline after `cargo vendor`), then
# sets the recipe's cargo_url to URL_PREFIX/kfit-<version>.tar.gz and cargo_sha
# to the tarball's sha256. Upload the tarball to URL_PREFIX and commit the recipe.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=${1:?usage: packaging/ix/release.sh URL_PREFIX [OUT_DIR]}
out=${2:-target/release-tarball}
recipe=${KFIT_RECIPE:-packaging/ix/bin/kfit/ix.sh}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[ -n "$version" ] || { echo "no version in Cargo.toml" >&2; exit 2; }
grep -qx "$version" "$recipe" || { echo "$recipe: version block is not $version" >&2; exit 2; }
mkdir -p "$out"
tarball=$out/kfit-$version.tar.gz
git archive --format=tar.gz --prefix="kfit-$version/" -o "$tarball" HEAD
sha=$(sha256sum "$tarball" | cut -d' ' -f1)
url="${prefix%/}/kfit-{{self.version().strip()}}.tar.gz"
tmp=$recipe.tmp$$
awk -v url="$url" -v sha="$sha" '
    index($0, "{% block cargo_url %}") { print; getline; print url; next }
    index($0, "{% block cargo_sha %}") { print; getline; print sha; next }
    { print }' "$recipe" > "$tmp"
mv "$tmp" "$recipe"
echo "$tarball sha256 $sha"
echo "$recipe: cargo_url $url"
