#!/usr/bin/env bash
# The concurrency stress test at length: several rounds at each Slack latency, release build.
# Usage: scripts/stress.sh [ROUNDS] (default 5). Sizes: XOX_STRESS_PROCESSES, _TASKS, _CONNECTIONS.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
cargo build --release --tests --quiet
for delay in 0 300 1500; do
    XOX_STRESS_ROUNDS="$rounds" XOX_STRESS_DELAY_MS="$delay" \
        cargo test --release --quiet --test stress
done
