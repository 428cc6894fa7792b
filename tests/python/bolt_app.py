"""A Bolt for Python app behind `xox proxy`, unpatched: one app key for every install,
the install named after it as Bolt's `authorize` learns it. It answers each mention with
`say()` through the proxy.

Usage: python bolt_app.py PORT SIGNING_SECRET APP_KEY PROXY_API_URL
"""

import sys

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

port, signing_secret, key, proxy_url = sys.argv[1:5]


def authorize(enterprise_id, team_id, logger):
    return AuthorizeResult(
        enterprise_id=enterprise_id,
        team_id=team_id,
        bot_token=f"{key}:{team_id or enterprise_id}",
    )


app = App(
    signing_secret=signing_secret,
    authorize=authorize,
    client=WebClient(base_url=proxy_url),
)


@app.event("app_mention")
def mention(event, say):
    say(f"python heard: {event['text']}")


app.start(port=int(port))
