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
    /// Serve /metrics (Prometheus' text format) at ADDR:PORT: connections by status,
    /// seconds to each token's expiry, refreshes by outcome
    #[arg(long, value_name = "ADDR:PORT")]
    metrics: Option<std::net::SocketAddr>,
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
    let engine = std::sync::Arc::new(ctx.engine_reading()?);
    if let Some(at) = args.metrics {
        let listener = tokio::net::TcpListener::bind(at)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {at} (--metrics): {e}"))?;
        // The address alone on stdout, as the proxy prints its own.
        outln!("http://{}/metrics", listener.local_addr()?);
        tokio::spawn(crate::metrics::serve_store_metrics(
            engine.clone(),
            listener,
            ctx.settings.stop.clone(),
        ));
    }
    // Hooks' deliveries that are due, this host's and those others left, until the stop.
    {
        let (engine, stop) = (engine.clone(), ctx.settings.stop.clone());
        tokio::spawn(async move {
            engine
                .run_hooks(stop.reached(crate::engine::StopLevel::Finish))
                .await
        });
    }
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
