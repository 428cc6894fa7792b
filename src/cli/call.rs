//! `xox call METHOD [k=v ...] --conn CONN`: call Slack with a stored token; failures are kept.

use super::{Context, KindArgs, print_json};
use crate::calls::{self, CallFailure};
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
    let mut store = ctx.store()?;
    let client = ctx.client()?;
    let conn = store.connection(&args.conn)?;
    let kind = calls::choose_kind(&conn, args.kind.kind())?;
    match calls::call(&mut store, &client, &conn, kind, &args.method, &params).await? {
        Ok(answer) => {
            if let Some(warning) = &answer.warning {
                eprintln!("warning: Slack says {warning}");
            }
            if args.json {
                outln!("{}", answer.body);
            } else {
                print_json(&answer.body);
            }
            Ok(())
        }
        Err(failure) => Err(report(&failure, args.json)),
    }
}

fn report(failure: &CallFailure, json: bool) -> anyhow::Error {
    let recorded = match &failure.recorded {
        Ok(id) => format!("; recorded as call #{id}"),
        Err(e) => format!("; could not record it: {e}"),
    };
    if json {
        let api = failure.error.api();
        let scopes = |s: Option<&crate::slack::Scopes>| {
            s.map(|s| s.iter().map(str::to_owned).collect::<Vec<_>>())
        };
        print_json(&json!({
            "ok": false,
            "error": api.map_or("transport", |e| e.code.as_str()),
            "message": failure.error.to_string(),
            "http_status": api.map(|e| e.http_status),
            "needed": scopes(api.and_then(|e| e.needed.as_ref())),
            "provided": scopes(api.and_then(|e| e.provided.as_ref())),
            "retry_after": api.and_then(|e| e.retry_after),
            "recorded_call": failure.recorded.as_ref().ok(),
        }));
    }
    anyhow!("{}{recorded}", failure.error)
}
