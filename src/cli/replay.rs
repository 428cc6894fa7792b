//! `xox replay ID`: run a recorded failed call again with a freshly resolved token.

use super::{Context, KindArgs};
use clap::Args;

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The recorded call's id (`xox failed` lists them)
    id: i64,
    /// Replay with another token than the one that failed
    #[command(flatten)]
    kind: KindArgs,
    /// Send it even though the token still lacks the scope it failed for (when the stored
    /// scopes are behind what Slack granted)
    #[arg(long)]
    force: bool,
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Context, args: ReplayArgs) -> anyhow::Result<()> {
    let on_wait = |secs: u64| errln!("note: waiting {secs}s, the rest of Slack's Retry-After");
    let report = ctx
        .engine_reading()?
        .replay(args.id, args.kind.kind(), args.force, &on_wait)
        .await?;
    if report.result.is_ok() && !args.json {
        errln!("replayed call #{}: ok", args.id);
    }
    super::call::print_report(report, args.json)
}
