//! Versioned migrations, tracked in `PRAGMA user_version`.

use rusqlite::Connection;

/// One entry per schema version; entry N brings a database from version N to N+1.
/// Never edit a released entry: add a new one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE apps (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    client_id     TEXT NOT NULL,
    client_secret BLOB,              -- sealed; NULL for PKCE (public) apps
    pkce          INTEGER NOT NULL,
    redirect_uri  TEXT NOT NULL,
    bot_scopes    TEXT NOT NULL,
    user_scopes   TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE TABLE connections (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    app_id           TEXT NOT NULL REFERENCES apps(id),
    team_id          TEXT,
    team_name        TEXT,
    enterprise_id    TEXT,
    enterprise_name  TEXT,
    slack_app_id     TEXT,
    bot_user_id      TEXT,
    authed_user_id   TEXT,
    incoming_webhook BLOB,           -- sealed JSON {url, channel, channel_id}
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE TABLE tokens (
    connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('bot', 'user')),
    token_type    TEXT NOT NULL,
    access_token  BLOB NOT NULL,     -- sealed
    refresh_token BLOB,              -- sealed
    redacted      TEXT NOT NULL,     -- display form, e.g. xoxb-…9f2c
    scopes        TEXT NOT NULL,
    expires_at    INTEGER,           -- unix seconds; NULL for long-lived tokens
    rotating      INTEGER NOT NULL,
    generation    INTEGER NOT NULL,  -- bumped on every write, for compare-and-swap
    status        TEXT NOT NULL DEFAULT 'ok',
    status_reason TEXT,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (connection_id, kind)
);
CREATE INDEX tokens_expiry ON tokens (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT NOT NULL,
    at            INTEGER NOT NULL,
    action        TEXT NOT NULL,
    token_kind    TEXT,
    outcome       TEXT NOT NULL,
    old_expires_at INTEGER,
    new_expires_at INTEGER,
    pid           INTEGER NOT NULL,
    detail        TEXT
);
CREATE INDEX events_by_connection ON events (connection_id, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event trail is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event trail is append-only'); END;
CREATE TABLE calls (
    id              INTEGER PRIMARY KEY,
    connection_id   TEXT NOT NULL,
    token_kind      TEXT NOT NULL,
    method          TEXT NOT NULL,
    params          BLOB NOT NULL,   -- sealed JSON array of [key, value]
    http_status     INTEGER,
    error           TEXT NOT NULL,
    needed          TEXT,
    provided        TEXT,
    accepted_scopes TEXT,
    retry_after     INTEGER,
    response        BLOB,            -- sealed response body
    at              INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'open',
    replay_of       INTEGER REFERENCES calls(id)
);
CREATE TABLE leases (
    connection_id TEXT NOT NULL,
    kind          TEXT NOT NULL,
    owner         TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (connection_id, kind)
);
"#,
    // 2: whether the app has token rotation turned on (for its manifest and for login).
    "ALTER TABLE apps ADD COLUMN rotation INTEGER NOT NULL DEFAULT 0;",
    // 3: app-level and app configuration tokens. SQLite cannot change a CHECK, so the
    // tokens table is rebuilt with the wider one, rows and index included.
    r#"
CREATE TABLE tokens_v3 (
    connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('bot', 'user', 'app', 'config')),
    token_type    TEXT NOT NULL,
    access_token  BLOB NOT NULL,
    refresh_token BLOB,
    redacted      TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    expires_at    INTEGER,
    rotating      INTEGER NOT NULL,
    generation    INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'ok',
    status_reason TEXT,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (connection_id, kind)
);
INSERT INTO tokens_v3 (connection_id, kind, token_type, access_token, refresh_token, redacted,
    scopes, expires_at, rotating, generation, status, status_reason, updated_at)
  SELECT connection_id, kind, token_type, access_token, refresh_token, redacted,
    scopes, expires_at, rotating, generation, status, status_reason, updated_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v3 RENAME TO tokens;
CREATE INDEX tokens_expiry ON tokens (expires_at) WHERE expires_at IS NOT NULL;
"#,
    // 4: one owner per token chain. Keyed digests of each access and refresh token, unique
    // across connections; rows from before are given theirs once the key is known.
    r#"
ALTER TABLE tokens ADD COLUMN access_digest BLOB;
ALTER TABLE tokens ADD COLUMN refresh_digest BLOB;
CREATE UNIQUE INDEX tokens_access_digest ON tokens (access_digest);
CREATE UNIQUE INDEX tokens_refresh_digest ON tokens (refresh_digest);
"#,
    // 5: keys `xox proxy` accepts in place of Slack tokens: only a keyed digest of each.
    r#"
CREATE TABLE proxy_keys (
    id            TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('auto', 'bot', 'user', 'app', 'config')),
    label         TEXT,
    digest        BLOB NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    requests      INTEGER NOT NULL DEFAULT 0,
    failures      INTEGER NOT NULL DEFAULT 0
);
"#,
    // 6: distributed apps. The signing secret (sealed) and endpoint of an app; org-wide
    // installs and the workspaces they cover; app keys (a key for an app, not a
    // connection: SQLite cannot loosen a NOT NULL, so the table is rebuilt); and Slack's
    // requests and install states already seen.
    r#"
