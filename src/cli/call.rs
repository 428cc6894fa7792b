//! `xox call METHOD [k=v ...] --conn CONN`: call Slack with a stored token; failures are kept.

use super::{Context, KindArgs, print_json};
use crate::calls::{self, CallFailure, Outcome, hints};
use crate::rotation::Rotator;
use anyhow::anyhow;
use clap::Args;
use serde_json::json;

#[derive(Args, Debug)]
pub struct CallArgs {
    /// The Web API method, e.g. chat.postMessage
    method: String,
    /// Arguments as key=value
    args: Vec<String>,
    /// Connection name or id
    #[arg(long)]
    conn: String,
    #[command(flatten)]
    kind: KindArgs,
    /// Print the answer compact on one line; on failure, a JSON description on stdout too
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Context, args: CallArgs) -> anyhow::Result<()> {
    let params = calls::parse_args(&args.args)?;
    let store = ctx.store()?;
    let conn = store.connection(&args.conn)?;
    let plan = calls::plan(&conn, &args.method, args.kind.kind())?;
    for warning in &plan.warnings {
        eprintln!("warning: {warning}");
    }
    let rotator = ctx.rotator(store)?;
    let outcome = calls::call(&rotator, &conn, plan.kind, &args.method, &params, None).await?;
    report(&rotator, &conn, &params, outcome, args.json).await
}

/// Print a call's outcome: the answer on stdout, or one error line (with the next step)
/// and, with `--json`, a JSON description on stdout. Shared by `call` and `replay`.
pub async fn report(
    rotator: &Rotator,
    conn: &crate::store::Connection,
    params: &[(String, String)],
    outcome: Outcome,
    json: bool,
) -> anyhow::Result<()> {
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    let failure = match outcome.result {
        Ok(answer) => {
            if let Some(warning) = &answer.warning {
                eprintln!("warning: Slack says {warning}");
            }
            if json {
                outln!("{}", answer.body);
            } else {
                print_json(&answer.body);
            }
            return Ok(());
        }
        Err(failure) => failure,
    };
    let CallFailure { error, recorded } = failure;
    let (recorded_text, next) = match &recorded {
        Ok(id) => {
            let id = *id;
            let call = rotator.store().run(move |s| s.call(id)).await?;
            let hint = hints::explain(&call, conn, params);
            (
                format!("; recorded as call #{id}"),
                hint.command(conn, &call).map(|c| (hint.text.clone(), c)),
            )
        }
        Err(e) => (format!("; could not record it: {e}"), None),
    };
    if json {
        let api = error.api();
        let scopes = |s: Option<&crate::slack::Scopes>| {
            s.map(|s| s.iter().map(str::to_owned).collect::<Vec<_>>())
        };
        print_json(&json!({
            "ok": false,
            "error": api.map_or("transport", |e| e.code.as_str()),
            "message": error.to_string(),
            "http_status": api.map(|e| e.http_status),
            "needed": scopes(api.and_then(|e| e.needed.as_ref())),
            "provided": scopes(api.and_then(|e| e.provided.as_ref())),
            "retry_after": api.and_then(|e| e.retry_after),
            "recorded_call": recorded.as_ref().ok(),
            "hint": next.as_ref().map(|(text, _)| text),
            "command": next.as_ref().map(|(_, command)| command),
        }));
    }
    let next = next
        .map(|(_, command)| format!("; next: {command}"))
        .unwrap_or_default();
    Err(anyhow!("{error}{recorded_text}{next}"))
}
