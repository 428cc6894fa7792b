//! `xox db copy`: a whole store moved between backends (a file and a server, either way),
//! through the same one-owner rules as an import, and checked once written.

use super::{EngineError, EngineResult};
use crate::slack::grant::GrantShape;
use crate::slack::{Grant, GrantedToken, TokenKind};
use crate::store::EventAction;
use crate::store::{
    App, Backend, CallState, Connection, Happened, HeldElsewhere, NewApp, NewCall, NewEvent,
    STANDALONE_APP, TokenStatus, now_unix,
};
use std::collections::HashMap;
use std::path::Path;

/// What a copy wrote, and what it proved by reading the target back.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CopyReport {
    pub apps: usize,
    pub connections: usize,
    pub tokens: usize,
    pub events: usize,
    pub calls: usize,
    /// Token kinds of which one was decrypted from the target and found equal to its source.
    pub checked_kinds: Vec<TokenKind>,
    /// Connections the target already had (merging): left as they are there, since its
    /// pair may be newer than the source's and a spent pair must never overwrite it.
    pub kept: Vec<String>,
    /// Proxy keys left behind: the store keeps only a keyed digest of each, so they cannot
    /// be carried to a store under another key.
    pub proxy_keys_left: usize,
}

/// Copy the store at `from` into the one at `to` (made if missing), each opened with its
/// own key, on a thread that may block.
pub async fn copy_between(from: &Path, to: &Path, merge: bool) -> EngineResult<CopyReport> {
    if !crate::store::is_server(from) && !from.exists() {
        return Err(EngineError::CopyRefused(format!(
            "no xox database at {} to copy from",
            from.display()
        )));
    }
    let (from, to) = (from.to_path_buf(), to.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let mut source = crate::store::open_with_own_key(&from)?;
        let mut target = crate::store::open_with_own_key(&to)?;
        if source.location() == target.location() {
            return Err(EngineError::CopyRefused(
                "--from and --to are the same store".into(),
            ));
        }
        copy_store(source.as_mut(), target.as_mut(), merge)
    })
    .await
    .expect("a copy does not panic")
}

/// Copy everything in `from` into `to`. A target that holds anything is refused unless
/// `merge`, and then a connection or app of the same name must be the same install or app.
pub fn copy_store(
    from: &mut dyn Backend,
    to: &mut dyn Backend,
    merge: bool,
) -> EngineResult<CopyReport> {
    let (held_apps, held_connections) = (to.apps()?, to.connections()?);
    let user_apps = held_apps
        .iter()
        .filter(|a| a.name != STANDALONE_APP)
        .count();
    if !merge && (user_apps > 0 || !held_connections.is_empty()) {
        return Err(EngineError::CopyRefused(format!(
            "{} already holds {user_apps} app(s) and {} connection(s); pass --merge to add to them",
            to.location(),
            held_connections.len()
        )));
    }
    let mut report = CopyReport::default();
    let mut apps: HashMap<String, App> = HashMap::new();
    for app in from.apps()? {
        let copied = copy_app(from, to, &app)?;
        report.apps += usize::from(app.name != STANDALONE_APP);
        apps.insert(app.id.clone(), copied);
    }
    let mut moved: HashMap<String, String> = HashMap::new();
    let mut samples: HashMap<TokenKind, (String, String)> = HashMap::new();
    for conn in from.connections()? {
        if merge && to.connection(&conn.name).is_ok() {
            report.kept.push(conn.name);
            continue;
        }
        let app = apps.get(&conn.app_id).ok_or_else(|| {
            EngineError::CopyRefused(format!("connection {} has no app in the source", conn.name))
        })?;
        let copied = copy_connection(from, to, &conn, app)?;
        report.connections += 1;
        report.tokens += conn.tokens.len();
        report.events += copy_events(from, to, &conn.id, &copied.id)?;
        for token in &conn.tokens {
            samples
                .entry(token.kind)
                .or_insert_with(|| (conn.id.clone(), copied.id.clone()));
        }
        moved.insert(conn.id, copied.id);
    }
    report.calls = copy_calls(from, to, &moved)?;
    report.proxy_keys_left = from.proxy_keys()?.len();
    report.checked_kinds = check(from, to, &samples)?;
    if !merge {
        let (apps_there, connections_there) = (to.apps()?, to.connections()?.len());
        let apps_there = apps_there
            .iter()
            .filter(|a| a.name != STANDALONE_APP)
            .count();
        if (apps_there, connections_there) != (report.apps, report.connections) {
            return Err(EngineError::CopyRefused(format!(
                "the target holds {apps_there} app(s) and {connections_there} connection(s) after the copy, not {} and {}",
                report.apps, report.connections
            )));
        }
    }
    Ok(report)
}

/// The target's app for `app`: the same one when the target has it (same name and client
/// id), else a new one with its secret.
fn copy_app(from: &mut dyn Backend, to: &mut dyn Backend, app: &App) -> EngineResult<App> {
    if let Ok(there) = to.app(&app.name) {
        if there.client_id != app.client_id {
            return Err(EngineError::CopyRefused(format!(
                "app {} is in both stores with different client ids ({} here, {} there)",
                app.name, app.client_id, there.client_id
            )));
        }
        return Ok(there);
    }
    Ok(to.add_app(NewApp {
        name: app.name.clone(),
        client_id: app.client_id.clone(),
        client_secret: from.app_secret(app)?,
        pkce: app.pkce,
        rotation: app.rotation,
        redirect_uri: app.redirect_uri.clone(),
        bot_scopes: app.bot_scopes.clone(),
        user_scopes: app.user_scopes.clone(),
        signing_secret: from.app_signing_secret(app)?,
        forward_to: app.forward_to.clone(),
    })?)
}

