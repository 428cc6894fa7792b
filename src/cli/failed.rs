//! `xox failed [ID]`: recorded failed calls, each explained with a hint and the next command.

use super::{Context, format, print_json};
use crate::calls::hints;
use crate::store::{Connection, RecordedCall, Store};
use clap::Args;
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Args, Debug)]
pub struct FailedArgs {
    /// Only this recorded call
    id: Option<i64>,
    #[arg(long)]
    json: bool,
}

struct Explained {
    call: RecordedCall,
    conn: Option<Connection>,
    hint: Option<hints::Hint>,
    command: Option<String>,
}

fn explain(
    store: &Store,
    call: RecordedCall,
    conns: &mut HashMap<String, Option<Connection>>,
) -> anyhow::Result<Explained> {
    let conn = conns
        .entry(call.connection_id.clone())
        .or_insert_with(|| store.connection(&call.connection_id).ok())
        .clone();
    let payload = store.call_payload(call.id)?;
    let hint = conn
        .as_ref()
        .map(|c| hints::explain(&call, c, &payload.params));
    let command = conn
        .as_ref()
        .zip(hint.as_ref())
        .and_then(|(c, h)| h.command(c, &call));
    Ok(Explained {
        call,
        conn,
        hint,
        command,
    })
}

fn to_json(e: &Explained) -> Value {
    let scopes = |s: &Option<crate::slack::Scopes>| {
        s.as_ref()
            .map(|s| s.iter().map(str::to_owned).collect::<Vec<_>>())
    };
    json!({
        "id": e.call.id,
        "connection": e.conn.as_ref().map(|c| c.name.clone()),
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
        "hint": e.hint.as_ref().map(|h| h.text.clone()),
        "command": e.command,
    })
}

pub fn run(ctx: &Context, args: &FailedArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let calls = match args.id {
        Some(id) => vec![store.call(id)?],
        None => store.calls()?,
    };
    print(&store, calls, args.json)
}

/// Print recorded calls with their hints, as text or JSON (also used by `xox demo`).
pub fn print(store: &Store, calls: Vec<RecordedCall>, json: bool) -> anyhow::Result<()> {
    let mut conns = HashMap::new();
    let explained: Vec<Explained> = calls
        .into_iter()
        .map(|c| explain(store, c, &mut conns))
        .collect::<anyhow::Result<_>>()?;
    if json {
        print_json(&Value::Array(explained.iter().map(to_json).collect()));
        return Ok(());
    }
    if explained.is_empty() {
        outln!("no failed calls recorded");
        return Ok(());
    }
    for e in &explained {
        let conn = e
            .conn
            .as_ref()
            .map_or("(deleted connection)", |c| c.name.as_str());
        let mut head = format!(
            "#{} {} {} {} ({} token): {} [{}]",
            e.call.id,
            format::rfc3339(e.call.at),
            conn,
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
        if let Some(command) = &e.command {
            outln!("    next: {command}");
        }
    }
    Ok(())
}
