//! `xox login`: install an app through the browser and a local callback; `--add-scopes`
//! re-authorizes an existing connection with more scopes.

use super::{Context, format, parse_window};
use crate::login::{LoggedIn, LoginError, LoginPlan};
use crate::slack::Scopes;
use crate::store::now_unix;
use anyhow::bail;
use clap::Args;
use std::process::{Command, Stdio};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The registered app to install
    #[arg(long, required_unless_present = "add_scopes")]
    app: Option<String>,
    /// The connection to store the tokens as [default: APP-WORKSPACE]
    #[arg(long)]
    name: Option<String>,
    /// Bot scopes, comma-separated [default: the app's]
    #[arg(long)]
    scopes: Option<String>,
    /// User scopes, comma-separated [default: the app's]
    #[arg(long)]
    user_scopes: Option<String>,
    /// Re-authorize this connection, asking for its scopes plus --scopes/--user-scopes
    #[arg(long, value_name = "CONN", conflicts_with_all = ["app", "name"])]
    add_scopes: Option<String>,
    /// Pre-select this workspace (team id)
    #[arg(long)]
    team: Option<String>,
    /// Only print the authorize URL; do not open a browser
    #[arg(long)]
    no_browser: bool,
    /// Give up waiting for the browser after this long (seconds, or 5m)
    #[arg(long, default_value = "5m", value_parser = parse_window)]
    timeout: Duration,
}

fn open_browser(url: &str) -> bool {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    Command::new(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .is_ok()
}

pub async fn run(ctx: &Context, args: LoginArgs) -> anyhow::Result<()> {
    let mut store = ctx.store()?;
    let client = ctx.client()?;
    let listed = |s: &Option<String>| s.as_deref().map(Scopes::parse);
    let plan = match &args.add_scopes {
        Some(conn_name) => {
            let conn = store.connection(conn_name)?;
            let (bot, user) = (
                listed(&args.scopes).unwrap_or_default(),
                listed(&args.user_scopes).unwrap_or_default(),
            );
            if bot.is_empty() && user.is_empty() {
                bail!("--add-scopes needs --scopes and/or --user-scopes: the scopes to add");
            }
            LoginPlan::add_scopes(store.app(&conn.app_id)?, &conn, &bot, &user)
        }
        None => {
            let app = store.app(
                args.app
                    .as_deref()
                    .expect("clap requires --app without --add-scopes"),
            )?;
            LoginPlan {
                bot_scopes: listed(&args.scopes).unwrap_or_else(|| app.bot_scopes.clone()),
                user_scopes: listed(&args.user_scopes).unwrap_or_else(|| app.user_scopes.clone()),
                team: args.team.clone(),
                connection_name: args.name.clone(),
                app,
            }
        }
    };
    let secret = store.app_secret(&plan.app)?;
    let redirect = plan.app.redirect_uri.clone();
    let cert_dir = ctx
        .db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf();
    let pending = plan.start(&client, &cert_dir).await?;
    eprintln!(
        "Open this link to install the app; xox waits on {redirect} for up to {}:",
        humantime::format_duration(args.timeout)
    );
    // The URL alone on its line, on stdout: what a person copies and a script reads.
    outln!("{}", pending.url());
    if redirect.starts_with("https:") {
        eprintln!(
            "(the callback uses a self-signed certificate for localhost: accept the browser's warning once)"
        );
    }
    if !args.no_browser && !open_browser(pending.url().as_str()) {
        eprintln!("(could not open a browser; open the link yourself)");
    }
    let finished = tokio::select! {
        done = pending.finish(&mut store, &client, secret, args.timeout) => done,
        _ = super::shutdown_signal() => Err(LoginError::Cancelled),
    };
    let LoggedIn {
        connection,
        warnings,
    } = finished?;
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    let now = now_unix();
    let tokens: Vec<String> = connection
        .tokens
        .iter()
        .map(|t| format::token_summary(t, now))
        .collect();
    eprintln!(
        "logged in to {}: {}",
        format::team_label(&connection),
        tokens.join(", ")
    );
    outln!("{}", connection.name);
    Ok(())
}
