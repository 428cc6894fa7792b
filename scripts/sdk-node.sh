#!/usr/bin/env bash
# The real @slack/web-api (node), from npm, under target/: used by the proxy's node test.
# Prints the folder that holds node_modules. SLACK_WEB_API_VERSION pins it; a second run
# installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/node-sdk
version="${SLACK_WEB_API_VERSION:-7.9.3}"
if ! node -e "process.exit(require('./$dir/node_modules/@slack/web-api/package.json').version === '$version' ? 0 : 1)" 2>/dev/null; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent "@slack/web-api@$version" >&2
fi
echo "$PWD/$dir"
