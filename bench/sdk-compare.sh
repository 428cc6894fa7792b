#!/usr/bin/env bash
# xox next to python-slack-sdk's TokenRotator + SQLiteInstallationStore, against `xox sim`.
# Installs the SDK from PyPI into target/sdk-venv (scripts/sdk-venv.sh; SLACK_SDK_VERSION
# pins it), builds xox in release, prints a table. Extra arguments go to
# bench/sdk_compare.py (--installs N, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/sdk-venv.sh)
cargo build --release --quiet
echo "python-slack-sdk $("$python" -c 'import slack_sdk.version as v; print(v.__version__)'), xox $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
exec "$python" bench/sdk_compare.py --xox target/release/xox "$@"
