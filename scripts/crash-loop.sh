#!/usr/bin/env bash
# The crash-safety loop at length: ROUNDS rounds (default 60) of refreshing processes
# SIGKILLed at random moments, each database checked. Usage: scripts/crash-loop.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
XOX_CRASH_ROUNDS="${1:-60}" cargo test --release --quiet --test crash -- --nocapture 2>&1 |
    grep -E "crash loop|test result|panicked|ended"
