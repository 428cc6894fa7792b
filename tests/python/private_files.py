"""A file shared through `xox proxy` and read back by an app holding only a key, with the
real python-slack-sdk.

Usage: private_files.py BASE_URL KEY. Prints one JSON object: the file's private URL as
the app got it, the bytes read from it, and a Range read's status, Content-Range and bytes.
"""

import json
import sys
import urllib.request

from slack_sdk import WebClient

base_url, key = sys.argv[1], sys.argv[2]
client = WebClient(token=key, base_url=base_url)
uploaded = client.files_upload_v2(
    channel="C0SIMGENERAL", filename="report.txt", content="quarterly numbers: 42", title="Report"
)
file_id = uploaded["file"]["id"]
info = client.files_info(file=file_id)["file"]


def read(url, extra=None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}", **(extra or {})})
    with urllib.request.urlopen(request) as answer:
        return answer.status, answer.headers.get("Content-Range"), answer.read().decode()


status, _, whole = read(info["url_private"])
ranged = read(info["url_private_download"], {"Range": "bytes=0-8"})
print(json.dumps({
    "url_private": info["url_private"],
    "status": status,
    "bytes": whole,
    "range": {"status": ranged[0], "content_range": ranged[1], "bytes": ranged[2]},
}))
