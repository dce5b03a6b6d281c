#!/usr/bin/env bash
# Clean build times and the binary's size, as recorded in BENCHMARKS.md.
#
#   benches/build-time.sh                 clean release build, then clean debug build
#   benches/build-time.sh release debug   the same, named
#   benches/build-time.sh release         only `cargo build --release --locked`
#
# Each build gets a fresh, empty target dir, so every crate is compiled, as in
# the Dockerfile's builder stage, with the registry already downloaded
# (`cargo fetch --locked` first, so no download is timed).
#
# A wall time taken while someone else uses the CPU is longer than it should
# be, so each build also prints the CPU time it used itself and the CPU time
# the rest of the machine used meanwhile ("other processes"): a figure is only
# worth comparing when the latter is near 0.
#
# With TIMINGS_DIR set, cargo's --timings report (time per crate) and the
# binary of each build are kept there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

profiles=("$@")
((${#profiles[@]} > 0)) || profiles=(release debug)

# Busy CPU time of the whole machine so far, in clock ticks (user, nice,
# system, irq, softirq and steal of the `cpu` line of /proc/stat).
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

cargo fetch --locked --quiet
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(rustc --version)"

for profile in "${profiles[@]}"; do
  case "$profile" in
    release) flags=(--release --locked) dir=release ;;
    debug) flags=(--locked) dir=debug ;;
    *) echo "build-time.sh: unknown profile '$profile' (release, debug)" >&2; exit 2 ;;
  esac
  [[ -n "${TIMINGS_DIR:-}" ]] && flags+=(--timings)
  target=$(mktemp -d)
  echo "== cargo build ${flags[*]} (CARGO_TARGET_DIR=$target)"
  echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  busy_before=$(busy)
  CARGO_TARGET_DIR="$target" /usr/bin/time -f '%e %U %S' -o "$target/time" \
    cargo build "${flags[@]}" --quiet
  busy_after=$(busy)
  echo "   load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
  read -r wall user sys < "$target/time"
  size=$(stat -c %s "$target/$dir/vercel-image-invalidate")
  others=$(echo "($busy_after - $busy_before) / $(getconf CLK_TCK) - $user - $sys" | bc -l)
  printf '   %s: wall %.1f s, cpu %.1f s (user %.1f + sys %.1f), other processes %.1f cpu-s, binary %d bytes (%.2f MiB)\n' \
    "$profile" "$wall" "$(echo "$user + $sys" | bc)" "$user" "$sys" "$others" "$size" \
    "$(echo "$size / 1048576" | bc -l)"
  if [[ -n "${TIMINGS_DIR:-}" ]]; then
    mkdir -p "$TIMINGS_DIR"
    stamp="$profile-$(date +%H%M%S)"
    cp "$target/cargo-timings/cargo-timing.html" "$TIMINGS_DIR/$stamp.html"
    cp "$target/$dir/vercel-image-invalidate" "$TIMINGS_DIR/$stamp.bin"
  fi
  rm -rf "$target"
done
