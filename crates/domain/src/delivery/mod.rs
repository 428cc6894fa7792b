//! Telling a hook of a token event: the event as one JSON object, given to a command on its
//! standard input or POSTed, signed, to a URL. A try never outlasts [`CUT_OFF`].

mod exec;
mod payload;
mod post;

pub use payload::payload;
pub use post::HookClient;

use crate::slack::Secret;
use crate::store::hooks::{HookDelivery, HookVia, TryResult};
use std::time::Duration;

/// How long one try may take: a command still running then is killed, with its children.
pub const CUT_OFF: Duration = Duration::from_secs(10);

/// Where a hook's events go, as stored.
pub struct Target<'a> {
    pub via: HookVia,
    pub target: &'a str,
    /// A URL hook's signing secret.
    pub secret: Option<&'a Secret>,
}

/// Try `delivery` once.
pub async fn deliver(
    client: &HookClient,
    to: &Target<'_>,
    delivery: &HookDelivery,
    cut_off: Duration,
) -> TryResult {
    let body = payload(delivery).to_string();
    match to.via {
        HookVia::Exec => exec::run(to.target, body.as_bytes(), cut_off).await,
        HookVia::Url => {
            client
                .post(to.target, to.secret, delivery, body, cut_off)
                .await
        }
    }
}
