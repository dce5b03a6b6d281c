#!/usr/bin/env bash
# Downloads the vercel-image-invalidate release binary for this runner and
# checks its SHA-256 against the one pinned in this commit of the action,
# before anything runs it. Runs with bash on Linux, macOS and Windows (Git
# Bash) runners; needs curl, and sha256sum or shasum.
#
# Environment:
#   RELEASE_URL   where the release's assets are
#                 (https://github.com/OWNER/REPO/releases/download/vX.Y.Z);
#                 `unreleased` outside a release commit. Plain http:// only
#                 to a loopback host.
#   CHECKSUMS     the pinned checksums, `sha256sum` format (default:
#                 SHA256SUMS beside this script)
#   RUNNER_OS     Linux, macOS or Windows; RUNNER_ARCH X64 or ARM64 (the
#                 runner sets both; without them, uname decides)
#   INSTALL_DIR   where the binary goes (default: $RUNNER_TEMP, else a new
#                 temporary folder, plus vercel-image-invalidate/)
#   GITHUB_OUTPUT gets `path=<the binary>`
#
# Prints the binary's path on stdout. Exits 1, saying why and what to do,
# when the platform has no binary, the commit pins no checksum, the download
# fails, or the file is not the one pinned (it is then deleted, never run).
set -euo pipefail

readonly NAME=vercel-image-invalidate
readonly SUPPORTED="Linux X64, Linux ARM64, macOS X64, macOS ARM64, Windows X64"
# A release binary is about 6 MB; anything past this is not one.
readonly MAX_BYTES=104857600

# An error annotation in Actions, a plain line elsewhere.
fail() {
  if [[ "${GITHUB_ACTIONS:-}" == true ]]; then
    printf '::error title=vercel-image-invalidate binary::%s\n' "$1" >&2
  else
    printf 'install.sh: %s\n' "$1" >&2
  fi
  exit 1
}
log() { printf '%s\n' "$*" >&2; }

# --- which binary ------------------------------------------------------------
os=${RUNNER_OS:-}
arch=${RUNNER_ARCH:-}
if [[ -z "$os" ]]; then
  case "$(uname -s)" in
    Linux) os=Linux ;;
    Darwin) os=macOS ;;
    MINGW* | MSYS* | CYGWIN*) os=Windows ;;
    *) os=$(uname -s) ;;
  esac
fi
if [[ -z "$arch" ]]; then
  case "$(uname -m)" in
    x86_64 | amd64) arch=X64 ;;
    aarch64 | arm64) arch=ARM64 ;;
    *) arch=$(uname -m) ;;
  esac
fi
case "$os/$arch" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *)
    fail "no release binary for $os $arch: binaries are built for $SUPPORTED. On another Linux runner with Docker, use the container action (uses: OWNER/vercel-image-invalidate@v1); elsewhere, build the CLI with cargo install (see the README, Install the CLI)."
    ;;
esac
exe=""
[[ "$os" == Windows ]] && exe=.exe
asset="$NAME-$target$exe"

# --- what this commit pins ----------------------------------------------------
release_url=${RELEASE_URL:-unreleased}
checksums=${CHECKSUMS:-"$(dirname "${BASH_SOURCE[0]}")/SHA256SUMS"}
if [[ "$release_url" == unreleased ]]; then
  fail "this commit of the action is not a release commit: it pins no release binary. Use a release: uses: OWNER/vercel-image-invalidate/binary@v1, or the commit a release tag points to."
fi
case "$release_url" in
  https://*) protocols='=https' ;;
  http://127.0.0.1[:/]* | http://localhost[:/]* | http://\[::1\][:/]*) protocols='=http' ;;
  *) fail "RELEASE_URL '$release_url' is not an https:// URL (plain http:// is accepted only for a loopback host)" ;;
esac
[[ -r "$checksums" ]] || fail "the pinned checksums file '$checksums' cannot be read"
# The one line naming the asset: `<64 hex>  <name>` (or ` *<name>`).
pinned=$(awk -v asset="$asset" '
  { name = $2; sub(/^\*/, "", name) }
  NF == 2 && name == asset && $1 ~ /^[0-9a-fA-F]+$/ && length($1) == 64 { print tolower($1); n++ }
  END { if (n != 1) exit 1 }
' "$checksums") || fail "the pinned checksums ($checksums) hold no single SHA-256 for $asset: this commit is not a complete release commit. Use a release tag of the action."

# The tools, found before anything is downloaded.
if command -v sha256sum > /dev/null; then
  hasher=(sha256sum)
elif command -v shasum > /dev/null; then
  hasher=(shasum -a 256)
else
  fail "neither sha256sum nor shasum is installed: $asset cannot be checked, so it is not downloaded"
fi
command -v curl > /dev/null || fail "curl is not installed: it is needed to download $asset"
sha256() { "${hasher[@]}" "$1" | awk '{ print tolower($1) }'; }

# --- where it goes -------------------------------------------------------------
dir=${INSTALL_DIR:-}
if [[ -z "$dir" ]]; then
  if [[ -n "${RUNNER_TEMP:-}" ]]; then
    dir="$RUNNER_TEMP"
    command -v cygpath > /dev/null && dir=$(cygpath -u "$dir")
  else
    dir=$(mktemp -d)
  fi
  dir="$dir/$NAME"
fi
mkdir -p "$dir"
binary="$dir/$NAME$exe"

publish() {
  [[ -n "${GITHUB_OUTPUT:-}" ]] && printf 'path=%s\n' "$binary" >> "$GITHUB_OUTPUT"
  printf '%s\n' "$binary"
  exit 0
}

# Already here from an earlier step of the job, and still the pinned file.
if [[ -f "$binary" && "$(sha256 "$binary")" == "$pinned" ]]; then
  log "$asset is already here and matches the pinned SHA-256 $pinned"
  publish
fi

# --- download and check --------------------------------------------------------
url="${release_url%/}/$asset"
partial="$dir/.$NAME.download.$$"
trap 'rm -f "$partial"' EXIT
log "Downloading $url"
status=$(curl --silent --show-error --location --fail \
  --proto "$protocols" --proto-redir "$protocols" \
  --connect-timeout 30 --max-time 300 --retry 3 \
  --max-filesize "$MAX_BYTES" \
  --output "$partial" --write-out '%{http_code}' "$url") || {
  code=$?
  if ((code == 63)); then
    fail "$url is larger than $MAX_BYTES bytes: not a release binary"
  fi
  case "$status" in
    404) fail "the release has no asset $asset ($url answered 404): the release is missing that binary or RELEASE_URL is wrong" ;;
    [1-9]*) fail "downloading $url failed: HTTP $status (curl exit $code)" ;;
    *) fail "downloading $url failed: curl exit $code" ;;
  esac
}
actual=$(sha256 "$partial")
if [[ "$actual" != "$pinned" ]]; then
  fail "$asset from $url has SHA-256 $actual, but this commit of the action pins $pinned: refusing it (deleted, not run). The release asset changed after the release, or the download was altered on the way."
fi
chmod +x "$partial"
mv -f "$partial" "$binary"
log "$asset matches the pinned SHA-256 $pinned"
publish
