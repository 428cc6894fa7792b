#!/usr/bin/env bash
# The real python-slack-sdk, Bolt for Python and selenium, from PyPI, in a virtual
# environment under target/: used by the proxy's compatibility tests, the distributed-app
# tests (Bolt, and selenium driving Debian's chromium) and bench/sdk-compare.sh. Prints the
# venv's python. SLACK_SDK_VERSION, SLACK_BOLT_VERSION and SELENIUM_VERSION pin them
# (defaults below); a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/sdk-venv
version="${SLACK_SDK_VERSION:-3.47.0}"
bolt="${SLACK_BOLT_VERSION:-1.30.0}"
selenium="${SELENIUM_VERSION:-4.50.0}"
check="import slack_sdk.version as s, slack_bolt.version as b, selenium, sys
sys.exit((s.__version__, b.__version__, selenium.__version__) != ('$version', '$bolt', '$selenium'))"
if ! "$venv/bin/python" -c "$check" 2>/dev/null; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "slack-sdk==$version" \
        "slack-bolt==$bolt" "selenium==$selenium" >&2
fi
echo "$PWD/$venv/bin/python"
