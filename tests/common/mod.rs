//! Helpers shared by the integration tests: a simulator with apps, and a test browser.

#![allow(dead_code)]

pub mod browser;
pub mod cli_env;
pub mod dashboard;
pub mod distributed;
pub mod postgres;
pub mod proxy;
pub mod relay;
pub mod rotating;
pub mod sdks;
pub mod stampede;
pub mod tmux;

use std::time::Duration;
use xox_domain::sim::{Fault, FaultKind, SimApp, Simulator};
use xox_domain::slack::{ClientCredentials, Secret, SlackClient};

pub const SECRET: &str = "test-client-secret";

/// What the simulator's control API answers to a POST of `body` to `/_sim/{path}`.
pub async fn sim_control(
    sim: &Simulator,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{}/_sim/{path}", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn sim_with_app(client_id: &str, rotation: bool, pkce: bool) -> Simulator {
    let sim = Simulator::start(0).await.unwrap();
    sim.with_world(|w| {
        w.register_app(SimApp {
            client_id: client_id.into(),
            client_secret: (!pkce).then(|| SECRET.into()),
            pkce,
            rotation,
            redirect_urls: vec!["http://localhost:8976/callback".into()],
            app_id: "A0TEST".into(),
            signing_secret: None,
            event_url: None,
        })
    });
    sim
}

/// The next `count` refresh grants (`oauth.v2.access`) meet `kind`.
pub fn fault_refreshes(sim: &Simulator, kind: FaultKind, count: u32) {
    sim.add_fault(Fault {
        method: Some("oauth.v2.access".into()),
        kind,
        count,
    });
}

pub fn client(sim: &Simulator) -> SlackClient {
    SlackClient::new(sim.base_url(), Duration::from_secs(5)).unwrap()
}

pub fn creds(client_id: &str) -> ClientCredentials {
    ClientCredentials {
        client_id: client_id.into(),
        client_secret: Some(Secret::new(SECRET)),
    }
}

/// A browser that does not follow redirects, so the test can read where it is sent.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Seed an install through the control API and return Slack's code-grant answer.
pub async fn seed(
    sim: &Simulator,
    client_id: &str,
    scopes: &str,
    user_scopes: &str,
) -> serde_json::Value {
    let answer = browser()
        .post(format!("{}/_sim/installs", sim.base_url()))
        .json(&serde_json::json!({"client_id": client_id, "team_id": "T0TEST", "team_name": "Test Team",
                                  "scopes": scopes, "user_scopes": user_scopes}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    answer.json().await.unwrap()
}

/// The messages the simulator took (by a token or through a webhook), each with the
/// install that posted it.
pub async fn sim_messages(sim: &Simulator) -> Vec<serde_json::Value> {
    let answer: serde_json::Value = reqwest::get(format!("{}/_sim/messages", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["messages"].as_array().unwrap().clone()
}
