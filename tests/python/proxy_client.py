"""The real python-slack-sdk WebClient against `xox proxy`, with a proxy key as its token.

Usage: proxy_client.py BASE_URL KEY. Prints one JSON object of what happened; the Rust
test (tests/proxy_sdk.rs) checks it against the simulator's counters and `xox failed`.
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

base_url, key = sys.argv[1], sys.argv[2]
client = WebClient(token=key, base_url=base_url)
seen = {}

seen["auth_test"] = client.auth_test()["ok"]
seen["post"] = client.chat_postMessage(channel="C0SIMGENERAL", text="hello from slack_sdk")["ok"]

uploaded = client.files_upload_v2(
    channel="C0SIMGENERAL", filename="notes.txt", content="hello from files_upload_v2", title="Notes"
)
seen["upload"] = {"ok": uploaded["ok"], "title": uploaded["file"]["title"], "size": uploaded["file"]["size"]}

try:
    client.reactions_add(channel="C0SIMGENERAL", name="tada", timestamp="1.000001")
    seen["missing_scope"] = None
except SlackApiError as e:
    seen["missing_scope"] = {"error": e.response["error"], "needed": e.response.get("needed")}

try:
    WebClient(token="xpk-not-a-key", base_url=base_url).auth_test()
    seen["wrong_key"] = None
except SlackApiError as e:
    seen["wrong_key"] = e.response["error"]


def one(_):
    return WebClient(token=key, base_url=base_url).auth_test()["ok"]


with ThreadPoolExecutor(max_workers=50) as pool:
    seen["concurrent_ok"] = sum(pool.map(one, range(50)))

print(json.dumps(seen))
