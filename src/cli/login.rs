//! `xox login`: install an app through the browser and a local callback; `--reauth CONN`
//! re-authorizes an existing connection in place, optionally with more scopes.

use super::{Context, format, parse_window};
use crate::engine::Scopes;
use crate::engine::StopLevel;
use crate::engine::now_unix;
use crate::engine::{LoggedIn, LoginError};
use crate::engine::{LoginRequest, ScopeCheck};
use clap::Args;
use std::process::Stdio;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The registered app to install
    #[arg(long, required_unless_present = "reauth")]
    app: Option<String>,
    /// The connection to store the tokens as [default: APP-WORKSPACE]
    #[arg(long)]
    name: Option<String>,
    /// Bot scopes, comma-separated [default: the app's; with --reauth, scopes to add]
    #[arg(long)]
    scopes: Option<String>,
    /// User scopes, comma-separated [default: the app's; with --reauth, scopes to add]
    #[arg(long)]
    user_scopes: Option<String>,
    /// Re-authorize this connection in place: its app, workspace, scopes and name
    /// (needs re-auth, revoked, or missing a scope given with --scopes/--user-scopes)
    #[arg(long, value_name = "CONN", alias = "add-scopes", conflicts_with_all = ["app", "name", "team"])]
    reauth: Option<String>,
    /// Take a token Slack sends back from the connection that holds it now
    #[arg(long)]
    replace: bool,
    /// Pre-select this workspace (team id)
    #[arg(long)]
    team: Option<String>,
    /// Only print the authorize URL; do not open a browser
    #[arg(long)]
    no_browser: bool,
    /// Ask for scopes xox's catalogue does not know (newer than it)
    #[arg(long)]
    force: bool,
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
    crate::child::command(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .is_ok()
}

pub async fn run(ctx: &Context, args: LoginArgs) -> anyhow::Result<()> {
    let engine = ctx.engine_creating()?;
    let listed = |s: &Option<String>| s.as_deref().map(Scopes::parse);
    let request = match args.reauth {
        Some(conn) => LoginRequest::Reauth {
            conn,
            bot: listed(&args.scopes).unwrap_or_default(),
            user: listed(&args.user_scopes).unwrap_or_default(),
        },
        None => LoginRequest::Install {
            app: args.app.expect("clap requires --app without --reauth"),
            name: args.name,
            bot: listed(&args.scopes),
            user: listed(&args.user_scopes),
            team: args.team,
        },
    };
    let pending = engine
        .start_login(
            request,
            super::import::held_elsewhere(args.replace),
            if args.force {
                ScopeCheck::Any
            } else {
                ScopeCheck::Known
            },
        )
        .await?;
    let redirect = pending.redirect_uri().to_owned();
    errln!(
        "Open this link to install the app; xox waits on {redirect} for up to {}:",
        humantime::format_duration(args.timeout)
    );
    // The URL alone on its line, on stdout: what a person copies and a script reads.
    outln!("{}", pending.url());
    if redirect.starts_with("https:") {
        errln!(
            "(the callback uses a self-signed certificate for localhost: accept the browser's warning once)"
        );
    }
    if !args.no_browser && !open_browser(pending.url().as_str()) {
        errln!("(could not open a browser; open the link yourself)");
    }
    let finished = tokio::select! {
        done = engine.finish_login(pending, args.timeout) => done,
        _ = ctx.settings.stop.reached(StopLevel::Finish) => Err(LoginError::Cancelled.into()),
    };
    let LoggedIn {
        connection,
        warnings,
    } = finished?;
    for warning in warnings {
        errln!("warning: {warning}");
    }
    let now = now_unix();
    let tokens: Vec<String> = connection
        .tokens
        .iter()
        .map(|t| format::token_summary(t, now))
        .collect();
    errln!(
        "logged in to {}: {}",
        format::team_label(&connection),
        tokens.join(", ")
    );
    outln!("{}", connection.name);
    Ok(())
}
