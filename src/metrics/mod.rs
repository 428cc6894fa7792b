//! Prometheus metrics (text format 0.0.4, by `prometheus-client`): what this proxy served,
//! and what the store says of every connection and hook delivery. No label ever holds a token, a key, a
//! secret or a call argument, and every label's values are bounded: connection names,
//! method names from the catalogue, error codes Slack documents.

pub mod proxy;

use crate::engine::{Engine, Stop};
use std::sync::Arc;

use crate::engine::{DeliveryState, ErrorCode, Health, StoreFacts, now_unix};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The Content-Type of what `/metrics` answers.
pub use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    connection: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

/// An error code as a label: one Slack documents, or `other` (Slack's answers are not
/// ours to trust with the size of a label set).
pub fn code_label(code: &ErrorCode) -> String {
    match code {
        ErrorCode::Other(_) => "other".to_owned(),
        known => known.as_str().to_owned(),
    }
}

/// The store's part: connections by status, seconds until each token expires, refreshes
/// by outcome.
fn register_store(registry: &mut Registry, facts: &StoreFacts) {
    let now = now_unix();
    let by_status = Family::<StatusLabels, Gauge>::default();
    for health in [
        Health::Ok,
        Health::NoTokens,
        Health::Error,
        Health::Expired,
        Health::Revoked,
        Health::Uninstalled,
        Health::NeedsReauth,
    ] {
        let count = facts
            .connections
            .iter()
            .filter(|c| c.health(now) == health)
            .count();
        by_status
            .get_or_create(&StatusLabels {
                status: health.label().to_owned(),
            })
            .set(count as i64);
    }
    registry.register(
        "xox_connections",
        "Connections by status (the worst of their tokens)",
        by_status,
    );
    let expiry = Family::<TokenLabels, Gauge>::default();
    for connection in &facts.connections {
        for token in &connection.tokens {
            if let Some(at) = token.expires_at {
                expiry
                    .get_or_create(&TokenLabels {
                        connection: connection.name.clone(),
                        kind: token.kind.as_str().to_owned(),
                    })
                    .set(at - now);
            }
        }
    }
    registry.register(
        "xox_token_expiry_seconds",
        "Seconds until a token expires (negative once expired), by connection and token kind",
        expiry,
    );
    let refreshes = Family::<OutcomeLabels, Gauge>::default();
    for (outcome, count) in &facts.refreshes {
        let label = match outcome {
            crate::engine::Outcome::Slack(code) => code_label(code),
            other => other.as_str().to_owned(),
        };
        refreshes
            .get_or_create(&OutcomeLabels { outcome: label })
            .inc_by(*count);
    }
    registry.register(
        "xox_refreshes",
        "Token refreshes in the store's trail by outcome, every host's",
        refreshes,
    );
    let deliveries = Family::<StateLabels, Gauge>::default();
    for state in DeliveryState::ALL {
        let count = facts
            .hook_deliveries
            .iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| *n);
        deliveries
            .get_or_create(&StateLabels {
                state: state.as_str(),
            })
            .set(count);
    }
    registry.register(
        "xox_hook_deliveries",
        "Hook deliveries of the last week by state (pending, delivered, gave_up), every host's",
        deliveries,
    );
}

/// The scrape: the store's facts, and `extra` (a proxy's own counts) when there is one.
pub fn render(facts: &StoreFacts, extra: Option<&proxy::ProxyMetrics>) -> String {
    let mut registry = Registry::default();
    register_store(&mut registry, facts);
    if let Some(proxy) = extra {
        proxy.register(&mut registry);
    }
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)
        .expect("writing to a String does not fail");
    text
}

/// `/metrics` with the store's facts alone, on `listener` until the stop: what `xox watch
/// --metrics ADDR` serves, behind the proxy's own guards against slow and endless clients.
pub async fn serve_store_metrics(
    engine: Arc<Engine>,
    listener: tokio::net::TcpListener,
    stop: Stop,
) {
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(
                |axum::extract::State(engine): axum::extract::State<Arc<Engine>>| async move {
                    use axum::response::IntoResponse;
                    match engine.store_facts().await {
                        Ok(facts) => (
                            [(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)],
                            render(&facts, None),
                        )
                            .into_response(),
                        Err(e) => {
                            tracing::warn!(error = %e, "could not read the store for metrics");
                            axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response()
                        }
                    }
                },
            ),
        )
        .with_state(engine);
    let cap = crate::proxy::listen::connection_cap(8);
    crate::proxy::listen::serve(listener, app, stop, std::time::Duration::from_secs(5), cap).await;
}
