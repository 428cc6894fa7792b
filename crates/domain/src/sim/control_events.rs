//! `/_sim/*` for distributed apps: workspaces and Grid orgs to install into, Slack's
//! signed events sent to an app's Request URL, uninstalls and revocations, and the
//! messages apps posted.

use super::events::{Delivery, deliver};
use super::shared::Shared;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/_sim/enterprises", post(add_enterprise))
        .route("/_sim/workspaces", post(add_workspace))
        .route("/_sim/events", post(send_event))
        .route("/_sim/uninstall", post(uninstall))
        .route("/_sim/revoke_user", post(revoke_user))
        .route("/_sim/messages", get(messages))
}

#[derive(Deserialize)]
struct Team {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Enterprise {
    id: String,
    name: String,
    #[serde(default)]
    teams: Vec<Team>,
}

async fn add_enterprise(State(s): State<Shared>, Json(org): Json<Enterprise>) -> Json<Value> {
    let orgs = &mut s.lock().world.orgs;
    orgs.add_enterprise(&org.id, &org.name);
    for team in &org.teams {
        orgs.add_workspace(&team.id, &team.name, Some(&org.id));
    }
    Json(json!({"ok": true}))
}

async fn add_workspace(State(s): State<Shared>, Json(team): Json<Team>) -> Json<Value> {
    s.lock()
        .world
        .orgs
        .add_workspace(&team.id, &team.name, None);
    Json(json!({"ok": true}))
}

#[derive(Deserialize)]
struct InstallRef {
    client_id: String,
    /// A workspace, or an enterprise for an org-wide install.
    team_id: String,
}

#[derive(Deserialize)]
struct EventRequest {
    client_id: String,
    team_id: String,
    event: Value,
}

fn refused(code: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"ok": false, "error": code})),
    )
        .into_response()
}

/// Send each delivery in turn (the lock is not held while the app answers).
async fn send_all(deliveries: Vec<Delivery>) -> Response {
    let mut answers = Vec::new();
    for delivery in deliveries {
        answers.push(deliver(delivery).await);
    }
    Json(json!({"ok": true, "deliveries": answers})).into_response()
}

async fn send_event(State(s): State<Shared>, Json(req): Json<EventRequest>) -> Response {
    let delivery = s
        .lock()
        .world
        .event_delivery(&req.client_id, &req.team_id, req.event);
    match delivery {
        Ok(delivery) => send_all(vec![delivery]).await,
        Err(code) => refused(code),
    }
}

async fn uninstall(State(s): State<Shared>, Json(req): Json<InstallRef>) -> Response {
    let deliveries = s.lock().world.uninstall(&req.client_id, &req.team_id);
    match deliveries {
        Ok(deliveries) => send_all(deliveries).await,
        Err(code) => refused(code),
    }
}

async fn revoke_user(State(s): State<Shared>, Json(req): Json<InstallRef>) -> Response {
    let delivery = s
        .lock()
        .world
        .revoke_user_token(&req.client_id, &req.team_id);
    match delivery {
        Ok(delivery) => send_all(vec![delivery]).await,
        Err(code) => refused(code),
    }
}

async fn messages(State(s): State<Shared>) -> Json<Value> {
    Json(json!({"messages": s.lock().world.posted}))
}
