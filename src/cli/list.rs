//! `xox list` and `xox show CONN`: connections, tokens, scopes, expiry and status.

use super::{Context, format, print_json};
use crate::engine::CLASSIC_APP;
use crate::engine::IncomingWebhook;
use crate::engine::{Connection, now_unix};
use clap::Args;

#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(long)]
    pub json: bool,
    /// Only the connections' names, one a line (what shell completion offers)
    #[arg(long, conflicts_with = "json")]
    pub names: bool,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Connection name or id
    conn: String,
    #[arg(long)]
    json: bool,
}

pub async fn list(ctx: &Context, args: &ListArgs) -> anyhow::Result<()> {
    let conns = ctx.engine_reading()?.connections().await?;
    let now = now_unix();
    if args.names {
        for c in &conns {
            outln!("{}", c.name);
        }
        return Ok(());
    }
    if args.json {
        print_json(&serde_json::Value::Array(
            conns
                .iter()
                .map(|c| format::connection_json(c, now))
                .collect(),
        ));
        return Ok(());
    }
    if conns.is_empty() {
        outln!("no connections yet: `xox import NAME --app APP` stores one");
        return Ok(());
    }
    out!("{}", render_list(&conns, now));
    Ok(())
}

/// One row per token; the connection's name and team on its first row only.
pub fn render_list(conns: &[Connection], now: i64) -> String {
    let mut rows = vec![
        [
            "NAME", "TEAM", "KIND", "TYPE", "SCOPES", "EXPIRES", "STATUS",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for c in conns {
        if c.tokens.is_empty() {
            rows.push(vec![
                c.name.clone(),
                format::team_label(c),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                c.health(now).to_string(),
            ]);
        }
        for (i, t) in c.tokens.iter().enumerate() {
            let (name, team) = if i == 0 {
                (c.name.clone(), format::team_label(c))
            } else {
                (String::new(), String::new())
            };
            rows.push(vec![
                name,
                team,
                t.kind.to_string(),
                t.token_type.to_string(),
                t.scopes.len().to_string(),
                format::countdown(t.expires_at, now),
                t.health(now).to_string(),
            ]);
        }
    }
    format::table(&rows)
}

pub async fn show(ctx: &Context, args: &ShowArgs) -> anyhow::Result<()> {
    let engine = ctx.engine_reading()?;
    let conn = engine.connection(&args.conn).await?;
    let webhook = match conn.has_incoming_webhook {
        true => Some(engine.webhook(&conn.id).await?),
        false => None,
    };
    let now = now_unix();
    if args.json {
        let mut value = format::connection_json(&conn, now);
        value["enterprise_name"] = conn.enterprise_name.clone().into();
        value["slack_app_id"] = conn.slack_app_id.clone().into();
        value["has_incoming_webhook"] = conn.has_incoming_webhook.into();
        value["webhook_channel"] = webhook.as_ref().and_then(|h| h.channel.clone()).into();
        value["classic"] = conn.is_classic().into();
        value["created_at"] = format::rfc3339(conn.created_at).into();
        value["updated_at"] = format::rfc3339(conn.updated_at).into();
        print_json(&value);
        return Ok(());
    }
    out!("{}", render_show(&conn, webhook.as_ref(), now));
    Ok(())
}

pub fn render_show(c: &Connection, webhook: Option<&IncomingWebhook>, now: i64) -> String {
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let mut rows = vec![
        vec!["app".into(), c.app_name.clone()],
        vec!["team".into(), format::team_label(c)],
        vec!["enterprise".into(), dash(&c.enterprise_id)],
        vec!["slack app id".into(), dash(&c.slack_app_id)],
        vec!["bot user".into(), dash(&c.bot_user_id)],
        vec!["authed user".into(), dash(&c.authed_user_id)],
        vec![
            "webhook".into(),
            webhook.map_or_else(|| "no".into(), format::webhook_label),
        ],
        vec!["status".into(), c.health(now).to_string()],
    ];
    if c.enterprise_id.is_some() {
        rows.insert(3, vec!["org".into(), format::org_reach(c)]);
    }
    for t in &c.tokens {
        let expiry = match t.expires_at {
            Some(at) if at <= now => format!("expired at {}", format::rfc3339(at)),
            Some(at) => format!(
                "expires in {} ({})",
                format::countdown(Some(at), now),
                format::rfc3339(at)
            ),
            None => "long-lived".into(),
        };
        let rotation = if t.has_refresh_token {
            "rotating, refreshable"
        } else if t.rotating {
            "rotating, no refresh token"
        } else {
            "not rotating"
        };
        let mut status = t.health(now).to_string();
        if let Some(reason) = &t.status_reason {
            status.push_str(&format!(" ({reason})"));
        }
        rows.push(vec![
            format!("{} token", t.kind),
            format!("{} {}", t.token_type, t.redacted),
        ]);
        rows.push(vec![
            String::new(),
            format!("{rotation}; {expiry}; generation {}", t.generation),
        ]);
        rows.push(vec![String::new(), format!("status {status}")]);
        let scopes: Vec<&str> = t.scopes.iter().collect();
        rows.push(vec![
            String::new(),
            format!(
                "scopes ({}): {}",
                scopes.len(),
                if scopes.is_empty() {
                    "-".into()
                } else {
                    scopes.join(", ")
                }
            ),
        ]);
    }
    let classic = match c.is_classic() {
        true => format!("\nnote: {CLASSIC_APP}\n"),
        false => String::new(),
    };
    format!("{} ({})\n{}{classic}", c.name, c.id, format::table(&rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{TokenInfo, TokenStatus};
    use crate::engine::{TokenKind, TokenType};
    use xox_domain::store::fixtures;

    const NOW: i64 = 1_795_000_000;

    fn token(
        kind: TokenKind,
        token_type: TokenType,
        expires_in: Option<i64>,
        status: TokenStatus,
    ) -> TokenInfo {
        let mut t = fixtures::token(
            kind,
            token_type,
            "chat:write,users:read",
            expires_in.map(|s| NOW + s),
        );
        t.status = status;
        t.status_reason =
            (status == TokenStatus::NeedsReauth).then(|| "invalid_refresh_token".into());
        t
    }

    fn connection(name: &str, team: Option<(&str, &str)>, tokens: Vec<TokenInfo>) -> Connection {
        let mut c = fixtures::connection(name, team, tokens);
        c.has_incoming_webhook = true;
        c
    }

    fn sample() -> Vec<Connection> {
        vec![
            connection(
                "acme-classic",
                Some(("T0ACME", "Acme Corp")),
                vec![
                    token(TokenKind::Bot, TokenType::Bot, None, TokenStatus::Ok),
                    token(TokenKind::User, TokenType::User, None, TokenStatus::Ok),
                ],
            ),
            connection(
                "acme-rotating",
                Some(("T0ACME", "Acme Corp")),
                vec![
                    token(
                        TokenKind::Bot,
                        TokenType::RotatingBot,
                        Some(42_120),
                        TokenStatus::Ok,
                    ),
                    token(
                        TokenKind::User,
                        TokenType::RotatingUser,
                        Some(249),
                        TokenStatus::Ok,
                    ),
                ],
            ),
            connection(
                "gamma",
                None,
                vec![token(
                    TokenKind::Bot,
                    TokenType::RotatingBot,
                    Some(-5),
                    TokenStatus::NeedsReauth,
                )],
            ),
            connection("empty", Some(("T0E", "Empty")), vec![]),
        ]
    }

    #[test]
    fn list_view() {
        insta::assert_snapshot!(render_list(&sample(), NOW));
    }

    #[test]
    fn show_view() {
        let hook = IncomingWebhook {
            url: crate::engine::Secret::new("https://hooks.slack.com/services/T1/B1/abcdefWXYZ"),
            channel: Some("#alerts".into()),
            channel_id: Some("C1".into()),
        };
        insta::assert_snapshot!(render_show(&sample()[1], Some(&hook), NOW));
        insta::assert_snapshot!("show_needs_reauth", render_show(&sample()[2], None, NOW));
    }

    /// `show` and `list` agree on a connection with no token left.
    #[test]
    fn a_connection_without_tokens_is_no_tokens_in_show_and_list() {
        let empty = &sample()[3];
        let shown = render_show(empty, None, NOW);
        let status = shown.lines().find(|l| l.starts_with("status")).unwrap();
        assert_eq!(
            status.split_whitespace().nth(1),
            Some("no_tokens"),
            "{shown}"
        );
        assert!(render_list(std::slice::from_ref(empty), NOW).contains("no_tokens"));
    }
}
