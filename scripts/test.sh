#!/usr/bin/env bash
# The whole test suite: every test on the SQLite file, then the command-line, rotation,
# failed-call, ownership and proxy tests again on PostgreSQL (each test a schema of its own
# on a throwaway server the tests start from the system's binaries). Where PostgreSQL is
# not installed the second pass is skipped with a notice, except in CI (CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test "$@"
if command -v initdb > /dev/null || compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  XOX_TEST_BACKEND=postgres cargo test "$@" --test cli --test rotation_cli --test failed_calls \
    --test app_tokens --test app_settings --test one_owner --test proxy --test distributed --test distributed_dashboard --test governor --test hooks --test scoped_keys --test webhook_relay --test exec --test private_files
elif [ "${CI:-}" = "true" ]; then
  echo "error: PostgreSQL's binaries (initdb, pg_ctl) are missing; install the postgresql package" >&2
  exit 1
else
  echo "notice: PostgreSQL is not installed: the tests on PostgreSQL were skipped" >&2
fi
