"""Many python-slack-sdk clients, none with a retry handler for 429s, calling one method
through `xox proxy` at once.

Usage: governor_client.py BASE_URL KEY METHOD CLIENTS CALLS. Prints one JSON object: the
calls that succeeded, the errors each client met, and the seconds the whole run took.
"""

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

base_url, key, method = sys.argv[1], sys.argv[2], sys.argv[3]
clients, calls = int(sys.argv[4]), int(sys.argv[5])


def run(_):
    # Only the connection-error handler the SDK has by default: a 429 is an error here.
    client = WebClient(token=key, base_url=base_url, timeout=60)
    ok, errors = 0, []
    for _ in range(calls):
        try:
            client.api_call(method)
            ok += 1
        except SlackApiError as e:
            errors.append(f"{e.response.status_code} {e.response.get('error')}")
    return ok, errors


started = time.monotonic()
with ThreadPoolExecutor(max_workers=clients) as pool:
    results = list(pool.map(run, range(clients)))
print(
    json.dumps(
        {
            "ok": sum(ok for ok, _ in results),
            "errors": [e for _, errors in results for e in errors],
            "seconds": time.monotonic() - started,
        }
    )
)
