#!/usr/bin/env bash
# The real python-slack-sdk, from PyPI, in a virtual environment under target/: used by the
# proxy's compatibility tests and by bench/sdk-compare.sh. Prints the venv's python.
# SLACK_SDK_VERSION pins the SDK (default below); a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/sdk-venv
version="${SLACK_SDK_VERSION:-3.47.0}"
if ! "$venv/bin/python" -c "import slack_sdk.version as v, sys; sys.exit(v.__version__ != '$version')" 2>/dev/null; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "slack-sdk==$version" >&2
fi
echo "$PWD/$venv/bin/python"
