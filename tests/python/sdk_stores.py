"""Keep installations the way python-slack-sdk does, in both of its stores.

Usage: sdk_stores.py SQLITE_PATH FILES_DIR CLIENT_ID < answers.json, where answers.json is
a list of oauth.v2.access answers. Each is saved to SQLite3InstallationStore and
FileInstallationStore as the SDK's OAuth flow saves it; the first is saved twice, an older
copy first, so the stores hold history and the import must take the latest.
"""

import json
import sys
import time

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.file import FileInstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

sqlite_path, files_dir, client_id = sys.argv[1:4]
answers = json.load(sys.stdin)
sqlite_store = SQLite3InstallationStore(database=sqlite_path, client_id=client_id)
file_store = FileInstallationStore(base_dir=files_dir, client_id=client_id)


def installation(answer, bot_token=None):
    user = answer.get("authed_user") or {}
    return Installation(
        app_id=answer["app_id"],
        enterprise_id=None,
        team_id=answer["team"]["id"],
        team_name=answer["team"]["name"],
        bot_token=bot_token or answer["access_token"],
        bot_id=answer.get("bot_id", "B0"),
        bot_user_id=answer["bot_user_id"],
        bot_scopes=answer["scope"],
        bot_refresh_token=answer.get("refresh_token"),
        bot_token_expires_in=answer.get("expires_in"),
        user_id=user["id"],
        user_token=user.get("access_token"),
        user_scopes=user.get("scope"),
        user_refresh_token=user.get("refresh_token"),
        user_token_expires_in=user.get("expires_in"),
        token_type="bot",
        installed_at=time.time() - 60,
    )


older = installation(answers[0], bot_token="xoxe.xoxb-1-an-older-install")
sqlite_store.save(older)
file_store.save(older)
for answer in answers:
    latest = installation(answer)
    sqlite_store.save(latest)
    file_store.save(latest)
# Another app's install in the same database: not the imported app's to take.
SQLite3InstallationStore(database=sqlite_path, client_id="999.999").save(installation(answers[1]))