ALTER TABLE apps ADD COLUMN signing_secret BLOB;
ALTER TABLE apps ADD COLUMN forward_to TEXT;
ALTER TABLE connections ADD COLUMN enterprise_install INTEGER NOT NULL DEFAULT 0;
CREATE INDEX connections_by_team ON connections (app_id, team_id);
CREATE INDEX connections_by_enterprise ON connections (app_id, enterprise_id);
CREATE TABLE covered_teams (
    connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    team_id       TEXT NOT NULL,
    PRIMARY KEY (connection_id, team_id)
);
CREATE INDEX covered_teams_by_team ON covered_teams (team_id);
CREATE TABLE proxy_keys_v6 (
    id            TEXT PRIMARY KEY,
    connection_id TEXT REFERENCES connections(id) ON DELETE CASCADE,
    app_id        TEXT REFERENCES apps(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('auto', 'bot', 'user', 'app', 'config')),
    label         TEXT,
    digest        BLOB NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    requests      INTEGER NOT NULL DEFAULT 0,
    failures      INTEGER NOT NULL DEFAULT 0,
    CHECK ((connection_id IS NULL) <> (app_id IS NULL))
);
INSERT INTO proxy_keys_v6 (id, connection_id, kind, label, digest, created_at, last_used_at,
    requests, failures)
  SELECT id, connection_id, kind, label, digest, created_at, last_used_at, requests, failures
  FROM proxy_keys;
DROP TABLE proxy_keys;
ALTER TABLE proxy_keys_v6 RENAME TO proxy_keys;
CREATE TABLE seen_requests (
    digest     BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
"#,
    // 7: the governor: what each key's requests were held and how many 429s were waited
    // out for them, and its holds, shared by every proxy on the store (Slack's
    // Retry-After for an (install, method), until when in Unix milliseconds).
    r#"
ALTER TABLE proxy_keys ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE proxy_keys ADD COLUMN absorbed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE rate_holds (
    connection_id TEXT NOT NULL,
    method        TEXT NOT NULL,
    until_ms      INTEGER NOT NULL,
    PRIMARY KEY (connection_id, method)
);
"#,
    // 8: hooks on token events: each hook (its command or URL and its signing secret
    // sealed), the events it listens to, and its deliveries, recorded in the transaction of
    // what they tell of and claimed by whoever tries them.
    r#"
CREATE TABLE hooks (
    id         TEXT PRIMARY KEY,
    label      TEXT,
    via        TEXT NOT NULL CHECK (via IN ('exec', 'url')),
    target     BLOB NOT NULL,
    secret     BLOB,
    created_at INTEGER NOT NULL
);
CREATE TABLE hook_events (
    hook_id TEXT NOT NULL REFERENCES hooks(id) ON DELETE CASCADE,
    event   TEXT NOT NULL,
    PRIMARY KEY (hook_id, event)
);
CREATE INDEX hook_events_by_event ON hook_events (event);
CREATE TABLE hook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    hook_id          TEXT NOT NULL REFERENCES hooks(id) ON DELETE CASCADE,
    once             TEXT NOT NULL,
    event            TEXT NOT NULL,
    connection_name  TEXT,
    app_name         TEXT,
    team_id          TEXT,
    enterprise_id    TEXT,
    token_kind       TEXT,
    reason           TEXT,
    at               INTEGER NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_at_ms       INTEGER NOT NULL,
    recorded_by      TEXT NOT NULL,
    claimed_by       TEXT,
    claimed_until_ms INTEGER,
    tried_at         INTEGER,
    result           TEXT,
    UNIQUE (hook_id, once)
);
CREATE INDEX hook_deliveries_due ON hook_deliveries (state, next_at_ms);
"#,
    // 9: scoped proxy keys: the methods (globs) and channels a key is limited to, reads
    // only, an expiry, and the requests its scope refused.
    r#"
ALTER TABLE proxy_keys ADD COLUMN methods TEXT;
ALTER TABLE proxy_keys ADD COLUMN channels TEXT;
ALTER TABLE proxy_keys ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE proxy_keys ADD COLUMN expires_at INTEGER;
ALTER TABLE proxy_keys ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
"#,
    // 10: failed calls can be dismissed, and close when the same call later succeeds:
    // the calls still standing, found by connection and method; and the dashboard's hour
    // of refreshes, found by action and time.
    r#"
CREATE INDEX calls_standing ON calls (connection_id, method)
    WHERE state IN ('open', 'replay_failed');
CREATE INDEX events_by_action ON events (action, at);
"#,
];

pub const LATEST: i64 = MIGRATIONS.len() as i64;

pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// True when the file holds tables but no schema version of ours: another program's
/// database.
pub const FOREIGN_CHECK: &str = "SELECT (SELECT user_version FROM pragma_user_version) = 0
    AND EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%')";

/// Apply the migrations after `from`, in the caller's transaction.
pub fn migrate(conn: &Connection, from: i64) -> rusqlite::Result<()> {
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        conn.execute_batch(sql)?;
        conn.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    Ok(())
}
