"""The real python-slack-sdk WebClient calling `xox proxy` without pause for SECONDS, from
THREADS threads, as a well-behaved app does: with the SDK's own retry handlers for
connection errors and server errors (a 503 is what the proxy answers when its store is out
of reach).

Usage: soak_client.py BASE_URL KEY SECONDS THREADS. Prints one JSON object: every call's
start (seconds since the epoch) and duration, and every call that failed after its retries.
"""

import json
import sys
import threading
import time

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)

base_url, key, seconds, threads = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
deadline = time.time() + seconds
lock = threading.Lock()
calls = []
failures = []


def work(n):
    client = WebClient(
        token=key,
        base_url=base_url,
        timeout=30,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=10),
        ],
    )
    i = 0
    while time.time() < deadline:
        i += 1
        started = time.time()
        try:
            if i % 3 == 0:
                ok = client.chat_postMessage(channel="C0SIMGENERAL", text=f"soak {n}-{i}")["ok"]
            else:
                ok = client.auth_test()["ok"]
            if not ok:
                raise RuntimeError("ok was false")
        except Exception as e:  # noqa: BLE001 - every failure is reported, none is hidden
            with lock:
                failures.append({"at": started, "error": repr(e)[:300]})
        with lock:
            calls.append([started, time.time() - started])


workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(json.dumps({"calls": calls, "failures": failures}))
