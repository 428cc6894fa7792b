#!/usr/bin/env bash
# The proxy's soak for SECONDS (default 600; the test suite runs the same test for 120):
# the real python-slack-sdk calling through 300 slowloris connections, a flood of keyless
# 1 MiB bodies and a PostgreSQL restart, with the proxy under a 256-descriptor limit. Prints
# the calls made, p99 away from the restart and the proxy's peak resident memory.
# Usage: scripts/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/sdk-venv.sh
XOX_SOAK_SECS="${1:-600}" cargo test --test soak -- --nocapture 2>&1 | grep -E '^soak|^test |panicked|test result'