/// The connection's tokens as a grant, saved under the same name: an install that is
/// already in the target (merging) keeps its one owner, and a token another connection
/// there holds is refused, as for an import.
fn copy_connection(
    from: &mut dyn Backend,
    to: &mut dyn Backend,
    conn: &Connection,
    app: &App,
) -> EngineResult<Connection> {
    let now = now_unix();
    let mut states = Vec::new();
    let mut tokens = Vec::new();
    for info in &conn.tokens {
        let state = from.token_state(&conn.id, info.kind)?;
        tokens.push(GrantedToken {
            kind: info.kind,
            token_type: info.token_type,
            access: state.access.clone(),
            refresh: state.refresh.clone(),
            expires_in: state.expires_at.map(|at| at - now),
            scopes: info.scopes.clone(),
        });
        states.push((info.kind, state));
    }
    let grant = Grant {
        shape: GrantShape::default(),
        tokens,
        team_id: conn.team_id.clone(),
        team_name: conn.team_name.clone(),
        enterprise_id: conn.enterprise_id.clone(),
        enterprise_name: conn.enterprise_name.clone(),
        is_enterprise_install: conn.enterprise_install,
        slack_app_id: conn.slack_app_id.clone(),
        bot_user_id: conn.bot_user_id.clone(),
        authed_user_id: conn.authed_user_id.clone(),
        incoming_webhook: from.incoming_webhook(&conn.id)?,
    };
    let copied = to.save_grant(
        app,
        &conn.name,
        &grant,
        EventAction::Copy,
        HeldElsewhere::Refuse,
    )?;
    if conn.enterprise_install {
        to.set_covered_teams(&copied.id, &conn.covered_teams)?;
    }
    for (kind, state) in states {
        if state.status != TokenStatus::Ok {
            to.set_token_status(
                &copied.id,
                kind,
                state.status,
                state.status_reason.as_deref(),
            )?;
        }
    }
    Ok(copied)
}

/// The connection's event trail, each event at its own time and process.
fn copy_events(
    from: &mut dyn Backend,
    to: &mut dyn Backend,
    source_id: &str,
    target_id: &str,
) -> EngineResult<usize> {
    let events = from.events(source_id)?;
    for event in &events {
        to.add_event(&NewEvent {
            connection_id: target_id,
            action: event.action,
            token_kind: event.token_kind,
            outcome: event.outcome.clone(),
            old_expires_at: event.old_expires_at,
            new_expires_at: event.new_expires_at,
            detail: event.detail.clone(),
            happened: Some(Happened {
                at: event.at,
                pid: event.pid,
            }),
        })?;
    }
    Ok(events.len())
}

/// Recorded calls of copied connections, oldest first so a replay's original is there
/// before it; calls of connections removed before the copy have nowhere to go.
fn copy_calls(
    from: &mut dyn Backend,
    to: &mut dyn Backend,
    moved: &HashMap<String, String>,
) -> EngineResult<usize> {
    let mut new_ids: HashMap<i64, i64> = HashMap::new();
    let mut calls = from.calls()?;
    calls.sort_by_key(|c| c.id);
    for call in calls {
        let Some(connection_id) = moved.get(&call.connection_id) else {
            continue;
        };
        let payload = from.call_payload(call.id)?;
        let id = to.record_call(&NewCall {
            connection_id,
            token_kind: call.token_kind,
            method: &call.method,
            params: &payload.params,
            http_status: call.http_status,
            error: &call.error,
            needed: call.needed.as_ref(),
            provided: call.provided.as_ref(),
            accepted_scopes: call.accepted_scopes.as_ref(),
            retry_after: call.retry_after,
            response: payload.response.as_ref(),
            replay_of: call.replay_of.and_then(|old| new_ids.get(&old).copied()),
            at: Some(call.at),
        })?;
        if call.state != CallState::Open {
            to.set_call_state(id, call.state)?;
        }
        new_ids.insert(call.id, id);
    }
    Ok(new_ids.len())
}

/// Read one token of each kind back from the target, decrypted under its key, and hold it
/// against the source's: the proof that what was sealed again opens again.
fn check(
    from: &mut dyn Backend,
    to: &mut dyn Backend,
    samples: &HashMap<TokenKind, (String, String)>,
) -> EngineResult<Vec<TokenKind>> {
    let mut kinds: Vec<TokenKind> = samples.keys().copied().collect();
    kinds.sort_by_key(|k| k.as_str());
    for kind in &kinds {
        let (source_id, target_id) = &samples[kind];
        let (was, is) = (
            from.token_state(source_id, *kind)?,
            to.token_state(target_id, *kind)?,
        );
        let same_refresh = match (&was.refresh, &is.refresh) {
            (Some(a), Some(b)) => a.expose() == b.expose(),
            (None, None) => true,
            _ => false,
        };
        if was.access.expose() != is.access.expose() || !same_refresh {
            return Err(EngineError::CopyRefused(format!(
                "the {kind} token read back from the target differs from the source's"
            )));
        }
    }
    Ok(kinds)
}
