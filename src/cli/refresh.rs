//! `xox refresh CONN` and `xox refresh --all`: refresh rotating tokens now.

use super::{Context, KindArgs, format, parse_window, print_json};
use crate::rotation::{Need, RefreshReport, Target, refresh_due};
use crate::store::now_unix;
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
    #[arg(long, default_value_t = crate::rotation::DEFAULT_CONCURRENCY, requires = "all")]
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
    let store = ctx.store()?;
    let conn = store.connection(name)?;
    let kinds: Vec<_> = match args.kind.kind() {
        Some(kind) => vec![crate::calls::default_kind(&conn, Some(kind))?],
        None => conn
            .tokens
            .iter()
            .filter(|t| t.has_refresh_token)
            .map(|t| t.kind)
            .collect(),
    };
    if kinds.is_empty() {
        bail!(
            "{} has no rotating token to refresh (`xox exchange {} --yes` makes a long-lived one rotating)",
            conn.name,
            conn.name
        );
    }
    let rotator = ctx.rotator(store)?;
    let mut results = Vec::new();
    for kind in kinds {
        let generation = conn.token(kind).map_or(0, |t| t.generation);
        let fresh = rotator
            .refresh_if(
                &Target::of(&conn, kind),
                Need::NotRewrittenSince(generation),
            )
            .await?;
        let expiry = fresh.expires_at.map(format::rfc3339);
        if !args.json {
            let how = if fresh.refreshed {
                "refreshed"
            } else {
                "already refreshed by another process:"
            };
            outln!(
                "{how} {} {kind}, expires in {} ({})",
                conn.name,
                format::countdown(fresh.expires_at, now_unix()),
                expiry.as_deref().unwrap_or("-")
            );
        }
        results.push(json!({"connection": conn.name, "kind": kind, "refreshed": fresh.refreshed, "expires_at": expiry}));
    }
    if args.json {
        print_json(&serde_json::Value::Array(results));
    }
    Ok(())
}

async fn refresh_all(ctx: &Context, args: &RefreshArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let within = args.within.as_secs() as i64;
    let due = store.due_tokens(now_unix() + within)?;
    let rotator = ctx.rotator(store)?;
    let show_progress = std::io::stderr().is_terminal() && !args.json;
    let progress = |done: usize, total: usize, failed: usize| {
        if show_progress {
            eprint!("\rrefreshing {done}/{total} ({failed} failed)");
        }
    };
    let report = refresh_due(&rotator, due, within, args.concurrency, &progress).await;
    if show_progress && !report.items.is_empty() {
        eprintln!();
    }
    if args.json {
        print_json(&summary_json(&report));
    } else {
        print_summary(&report, args.within);
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
