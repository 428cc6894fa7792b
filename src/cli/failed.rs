//! `xox failed [ID]`: recorded failed calls, each explained with a hint and the next command.

use super::{Context, format, print_json};
use crate::engine::ErrorCode;
use crate::engine::{CallState, ExplainedCall, standing};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FailedArgs {
    #[command(subcommand)]
    action: Option<FailedCommand>,
    /// Only this recorded call
    id: Option<i64>,
    /// Dismissed calls too
    #[arg(long)]
    all: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
pub enum FailedCommand {
    /// Set a failed call aside without replaying it (with its own failed replays); the
    /// connection's history records it
    Dismiss {
        /// The recorded call's id
        id: i64,
    },
}

fn to_json(e: &ExplainedCall) -> Value {
    let scopes = |s: &Option<crate::engine::Scopes>| {
        s.as_ref()
            .map(|s| s.iter().map(str::to_owned).collect::<Vec<_>>())
    };
    json!({
        "id": e.call.id,
        "connection": e.connection.as_ref().map(|c| c.name.clone()),
        "token_kind": e.call.token_kind,
        "method": e.call.method,
        "error": e.call.error,
        "needed": scopes(&e.call.needed),
        "provided": scopes(&e.call.provided),
        "accepted_scopes": scopes(&e.call.accepted_scopes),
        "http_status": e.call.http_status,
        "retry_after": e.call.retry_after,
        "at": format::rfc3339(e.call.at),
        "state": e.call.state,
        "replay_of": e.call.replay_of,
        "class": ErrorCode::parse(&e.call.error).class().map(|c| c.as_str()),
        "hint": e.hint.as_ref().map(|h| h.text.clone()),
        "replay_can_succeed": e.hint.as_ref().map(|h| h.replay_can_succeed()),
        "command": e.command.as_ref().filter(|_| standing(&e.call)),
    })
}

pub async fn run(ctx: &Context, args: &FailedArgs) -> anyhow::Result<()> {
    let engine = ctx.engine_reading()?;
    if let Some(FailedCommand::Dismiss { id }) = args.action {
        let dismissed = engine.dismiss_call(id).await?;
        let ids: Vec<String> = dismissed.iter().map(|id| format!("#{id}")).collect();
        outln!("dismissed {}", ids.join(", "));
        return Ok(());
    }
    let explained = match args.id {
        Some(id) => vec![engine.failed_call(id).await?],
        None => engine
            .failed_calls()
            .await?
            .into_iter()
            .filter(|e| args.all || e.call.state != CallState::Dismissed)
            .collect(),
    };
    print(&explained, args.json);
    Ok(())
}

/// Print explained failed calls, as text or JSON (also used by `xox demo`).
pub fn print(explained: &[ExplainedCall], json: bool) {
    if json {
        print_json(&Value::Array(explained.iter().map(to_json).collect()));
        return;
    }
    if explained.is_empty() {
        outln!("no failed calls recorded");
        return;
    }
    for e in explained {
        let mut head = format!(
            "#{} {} {} {} ({} token): {} [{}]",
            e.call.id,
            format::rfc3339(e.call.at),
            e.connection_label(),
            e.call.method,
            e.call.token_kind,
            e.call.error,
            e.call.state
        );
        if let Some(original) = e.call.replay_of {
            head.push_str(&format!(" replay of #{original}"));
        }
        outln!("{head}");
        if let Some(needed) = &e.call.needed {
            let provided = e
                .call
                .provided
                .as_ref()
                .map_or_else(|| "-".to_owned(), |p| p.to_csv());
            outln!("    needed: {needed}   provided: {provided}");
        }
        if let Some(hint) = &e.hint {
            outln!("    hint: {}", hint.text);
        }
        // A call replayed or dismissed has no step left to take.
        if let Some(command) = e.command.as_ref().filter(|_| standing(&e.call)) {
            outln!("    next: {command}");
        }
    }
}
