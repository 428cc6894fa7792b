//! `xox hook`: commands and URLs told of token events (a token that needs re-auth, is
//! revoked or uninstalled, a failed refresh, an install, a token about to lapse, a 429).

use super::deferred::Deferred;
use super::{Context, format, print_json};
use crate::engine::{Hook, HookEvent, HookTarget, HookVia};
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum HookCommand {
    /// Tell a command (--exec) or a URL (--url) of token events
    Add(Deferred<AddArgs>),
    /// The hooks, with the last delivery of each
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a hook, and what it had not been told yet
    Remove {
        /// The hook's id, or its label
        hook: String,
    },
    /// Send a hook a test event now, and say what came of it
    Test {
        /// The hook's id, or its label
        hook: String,
    },
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// Events, comma-separated: needs_reauth, revoked, uninstalled, refresh_failed,
    /// installed, expiring, rate_limited; or all
    #[arg(long, value_name = "EVENTS", value_delimiter = ',', value_parser = parse_event, required = true)]
    on: Vec<Vec<HookEvent>>,
    /// A command, run with sh -c, the event as JSON on its standard input (no XOX_*
    /// variable in its environment; cut off after 10 s)
    #[arg(
        long,
        value_name = "COMMAND",
        required_unless_present = "url",
        conflicts_with = "url"
    )]
    exec: Option<String>,
    /// A URL the event is POSTed to as JSON, signed with X-Xox-Signature (as Slack signs,
    /// under a secret shown once)
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// A name for the hook, for `list`, `remove` and `test`
    #[arg(long)]
    label: Option<String>,
}

/// One event name, or `all` of them.
fn parse_event(text: &str) -> Result<Vec<HookEvent>, String> {
    let subscribable = HookEvent::ALL.iter().filter(|e| **e != HookEvent::Test);
    match text.trim() {
        "all" => Ok(subscribable.copied().collect()),
        name => match name.parse::<HookEvent>() {
            Ok(HookEvent::Test) | Err(_) => Err(format!(
                "no event {name:?}: the events are {}, or all",
                subscribable
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Ok(event) => Ok(vec![event]),
        },
    }
}

/// Where a hook sends, as shown: a URL's path and query may hold the receiver's credential,
/// so only its origin is.
fn target_label(hook: &Hook) -> String {
    match hook.via {
        HookVia::Exec => format!("exec: {}", hook.target),
        HookVia::Url => match url::Url::parse(&hook.target) {
            Ok(url) if url.path() != "/" || url.query().is_some() => {
                format!("url: {}/…", url.origin().ascii_serialization())
            }
            Ok(url) => format!("url: {}/", url.origin().ascii_serialization()),
            Err(_) => "url: (unreadable)".into(),
        },
    }
}

fn events_label(hook: &Hook) -> String {
    hook.events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn last_label(hook: &Hook) -> String {
    match &hook.last {
        None => "never tried".into(),
        Some(last) => format!(
            "{} {} {}: {}{}",
            format::rfc3339(last.tried_at),
            last.event,
            last.state,
            last.result,
            if last.attempts > 1 {
                format!(" (try {})", last.attempts)
            } else {
                String::new()
            }
        ),
    }
}

fn hook_json(hook: &Hook) -> serde_json::Value {
    json!({
        "id": hook.id,
        "label": hook.label,
        "events": hook.events,
        "via": hook.via,
        "target": target_label(hook),
        "created_at": format::rfc3339(hook.created_at),
        "pending": hook.pending,
        "last": hook.last.as_ref().map(|l| json!({
            "event": l.event,
            "connection": l.connection,
            "state": l.state,
            "attempts": l.attempts,
            "tried_at": format::rfc3339(l.tried_at),
            "result": l.result,
        })),
    })
}

pub async fn run(ctx: &Context, command: HookCommand) -> anyhow::Result<()> {
    match command {
        HookCommand::Add(Deferred(args)) => add(ctx, args).await,
        HookCommand::List { json } => list(ctx, json).await,
        HookCommand::Remove { hook } => {
            let removed = ctx.engine_reading()?.remove_hook(&hook).await?;
            outln!("removed hook {}", removed.id);
            Ok(())
        }
        HookCommand::Test { hook } => {
            let (hook, result) = ctx.engine_reading()?.test_hook(&hook).await?;
            if !result.delivered {
                anyhow::bail!(
                    "hook {} ({}) was not told: {}",
                    hook.id,
                    target_label(&hook),
                    result.detail
                );
            }
            outln!("hook {} told: {}", hook.id, result.detail);
            Ok(())
        }
    }
}

async fn add(ctx: &Context, args: AddArgs) -> anyhow::Result<()> {
    let mut events: Vec<HookEvent> = args.on.into_iter().flatten().collect();
    events.sort_by_key(|e| e.as_str());
    events.dedup();
    let target = match (args.exec, args.url) {
        (Some(command), None) => HookTarget::Exec(command),
        (None, Some(url)) => HookTarget::Url(url),
        _ => anyhow::bail!("give one of --exec COMMAND or --url URL"),
    };
    let added = ctx
        .engine_reading()?
        .add_hook(events, target, args.label)
        .await?;
    errln!(
        "hook {} ({}) is told of: {}",
        added.hook.id,
        target_label(&added.hook),
        events_label(&added.hook)
    );
    // The id alone on stdout, and a URL hook's secret on the next line: what a script keeps.
    outln!("{}", added.hook.id);
    if let Some(secret) = added.secret {
        errln!(
            "its signing secret is shown only now: check X-Xox-Signature (v0=HMAC-SHA256 of \"v0:TIMESTAMP:BODY\", TIMESTAMP from X-Xox-Request-Timestamp) with it"
        );
        outln!("{}", secret.expose());
    }
    Ok(())
}

async fn list(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let hooks = ctx.engine_reading()?.hooks().await?;
    if json {
        print_json(&json!(hooks.iter().map(hook_json).collect::<Vec<_>>()));
        return Ok(());
    }
    if hooks.is_empty() {
        outln!("no hooks yet: `xox hook add --on EVENTS --exec CMD` (or --url URL) adds one");
        return Ok(());
    }
    let mut rows = vec![
        ["ID", "LABEL", "EVENTS", "TO", "PENDING", "LAST DELIVERY"]
            .map(String::from)
            .to_vec(),
    ];
    for hook in &hooks {
        rows.push(vec![
            hook.id.clone(),
            hook.label.clone().unwrap_or_default(),
            events_label(hook),
            target_label(hook),
            hook.pending.to_string(),
            last_label(hook),
        ]);
    }
    out!("{}", format::table(&rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_named_one_by_one_or_all() {
        assert_eq!(parse_event("revoked"), Ok(vec![HookEvent::Revoked]));
        assert_eq!(parse_event("all").map(|e| e.len()), Ok(7));
        let refused = parse_event("test").unwrap_err();
        assert!(refused.contains("needs_reauth"), "{refused}");
        assert!(parse_event("revoke").is_err());
    }

    #[test]
    fn a_url_is_shown_by_its_origin_alone() {
        let hook = |target: &str| Hook {
            id: "h1".into(),
            label: None,
            events: vec![HookEvent::Revoked],
            via: HookVia::Url,
            target: target.into(),
            created_at: 0,
            last: None,
            pending: 0,
        };
        assert_eq!(
            target_label(&hook("https://hooks.example.com/T1/B2/secretpart?k=v")),
            "url: https://hooks.example.com/…"
        );
        assert_eq!(
            target_label(&hook("http://127.0.0.1:9000")),
            "url: http://127.0.0.1:9000/"
        );
    }
}
