//! `xox refresh CONN` and `xox refresh --all`: refresh rotating tokens now.

use super::{Context, KindArgs, format, parse_window, print_json};
use crate::engine::now_unix;
use crate::engine::{RefreshReport, StopLevel};
use anyhow::bail;
use clap::Args;
use serde_json::json;
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct RefreshArgs {
    /// Connection name or id
    #[arg(required_unless_present = "all")]
    conn: Option<String>,
    #[command(flatten)]
    kind: KindArgs,
    /// Every rotating token that expires within --within
    #[arg(long, conflicts_with = "conn")]
    all: bool,
    /// With --all: how close to expiry a token must be
    #[arg(long, default_value = "2h", value_parser = parse_window, requires = "all")]
    within: Duration,
    /// With --all: how many workspaces at once
    #[arg(long, default_value_t = crate::engine::DEFAULT_CONCURRENCY, requires = "all")]
    concurrency: usize,
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Context, args: RefreshArgs) -> anyhow::Result<()> {
    match &args.conn {
        Some(conn) => refresh_one(ctx, conn, &args).await,
        None => refresh_all(ctx, &args).await,
    }
}

async fn refresh_one(ctx: &Context, name: &str, args: &RefreshArgs) -> anyhow::Result<()> {
    let done = ctx
        .engine_reading()?
        .refresh(name, args.kind.kind())
        .await?;
    let now = now_unix();
    let all = done.len();
    if args.json {
        let rows: Vec<_> = done
            .iter()
            .map(|t| match &t.outcome {
                Ok(r) => json!({"connection": r.connection, "kind": r.kind, "refreshed": r.refreshed, "expires_at": r.expires_at.map(format::rfc3339)}),
                Err(e) => json!({"connection": name, "kind": t.kind, "refreshed": false, "error": e.to_string()}),
            })
            .collect();
        print_json(&serde_json::Value::Array(rows));
    }
    let mut failures = Vec::new();
    for token in done {
        match token.outcome {
            Ok(r) if !args.json => {
                let how = if r.refreshed {
                    "refreshed"
                } else {
                    "already refreshed by another process:"
                };
                outln!(
                    "{how} {} {}, expires in {} ({})",
                    r.connection,
                    r.kind,
                    format::countdown(r.expires_at, now),
                    r.expires_at.map(format::rfc3339).as_deref().unwrap_or("-")
                );
            }
            Ok(_) => {}
            // A lone token's failure is the command's error, in its own words.
            Err(e) if all == 1 => return Err(e.into()),
            Err(e) => failures.push(format!("{}: {e}", token.kind)),
        }
    }
    super::each_failure("refresh", name, all, failures)
}

async fn refresh_all(ctx: &Context, args: &RefreshArgs) -> anyhow::Result<()> {
    let engine = ctx.engine_reading()?;
    let show_progress = std::io::stderr().is_terminal() && !args.json;
    let progress = |done: usize, total: usize, failed: usize| {
        if show_progress {
            eprint!("\rrefreshing {done}/{total} ({failed} failed)");
        }
    };
    let report = engine
        .refresh_due(args.within, args.concurrency, &progress)
        .await?;
    if show_progress && !report.items.is_empty() {
        errln!("");
    }
    if args.json {
        print_json(&summary_json(&report));
    } else {
        print_summary(&report, args.within);
    }
    if engine.stop().level() != StopLevel::Running {
        bail!("stopped by a signal before every due token was refreshed");
    }
    match report.failed() {
        0 => Ok(()),
        n => bail!(
            "{n} of {} tokens could not be refreshed",
            report.items.len()
        ),
    }
}

fn summary_json(report: &RefreshReport) -> serde_json::Value {
    let failures: Vec<_> = report
        .items
        .iter()
        .filter_map(|i| {
            i.outcome
                .as_ref()
                .err()
                .map(|e| json!({"connection": i.connection, "kind": i.kind, "error": e}))
        })
        .collect();
    json!({
        "due": report.items.len(),
        "refreshed": report.items.iter().filter(|i| i.refreshed).count(),
        "already_fresh": report.items.iter().filter(|i| i.outcome.is_ok() && !i.refreshed).count(),
        "failed": report.failed(),
        "elapsed_ms": report.elapsed.as_millis() as u64,
        "failures": failures,
    })
}

fn print_summary(report: &RefreshReport, within: Duration) {
    if report.items.is_empty() {
        outln!(
            "nothing to refresh: no rotating token expires within {}",
            humantime::format_duration(within)
        );
        return;
    }
    let refreshed = report.items.iter().filter(|i| i.refreshed).count();
    outln!(
        "refreshed {refreshed} of {} due tokens in {:.1}s",
        report.items.len(),
        report.elapsed.as_secs_f64()
    );
    for item in &report.items {
        if let Err(e) = &item.outcome {
            outln!("  failed: {} {}: {e}", item.connection, item.kind);
        }
    }
}
