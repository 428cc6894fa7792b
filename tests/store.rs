//! Store tests on real temp files: encryption at rest, key handling, refusals, round trips.

use base64::Engine;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;
use xox_domain::slack::{Scopes, TokenKind, TokenType, parse_grant};
use xox_domain::store::{
    AppStore, CallStore, ConnectionStore, EventStore, HeldElsewhere, Lease, NewApp, NewCall,
    RefreshLock, SqliteStore, StoreError, TokenStatus, TokenStore,
};

fn key() -> String {
    base64::engine::general_purpose::STANDARD.encode([42u8; 32])
}

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open_with_key(path, Some(&key())).unwrap()
}

fn app(store: &mut SqliteStore) -> xox_domain::store::App {
    store
        .add_app(NewApp {
            name: "acme".into(),
            client_id: "111.222".into(),
            client_secret: Some(xox_domain::slack::Secret::new("s3cr3t-client-secret-value")),
            pkce: false,
            rotation: false,
            redirect_uri: "http://localhost:8976/callback".into(),
            bot_scopes: Scopes::parse("chat:write"),
            user_scopes: Scopes::parse("search:read"),
            signing_secret: None,
            forward_to: None,
        })
        .unwrap()
}

/// Store a rotating install as connection `name`, as `xox import` does.
fn import(
    store: &mut SqliteStore,
    app: &xox_domain::store::App,
    name: &str,
    team: &str,
    user: &str,
) -> xox_domain::store::StoreResult<xox_domain::store::Connection> {
    store.save_grant(
        app,
        name,
        &rotating_grant(team, user),
        xox_domain::store::EventAction::Import,
        HeldElsewhere::Refuse,
    )
}

fn rotating_grant(team: &str, user: &str) -> xox_domain::slack::Grant {
    parse_grant(&json!({
        "ok": true, "app_id": "A1", "token_type": "bot", "scope": "chat:write,users:read",
        "access_token": "xoxe.xoxb-1-BOTACCESSSECRET0001", "refresh_token": "xoxe-1-BOTREFRESHSECRET0001",
        "expires_in": 43200, "bot_user_id": "UB", "team": {"id": team, "name": "Acme"},
        "authed_user": {"id": user, "scope": "search:read", "access_token": "xoxe.xoxp-1-USERACCESSSECRET01",
                        "token_type": "user", "refresh_token": "xoxe-1-USERREFRESHSECRET01", "expires_in": 43200}
    }))
    .unwrap()
}

#[test]
fn secrets_are_sealed_at_rest_and_files_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sub/xox.db");
    let mut store = SqliteStore::open_with_key(&db, None).unwrap();
    let app = app(&mut store);
    import(&mut store, &app, "acme-prod", "T1", "U1").unwrap();
    drop(store);

    let mut bytes = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("sub/xox.db-wal")) {
        bytes.extend(wal);
    }
    for secret in [
        "BOTACCESSSECRET",
        "BOTREFRESHSECRET",
        "USERACCESSSECRET",
        "USERREFRESHSECRET",
        "s3cr3t-client",
    ] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in clear"
        );
    }
    for file in ["sub/xox.db", "sub/xox.db.key"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{file}");
    }
    let dir_mode = std::fs::metadata(dir.path().join("sub"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);

    // Reopening with the key file beside it decrypts the same values.
    let store = SqliteStore::open_with_key(&db, None).unwrap();
    let conn = store.connection("acme-prod").unwrap();
    assert_eq!(
        store
            .access_token(&conn.id, TokenKind::Bot)
            .unwrap()
            .expose(),
        "xoxe.xoxb-1-BOTACCESSSECRET0001"
    );
    assert_eq!(
        store
            .refresh_token(&conn.id, TokenKind::User)
            .unwrap()
            .unwrap()
            .expose(),
        "xoxe-1-USERREFRESHSECRET01"
    );
    assert_eq!(
        store
            .app_secret(&store.app("acme").unwrap())
            .unwrap()
            .unwrap()
            .expose(),
        "s3cr3t-client-secret-value"
    );
}

