#!/usr/bin/env bash
# Renders the example job summary of tests/suite/docs.rs (an_example_summary_renders)
# to HTML and photographs it with headless Chromium: docs/summary.png, the
# picture in the README. Needs Debian's `chromium` and `fonts-noto-color-emoji`
# packages.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --quiet --test suite docs::an_example_summary_renders
cp docs/summary.css target/tmp/summary.css
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$(mktemp -d)" --hide-scrollbars --force-device-scale-factor=1 \
  --window-size=1060,760 --screenshot="$PWD/docs/summary.png" \
  "file://$PWD/target/tmp/summary-example.html"
echo "wrote docs/summary.png"
