#!/usr/bin/env bash
# Turns the tagged tree into the tree of a release commit, so that pinning the
# action (tag or commit) pins exactly what it runs:
#   action.yml           runs the pushed image by digest instead of building
#                        the Dockerfile
#   binary/action.yml    downloads this release's binaries (RELEASE_URL)
#   binary/SHA256SUMS    the SHA-256 of each of them, which binary/install.sh
#                        checks before anything runs
#
#   .ci/pin-release.sh IMAGE@sha256:DIGEST RELEASE_URL SHA256SUMS
#
# IMAGE@sha256:DIGEST  the pushed image (ghcr.io/owner/vercel-image-invalidate@sha256:...)
# RELEASE_URL          where the release's assets are (https://github.com/OWNER/REPO/releases/download/vX.Y.Z)
# SHA256SUMS           the release's checksums file, one line per binary
#
# Exits 1 without writing when any value is malformed, a binary is missing
# from the checksums, or a file is not in its unreleased form.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly ASSETS=(
  vercel-image-invalidate-x86_64-unknown-linux-musl
  vercel-image-invalidate-aarch64-unknown-linux-musl
  vercel-image-invalidate-x86_64-apple-darwin
  vercel-image-invalidate-aarch64-apple-darwin
  vercel-image-invalidate-x86_64-pc-windows-msvc.exe
)
readonly IMAGE_LINE='  image: Dockerfile'
readonly URL_LINE='        RELEASE_URL: unreleased'

fail() {
  echo "pin-release.sh: $1" >&2
  exit 1
}

(($# == 3)) || fail "usage: $0 IMAGE@sha256:DIGEST RELEASE_URL SHA256SUMS"
image=$1
url=${2%/}
sums=$3

[[ "$image" =~ ^[a-z0-9][a-z0-9./_-]*@sha256:[0-9a-f]{64}$ ]] \
  || fail "'$image' is not IMAGE@sha256:<64 hex>"
# No character sed would read in the replacement (| & \).
url_pattern='^https://[^][:space:]|&\\[]+/releases/download/v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$'
[[ "$url" =~ $url_pattern ]] \
  || fail "'$url' is not https://HOST/OWNER/REPO/releases/download/vX.Y.Z"
[[ -r "$sums" ]] || fail "cannot read the checksums file '$sums'"
lines=$(grep -c . "$sums" || true)
((lines == ${#ASSETS[@]})) || fail "$sums has $lines lines, not one for each of the ${#ASSETS[@]} binaries"
for asset in "${ASSETS[@]}"; do
  grep -Eq "^[0-9a-f]{64} [ *]$asset\$" "$sums" || fail "$sums has no SHA-256 line for $asset"
done
grep -qxF "$IMAGE_LINE" action.yml || fail "action.yml has no '$IMAGE_LINE' line to pin"
[[ "$(grep -cxF "$URL_LINE" binary/action.yml)" == 1 ]] \
  || fail "binary/action.yml has no single '$URL_LINE' line to pin"

pinned_image="  image: docker://$image"
pinned_url="        RELEASE_URL: $url"
sed -i.bak "s|^$IMAGE_LINE\$|$pinned_image|" action.yml
sed -i.bak "s|^$URL_LINE\$|$pinned_url|" binary/action.yml
rm -f action.yml.bak binary/action.yml.bak
cp "$sums" binary/SHA256SUMS
grep -qxF "$pinned_image" action.yml || fail "action.yml: runs.image was not rewritten"
grep -qxF "$pinned_url" binary/action.yml || fail "binary/action.yml: RELEASE_URL was not rewritten"
echo "pinned $image, $url and the SHA-256 of ${#ASSETS[@]} binaries"
