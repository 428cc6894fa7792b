#!/usr/bin/env bash
# xox next to python-slack-sdk's TokenRotator + SQLiteInstallationStore, against `xox sim`.
# Installs the SDK from PyPI into target/bench-venv (SLACK_SDK_VERSION pins it), builds xox
# in release, prints a table. Extra arguments go to bench/sdk_compare.py (--installs N, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "slack-sdk==${SLACK_SDK_VERSION:-3.47.0}"
cargo build --release --quiet
echo "python-slack-sdk $("$venv/bin/python" -c 'import slack_sdk.version as v; print(v.__version__)'), xox $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
exec "$venv/bin/python" bench/sdk_compare.py --xox target/release/xox "$@"
