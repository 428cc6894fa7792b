//! `xox watch`: keep every rotating token fresh, in the foreground, until Ctrl-C or SIGTERM.

use super::{Context, format, parse_window};
use crate::engine::WatchEvent;
use clap::Args;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Refresh tokens that expire within this long
    #[arg(long, default_value = "2h", value_parser = parse_window)]
    within: Duration,
}

fn line(event: &WatchEvent) -> String {
    let now = format::rfc3339(crate::engine::now_unix());
    match event {
        WatchEvent::Refreshed {
            connection,
            kind,
            expires_at,
        } => {
            format!(
                "{now} refreshed {connection} {kind}, now expires {}",
                expires_at
                    .map(format::rfc3339)
                    .unwrap_or_else(|| "never".into())
            )
        }
        WatchEvent::Failed {
            connection,
            kind,
            error,
            retry_in_secs,
        } => {
            format!("{now} failed {connection} {kind}: {error}; next try in {retry_in_secs}s")
        }
        WatchEvent::Sleeping { until } => {
            format!("{now} waiting until {}", format::rfc3339(*until))
        }
        WatchEvent::StoreError(e) => format!("{now} database error: {e}"),
    }
}

pub async fn run(ctx: &Context, args: WatchArgs) -> anyhow::Result<()> {
    let engine = ctx.engine()?;
    errln!(
        "{} watching {}: refreshing rotating tokens {} before expiry; Ctrl-C stops",
        format::rfc3339(crate::engine::now_unix()),
        engine.location(),
        humantime::format_duration(args.within)
    );
    let report = |event: WatchEvent| {
        tracing::info!(event = %line(&event), "watch");
        errln!("{}", line(&event));
    };
    engine
        .keep_fresh(args.within, std::future::pending(), &report)
        .await?;
    errln!("{} stopped", format::rfc3339(crate::engine::now_unix()));
    Ok(())
}