#[test]
fn grant_round_trip_keeps_kinds_scopes_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("x.db"));
    let app = app(&mut store);
    let before = xox_domain::store::now_unix();
    let conn = import(&mut store, &app, "acme-prod", "T1", "U1").unwrap();
    assert_eq!(conn.team_id.as_deref(), Some("T1"));
    assert_eq!(conn.app_name, "acme");
    let bot = conn.token(TokenKind::Bot).unwrap();
    assert_eq!(bot.token_type, TokenType::RotatingBot);
    assert!(bot.rotating && bot.has_refresh_token);
    assert_eq!(bot.scopes.to_csv(), "chat:write,users:read");
    let expires = bot.expires_at.unwrap();
    assert!(expires >= before + 43200 && expires <= before + 43200 + 5);
    assert_eq!(bot.redacted, "xoxe.xoxb-…0001");
    assert_eq!(bot.generation, 1);
    let user = conn.token(TokenKind::User).unwrap();
    assert_eq!(user.token_type, TokenType::RotatingUser);

    // Saving again bumps the generation and appends events; the id stays.
    let again = import(&mut store, &app, "acme-prod", "T1", "U1").unwrap();
    assert_eq!(again.id, conn.id);
    assert_eq!(again.token(TokenKind::Bot).unwrap().generation, 2);
    let events = store.events(&conn.id).unwrap();
    assert_eq!(events.len(), 4);
    assert!(
        events
            .iter()
            .all(|e| e.action == xox_domain::store::EventAction::Import
                && e.pid == std::process::id() as i64)
    );
    assert_eq!(events[2].old_expires_at, Some(expires));
    assert_eq!(store.connections().unwrap().len(), 1);
    assert_eq!(store.connection(&conn.id).unwrap().name, "acme-prod");
}

#[test]
fn a_grant_for_another_workspace_or_user_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("x.db"));
    let app = app(&mut store);
    import(&mut store, &app, "acme", "T1", "U1").unwrap();
    let err = import(&mut store, &app, "acme", "T2", "U1").unwrap_err();
    assert!(err.to_string().contains("workspace T1"), "{err}");
    let err = import(&mut store, &app, "acme", "T1", "U9").unwrap_err();
    assert!(err.to_string().contains("user U1"), "{err}");
    let err = import(&mut store, &app, "has space", "T1", "U1").unwrap_err();
    assert!(err.to_string().contains("not a usable name"), "{err}");
    assert!(matches!(
        store.connection("nope"),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn wrong_or_missing_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    drop(open(&db));
    let other = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
    let err = SqliteStore::open_with_key(&db, Some(&other)).err().unwrap();
    assert!(matches!(err, StoreError::WrongKey(_)), "{err}");
    // The database was made with XOX_KEY, so there is no key file: never invent one.
    let err = SqliteStore::open_with_key(&db, None).err().unwrap();
    assert!(matches!(err, StoreError::KeyMissing { .. }), "{err}");
    assert!(!dir.path().join("x.db.key").exists());
}

#[test]
fn junk_foreign_and_newer_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        b"this is not sqlite, it is a text file with enough bytes to look like a header....",
    )
    .unwrap();
    let before = std::fs::read(&junk).unwrap();
    let err = SqliteStore::open_with_key(&junk, Some(&key()))
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::NotADatabase(_)), "{err}");
    assert_eq!(std::fs::read(&junk).unwrap(), before);

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE songs (x);")
        .unwrap();
    let err = SqliteStore::open_with_key(&foreign, Some(&key()))
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::ForeignDatabase(_)), "{err}");

    let newer = dir.path().join("newer.db");
    drop(open(&newer));
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = SqliteStore::open_with_key(&newer, Some(&key()))
        .err()
        .unwrap();
    assert!(err.to_string().contains("newer xox"), "{err}");

    let err = SqliteStore::open_with_key(dir.path(), Some(&key()))
        .err()
        .unwrap();
    assert!(err.to_string().contains("cannot open"), "{err}");
}

#[test]
fn a_database_locked_by_another_process_is_reported_as_locked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let mut store = open(&db);
    let app = app(&mut store);
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    let err = import(&mut store, &app, "acme", "T1", "U1").unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("locked by another process"));
    holder.execute_batch("ROLLBACK;").unwrap();
    import(&mut store, &app, "acme", "T1", "U1").unwrap();
}

#[test]
fn events_are_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let mut store = open(&db);
    let app = app(&mut store);
    import(&mut store, &app, "acme", "T1", "U1").unwrap();
    let raw = rusqlite::Connection::open(&db).unwrap();
    assert!(
        raw.execute("UPDATE events SET outcome = 'forged'", [])
            .is_err()
    );
    assert!(raw.execute("DELETE FROM events", []).is_err());
}

#[test]
fn recorded_calls_keep_their_payload_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let mut store = open(&db);
    let app = app(&mut store);
    let conn = import(&mut store, &app, "acme", "T1", "U1").unwrap();
    let params = vec![
        ("channel".to_string(), "C1".to_string()),
        ("text".to_string(), "PRIVATE-USER-TEXT".to_string()),
    ];
    let body = json!({"ok": false, "error": "missing_scope", "needed": "chat:write", "provided": "users:read"});
    let id = store
        .record_call(&NewCall {
            connection_id: &conn.id,
            token_kind: TokenKind::Bot,
            method: "chat.postMessage",
            params: &params,
            http_status: Some(200),
            error: "missing_scope",
            needed: Some(&Scopes::parse("chat:write")),
            provided: Some(&Scopes::parse("users:read")),
            accepted_scopes: None,
            retry_after: Some(3),
            response: Some(&body),
            replay_of: None,
            at: None,
        })
        .unwrap();
    assert_eq!(id, 1);
    let call = store.call(id).unwrap();
    assert_eq!(call.error, "missing_scope");
    assert_eq!(call.needed.unwrap().to_csv(), "chat:write");
    assert_eq!(call.retry_after, Some(3));
    assert_eq!(call.state, xox_domain::store::CallState::Open);
    let payload = store.call_payload(id).unwrap();
    assert_eq!(payload.params, params);
    assert_eq!(payload.response.unwrap(), body);
    assert_eq!(store.calls().unwrap().len(), 1);
    drop(store);
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.windows(17).any(|w| w == b"PRIVATE-USER-TEXT"));
}

