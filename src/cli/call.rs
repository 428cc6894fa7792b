//! `xox call METHOD [k=v ...] --conn CONN`: call Slack with a stored token; failures are kept.

use super::{Context, KindArgs, print_json};
use crate::engine::{CallFailure, CallReport};
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
    /// Send a method the catalogue does not know (one newer than it)
    #[arg(long)]
    force: bool,
}

/// `text` as a shell reads it back: bare when it is plain, else in single quotes.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-=.:,/@%+".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

pub async fn run(ctx: &Context, args: CallArgs) -> anyhow::Result<()> {
    // A method the catalogue does not know is refused before Slack is asked, with the
    // nearest one and the whole command again, arguments included.
    if !args.force
        && let Err(crate::engine::EngineError::UnknownMethod { method, nearest }) =
            crate::engine::check_method(&args.method)
    {
        let words: Vec<String> = args.args.iter().map(|a| shell_word(a)).collect();
        let next = match &nearest {
            Some(nearest) => format!(
                "did you mean {nearest}?; next: xox call {nearest} {}--conn {}",
                words.iter().map(|w| format!("{w} ")).collect::<String>(),
                shell_word(&args.conn)
            ),
            None => {
                "`xox call --force` sends it anyway, for a method newer than the catalogue".into()
            }
        };
        anyhow::bail!("{method} is not a Web API method xox knows (nothing was sent): {next}");
    }
    let report = ctx
        .engine_reading()?
        .call(&args.conn, &args.method, &args.args, args.kind.kind())
        .await?;
    print_report(report, args.json)
}

/// Print a call's outcome: the answer on stdout, or one error line (with the next step)
/// and, with `--json`, a JSON description on stdout. Shared by `call` and `replay`.
pub fn print_report(report: CallReport, json: bool) -> anyhow::Result<()> {
    for warning in &report.warnings {
        errln!("warning: {warning}");
    }
    for note in &report.notes {
        errln!("note: {note}");
    }
    if !report.settled.is_empty() {
        let ids: Vec<String> = report.settled.iter().map(|id| format!("#{id}")).collect();
        errln!(
            "note: closed failed call{} {}: this request went through",
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", ")
        );
    }
    let CallFailure { error, recorded } = match report.result {
        Ok(answer) => {
            if let Some(warning) = &answer.warning {
                errln!("warning: Slack says {warning}");
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
    let recorded_text = match &recorded {
        Ok(explained) => format!("; recorded as call #{}", explained.call.id),
        Err(e) => format!("; could not record it: {e}"),
    };
    let explained = recorded.as_ref().ok();
    let command = explained.and_then(|e| e.command.clone());
    if json {
        let api = error.api();
        let scopes = |s: Option<&crate::engine::Scopes>| {
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
            "recorded_call": explained.map(|e| e.call.id),
            "hint": command.as_ref().and(explained).and_then(|e| e.hint.as_ref()).map(|h| h.text.clone()),
            "command": command,
        }));
    }
    let next = command
        .map(|command| format!("; next: {command}"))
        .unwrap_or_default();
    Err(anyhow!("{error}{recorded_text}{next}"))
}
