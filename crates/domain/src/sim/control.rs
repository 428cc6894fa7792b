//! `/_sim/*`: the control API tests and `xox demo` use to seed, configure, break and inspect.

use super::faults::Fault;
use super::shared::Shared;
use super::world::{SimApp, SimConfig};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/_sim/apps", post(add_app))
        .route("/_sim/installs", post(add_install))
        .route("/_sim/config", get(get_config).post(set_config))
        .route("/_sim/faults", post(add_fault).delete(clear_faults))
        .route("/_sim/counters", get(counters))
        .route("/_sim/clock", post(advance_clock))
        .route("/_sim/deactivate", post(deactivate))
        .route("/_sim/app_tokens", post(add_app_token))
        .route("/_sim/config_tokens", post(add_config_tokens))
}

async fn add_app(State(s): State<Shared>, Json(app): Json<SimApp>) -> Json<SimApp> {
    Json(s.lock().world.register_app(app))
}

#[derive(Deserialize)]
struct InstallRequest {
    client_id: String,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    team_name: Option<String>,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    user_scopes: String,
    /// Which answer to give: today's `oauth.v2.access`, or a classic app's `oauth.access`.
    #[serde(default)]
    shape: InstallShape,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
enum InstallShape {
    #[default]
    #[serde(rename = "oauth.v2.access")]
    OauthV2,
    #[serde(rename = "oauth.access")]
    LegacyOauthAccess,
}

async fn add_install(State(s): State<Shared>, Json(req): Json<InstallRequest>) -> Response {
    let name = req
        .team_name
        .clone()
        .or_else(|| req.team_id.as_ref().map(|id| format!("Workspace {id}")));
    let team = req.team_id.as_deref().zip(name.as_deref());
    match s
        .lock()
        .world
        .seed_install(&req.client_id, team, &req.scopes, &req.user_scopes)
    {
        Ok(grant) if req.shape == InstallShape::LegacyOauthAccess => {
            match super::legacy::legacy_answer(&grant) {
                Ok(legacy) => Json(legacy).into_response(),
                Err(detail) => (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"ok": false, "error": "invalid_arguments", "detail": detail})),
                )
                    .into_response(),
            }
        }
        Ok(grant) => Json(grant).into_response(),
        Err(refusal) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"ok": false, "error": refusal.code, "detail": refusal.explanation})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct AppTokenRequest {
    client_id: String,
}

async fn add_app_token(State(s): State<Shared>, Json(req): Json<AppTokenRequest>) -> Response {
    match s.lock().world.mint_app_token(&req.client_id) {
        Ok(token) => Json(json!({"ok": true, "token": token})).into_response(),
        Err(code) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"ok": false, "error": code})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct ConfigTokenRequest {
    #[serde(default)]
    team_id: Option<String>,
}

async fn add_config_tokens(
    State(s): State<Shared>,
    Json(req): Json<ConfigTokenRequest>,
) -> Json<serde_json::Value> {
    let team_id = req
        .team_id
        .unwrap_or_else(|| crate::sim::world::DEFAULT_TEAM.0.to_owned());
    let name = format!("Workspace {team_id}");
    Json(s.lock().world.mint_config_tokens((&team_id, &name)))
}

async fn get_config(State(s): State<Shared>) -> Json<SimConfig> {
    Json(s.lock().world.config.clone())
}

async fn set_config(State(s): State<Shared>, Json(config): Json<SimConfig>) -> Json<SimConfig> {
    s.lock().world.config = config.clone();
    Json(config)
}

async fn add_fault(State(s): State<Shared>, Json(fault): Json<Fault>) -> StatusCode {
    s.lock().faults.add(fault);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(s): State<Shared>) -> StatusCode {
    s.lock().faults.clear();
    StatusCode::NO_CONTENT
}

async fn counters(State(s): State<Shared>) -> Json<super::world::Counters> {
    Json(s.lock().world.counters.clone())
}

#[derive(Deserialize)]
struct Advance {
    advance_secs: i64,
}

async fn advance_clock(State(s): State<Shared>, Json(a): Json<Advance>) -> Json<serde_json::Value> {
    let mut st = s.lock();
    st.world.advance_clock(a.advance_secs);
    Json(json!({"now": st.world.now()}))
}

#[derive(Deserialize)]
struct Deactivate {
    team_id: String,
}

async fn deactivate(State(s): State<Shared>, Json(d): Json<Deactivate>) -> Json<serde_json::Value> {
    Json(json!({"installs": s.lock().world.deactivate(&d.team_id)}))
}
