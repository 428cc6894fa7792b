#!/usr/bin/env bash
# The real @slack/web-api and @slack/bolt (node), from npm, under target/: used by the
# proxy's node test and the distributed-app test. Prints the folder that holds
# node_modules. SLACK_WEB_API_VERSION and SLACK_BOLT_JS_VERSION pin them; a second run
# installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/node-sdk
version="${SLACK_WEB_API_VERSION:-7.9.3}"
bolt="${SLACK_BOLT_JS_VERSION:-5.1.0}"
check="const v = (p) => require('./$dir/node_modules/' + p + '/package.json').version;
process.exit(v('@slack/web-api') === '$version' && v('@slack/bolt') === '$bolt' ? 0 : 1)"
if ! node -e "$check" 2>/dev/null; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent "@slack/web-api@$version" \
        "@slack/bolt@$bolt" >&2
fi
echo "$PWD/$dir"
