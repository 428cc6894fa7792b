"""The real python-slack-sdk WebClient against `xox proxy` with scoped keys: each case
is one call, and what came of it.

Usage: scoped_keys.py BASE_URL LIMITED_KEY READ_ONLY_KEY EXPIRED_KEY. LIMITED_KEY may call
chat.* and conversations.* in C0SIMGENERAL (and open a DM with U0SIMUSER1) only. Prints one
JSON object: case -> {"ok": bool, "error": str|None, "needed": str|None}; the Rust test
(tests/scoped_keys.rs) checks it against the simulator's counters.
"""

import io
import json
import sys

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

base_url, limited, read_only, expired = sys.argv[1:5]
ALLOWED, OTHER = "C0SIMGENERAL", "C0OTHER"


def attempt(call):
    try:
        answer = call()
        return {"ok": answer["ok"], "error": None, "needed": None}
    except SlackApiError as e:
        return {"ok": False, "error": e.response["error"], "needed": e.response.get("needed")}


client = WebClient(token=limited, base_url=base_url)
reader = WebClient(token=read_only, base_url=base_url)
seen = {
    # Methods.
    "allowed_post": attempt(lambda: client.chat_postMessage(channel=ALLOWED, text="hi")),
    "method_outside": attempt(lambda: client.users_list()),
    # Every way a channel can be passed.
    "form_channel": attempt(lambda: client.chat_postMessage(channel=OTHER, text="hi")),
    "query_channel": attempt(lambda: client.conversations_history(channel=OTHER)),
    "json_channel": attempt(
        lambda: client.api_call("chat.postMessage", json={"channel": OTHER, "text": "hi"})
    ),
    "multipart_channel": attempt(
        lambda: client.api_call(
            "chat.postMessage",
            data={"channel": OTHER, "text": "hi"},
            files={"attachment": io.BytesIO(b"bytes")},
        )
    ),
    "channel_list": attempt(
        lambda: client.api_call("chat.postMessage", data={"channels": f"{ALLOWED},{OTHER}"})
    ),
    "dm_outside": attempt(lambda: client.conversations_open(users="U0SIMUSER1,U0STRANGER")),
    "dm_allowed": attempt(lambda: client.conversations_open(users="U0SIMUSER1")),
    # Read only.
    "read_allowed": attempt(lambda: reader.conversations_history(channel=ALLOWED)),
    "read_only_write": attempt(lambda: reader.chat_postMessage(channel=ALLOWED, text="hi")),
    # Expired.
    "expired": attempt(lambda: WebClient(token=expired, base_url=base_url).auth_test()),
}
print(json.dumps(seen))
