//! `xox history CONN`: the event trail of a connection.

use super::{Context, format, print_json};
use clap::Args;
use serde_json::json;

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Connection name or id
    conn: String,
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Context, args: &HistoryArgs) -> anyhow::Result<()> {
    let events = ctx.engine_reading()?.events(&args.conn).await?;
    let when = |at: Option<i64>| at.map(format::rfc3339);
    if args.json {
        let rows: Vec<_> = events
            .iter()
            .map(|e| json!({
                "id": e.id, "at": format::rfc3339(e.at), "action": e.action, "token_kind": e.token_kind,
                "outcome": e.outcome, "old_expires_at": when(e.old_expires_at), "new_expires_at": when(e.new_expires_at),
                "pid": e.pid, "detail": e.detail,
            }))
            .collect();
        print_json(&serde_json::Value::Array(rows));
        return Ok(());
    }
    let mut rows = vec![
        [
            "WHEN",
            "ACTION",
            "KIND",
            "OUTCOME",
            "OLD EXPIRY",
            "NEW EXPIRY",
            "PID",
            "DETAIL",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    for e in &events {
        rows.push(vec![
            format::rfc3339(e.at),
            e.action.to_string(),
            or_dash(e.token_kind.map(|k| k.to_string())),
            e.outcome.to_string(),
            or_dash(when(e.old_expires_at)),
            or_dash(when(e.new_expires_at)),
            e.pid.to_string(),
            or_dash(e.detail.clone()),
        ]);
    }
    out!("{}", format::table(&rows));
    Ok(())
}
