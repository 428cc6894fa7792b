//! A proxy's own counts: requests by method, HTTP status and Slack error; how long each
//! took at Slack and in the proxy; and 429s met, absorbed and passed.

use crate::engine::{GovernorCounts, is_catalogued};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    status: String,
    error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PartLabels {
    part: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RateLimitLabels {
    outcome: &'static str,
}

fn latency_buckets() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Families are shared handles: the registry made for each scrape reads the same counts.
#[derive(Clone)]
pub struct ProxyMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: Family<PartLabels, Histogram, fn() -> Histogram>,
    /// Slack's 429s handed back to the app (the governor's own 429s are in `passed` too).
    slack_429s_passed: Counter,
    /// The governor's counts, read at each scrape.
    governor: Option<Arc<GovernorCounts>>,
}

impl Default for ProxyMetrics {
    fn default() -> Self {
        ProxyMetrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_buckets),
            slack_429s_passed: Counter::default(),
            governor: None,
        }
    }
}

impl ProxyMetrics {
    pub fn with_governor(counts: Arc<GovernorCounts>) -> ProxyMetrics {
        ProxyMetrics {
            governor: Some(counts),
            ..ProxyMetrics::default()
        }
    }

    /// One request: its method (a name the catalogue knows, else `other`), the status the
    /// app got, Slack's error (`code_label`), the time at Slack and the whole time.
    pub fn request(
        &self,
        method: &str,
        status: u16,
        error: Option<&str>,
        slack: Duration,
        total: Duration,
    ) {
        let method = if is_catalogued(method) {
            method
        } else {
            "other"
        };
        let error = error.map_or(String::new(), |e| {
            super::code_label(&crate::engine::ErrorCode::parse(e))
        });
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                status: status.to_string(),
                error,
            })
            .inc();
        self.latency
            .get_or_create(&PartLabels { part: "slack" })
            .observe(slack.as_secs_f64());
        self.latency
            .get_or_create(&PartLabels { part: "proxy" })
            .observe(total.saturating_sub(slack).as_secs_f64());
    }

    /// Slack answered 429 and the app got it.
    pub fn slack_429_passed(&self) {
        self.slack_429s_passed.inc();
    }

    pub(super) fn register(&self, registry: &mut Registry) {
        registry.register(
            "xox_proxy_requests",
            "Requests the proxy served, by method, HTTP status and Slack error",
            self.requests.clone(),
        );
        registry.register(
            "xox_proxy_request_duration_seconds",
            "Time a request spent at Slack (part=slack) and in the proxy (part=proxy)",
            self.latency.clone(),
        );
        let rate_limits = Family::<RateLimitLabels, Counter>::default();
        let (absorbed, passed) = self.governor.as_ref().map_or((0, 0), |g| {
            (
                g.absorbed.load(Ordering::Relaxed),
                g.passed.load(Ordering::Relaxed),
            )
        });
        let slack_passed = self.slack_429s_passed.get();
        let count = |outcome, n: u64| {
            rate_limits
                .get_or_create(&RateLimitLabels { outcome })
                .inc_by(n);
        };
        // Met: every 429 Slack gave, waited out or handed back.
        count("met", absorbed + slack_passed);
        count("absorbed", absorbed);
        // The governor counts every 429 the app got while it is on (Slack's and its own);
        // off, it counts none and Slack's are all there is.
        count("passed", passed.max(slack_passed));
        registry.register(
            "xox_proxy_rate_limits",
            "Slack's 429s the proxy met, waited out (absorbed) and handed to the app (passed)",
            rate_limits,
        );
    }
}
