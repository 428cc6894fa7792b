#!/usr/bin/env bash
# Run every cargo-fuzz target for SECONDS each (default 60) on the stable toolchain.
# cargo-fuzz needs nightly flags (-Zsanitizer=address): RUSTC_BOOTSTRAP=1 lets stable rustc
# accept them. Crashes land in fuzz/artifacts/TARGET/; reproduce one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...
# and turn it into a test in tests/properties.rs. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
seconds="${1:-60}"
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
for target in "${targets[@]}"; do
    echo "== $target for ${seconds}s"
    cargo fuzz run "$target" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 |
        grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)|ERROR|panicked|SUMMARY" || true
    [ ! -d "artifacts/$target" ] || [ -z "$(ls -A "artifacts/$target")" ] || {
        echo "$target: crash inputs in fuzz/artifacts/$target" >&2
        exit 1
    }
done
