"""The real python-slack-sdk WebhookClient posting through `xox proxy`'s /hooks/CONN with a
proxy key, never the webhook's URL.

Usage: webhook_client.py URL KEY. Prints {"status": N, "body": TEXT}.
"""

import json
import sys

from slack_sdk.webhook import WebhookClient

url, key = sys.argv[1], sys.argv[2]
client = WebhookClient(url=url, default_headers={"Authorization": f"Bearer {key}"})
answer = client.send(text="hello through the proxy")
print(json.dumps({"status": answer.status_code, "body": answer.body}))
