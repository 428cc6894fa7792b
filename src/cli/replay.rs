//! `xox replay ID`: run a recorded failed call again with a freshly resolved token.

use super::{Context, KindArgs};
use crate::calls;
use crate::store::now_unix;
use anyhow::bail;
use clap::Args;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The recorded call's id (`xox failed` lists them)
    id: i64,
    /// Replay with another token than the one that failed
    #[command(flatten)]
    kind: KindArgs,
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Context, args: ReplayArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let call = store.call(args.id)?;
    if call.state == "replayed_ok" {
        bail!(
            "call #{} was replayed successfully already; there is nothing to replay",
            call.id
        );
    }
    let conn = store.connection(&call.connection_id)?;
    let payload = store.call_payload(call.id)?;
    let kind = calls::default_kind(&conn, Some(args.kind.kind().unwrap_or(call.token_kind)))?;
    // Replays of a replay stay linked to the first call.
    let original = call.replay_of.unwrap_or(call.id);
    if call.error == "ratelimited" {
        let ready_at = call.at + call.retry_after.unwrap_or(0) as i64;
        let wait = ready_at - now_unix();
        if wait > 0 {
            eprintln!("note: waiting {wait}s, the rest of Slack's Retry-After");
            tokio::time::sleep(Duration::from_secs(wait as u64)).await;
        }
    }
    let rotator = ctx.rotator(store)?;
    let outcome = calls::call(
        &rotator,
        &conn,
        kind,
        &call.method,
        &payload.params,
        Some(original),
    )
    .await?;
    if outcome.result.is_ok() && !args.json {
        eprintln!("replayed call #{}: ok", call.id);
    }
    super::call::report(&rotator, &conn, &payload.params, outcome, args.json).await
}