#[test]
fn token_status_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("x.db"));
    let app = app(&mut store);
    let conn = import(&mut store, &app, "acme", "T1", "U1").unwrap();
    store
        .set_token_status(
            &conn.id,
            TokenKind::User,
            TokenStatus::NeedsReauth,
            Some("invalid_refresh_token"),
        )
        .unwrap();
    let user = store
        .connection("acme")
        .unwrap()
        .token(TokenKind::User)
        .cloned()
        .unwrap();
    assert_eq!(user.status, TokenStatus::NeedsReauth);
    assert_eq!(user.status_reason.as_deref(), Some("invalid_refresh_token"));
}

#[test]
fn a_lease_has_one_holder_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let mut a = open(&db);
    let mut b = open(&db);
    let take = |s: &mut SqliteStore, kind, owner: &str, ttl_ms: u64| {
        s.try_lease("c1", kind, owner, Duration::from_millis(ttl_ms))
            .unwrap()
    };
    assert_eq!(
        take(&mut a, TokenKind::Bot, "owner-a", 60_000),
        Lease::Taken
    );
    assert_eq!(take(&mut b, TokenKind::Bot, "owner-b", 60_000), Lease::Busy);
    assert_eq!(
        take(&mut b, TokenKind::User, "owner-b", 60_000),
        Lease::Taken,
        "other slot is free"
    );
    a.release_lease("c1", TokenKind::Bot, "owner-a").unwrap();
    assert_eq!(take(&mut b, TokenKind::Bot, "owner-b", 0), Lease::Taken);
    // A zero-TTL lease is already expired, so another owner may take it over.
    assert_eq!(
        take(&mut a, TokenKind::Bot, "owner-a", 60_000),
        Lease::Taken
    );
    // Releasing someone else's lease does nothing.
    b.release_lease("c1", TokenKind::Bot, "owner-b").unwrap();
    assert_eq!(take(&mut b, TokenKind::Bot, "owner-b", 60_000), Lease::Busy);
}

#[test]
fn a_lease_whose_holder_exited_is_taken_over_before_it_lapses() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let mut store = open(&db);
    // A holder on this machine that has exited: its owner id with a dead pid.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let ours = xox_domain::store::lease_owner::this_process();
    let machine = ours.rsplitn(3, ':').nth(2).unwrap();
    let dead = format!("{machine}:{}:lgone", child.id());
    child.wait().unwrap();
    assert_eq!(
        store
            .try_lease("c1", TokenKind::Bot, &dead, Duration::from_millis(60_000))
            .unwrap(),
        Lease::Taken
    );
    assert_eq!(
        store
            .try_lease("c1", TokenKind::Bot, &ours, Duration::from_millis(60_000))
            .unwrap(),
        Lease::TakenFromGone(dead)
    );
    // A live holder (this process, under another owner id) keeps it.
    let other = xox_domain::store::lease_owner::this_process();
    assert_eq!(
        store
            .try_lease("c1", TokenKind::Bot, &other, Duration::from_millis(60_000))
            .unwrap(),
        Lease::Busy
    );
}

#[test]
fn a_value_another_program_wrote_is_an_error_that_names_it_not_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let mut store = open(&db);
    let app = app(&mut store);
    import(&mut store, &app, "acme-prod", "T1", "U1").unwrap();
    drop(store);
    // Another program marks the bot token with a status xox does not know, then adds an
    // event with an action it does not know.
    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute(
            "UPDATE tokens SET status = 'suspended' WHERE kind = 'bot'",
            [],
        )
        .unwrap();
    drop(other);
    let store = open(&db);
    // An unknown status used to read as `ok`, and the token was handed out.
    let err = store.connection("acme-prod").unwrap_err().to_string();
    assert!(err.contains("token status \"suspended\""), "{err}");
    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute("UPDATE tokens SET status = 'ok'", [])
        .unwrap();
    let id = store.connection("acme-prod").unwrap().id;
    other
        .execute(
            "INSERT INTO events (connection_id, at, action, token_kind, outcome, pid)
             VALUES (?1, 1, 'teleport', 'bot', 'ok', 1)",
            [&id],
        )
        .unwrap();
    drop(other);
    let err = store.events(&id).unwrap_err().to_string();
    assert!(err.contains("event action \"teleport\""), "{err}");
}
