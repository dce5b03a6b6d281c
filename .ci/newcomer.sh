#!/usr/bin/env bash
# Runs the contributor commands of the README's "Develop" section the way a
# newcomer would: in a fresh clone of the committed tree, with a cargo home that holds
# nothing but what those commands download themselves, and a target
# directory of their own. A test that passes only because this machine's
# cargo cache, or an earlier build, happens to hold something fails here.
#
# The commands are read from the README's first `sh` block under
# "## Develop", so that what CI runs is what a reader is told to run.
#
#   .ci/newcomer.sh          clone HEAD of this repository and run them
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

commands=$(awk '
  /^## Develop$/ { section = 1; next }
  /^## / { section = 0 }
  section && /^```sh/ { block = 1; next }
  block && /^```/ { exit }
  block { sub(/[[:space:]]+#.*$/, ""); if ($0 != "") print }
' README.md)
if [[ -z "$commands" ]]; then
  echo "newcomer.sh: README.md has no sh block under '## Develop'" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --no-hardlinks "file://$PWD" "$tmp/clone"
mkdir "$tmp/cargo-home"

cd "$tmp/clone"
while IFS= read -r command; do
  echo "== newcomer: $command"
  start=$SECONDS
  # A newcomer's environment: an empty cargo home, the clone's own target
  # directory, and nothing of the caller's (no cargo settings, and no
  # GITHUB_* or RUNNER_* of a CI job, which would make the tool think it
  # runs as a workflow step). rustup finds its toolchains through
  # RUSTUP_HOME, which stays where it is.
  env -i PATH="$PATH" HOME="$HOME" TERM=dumb \
    RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
    CARGO_HOME="$tmp/cargo-home" bash -c "$command" < /dev/null
  echo "   newcomer: '$command' passed in $((SECONDS - start)) s"
done <<< "$commands"
