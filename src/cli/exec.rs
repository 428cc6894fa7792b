//! `xox exec CONN -- CMD ARGS…`: run a command with a connection's live token in its
//! environment (or, with `--proxy`, a short-lived key and the proxy's URL), refresh the
//! token before it lapses and restart or signal the command with the new one, pass
//! signals on, and end with the command's status.

use super::{Context, KindArgs, parse_window};
use crate::engine::child::{send_signal, signals};
use crate::engine::{Engine, KeyFor, KeyKind, KeyScope, Secret, TokenKind, now_unix};
use clap::Args;
use std::process::ExitStatus;
use std::time::Duration;
use tokio::process::Child;
use tokio::signal::unix::{Signal, SignalKind, signal};

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// Connection name or id
    conn: String,
    #[command(flatten)]
    kind: KindArgs,
    /// The kind of token by name (bot, user, app, config), as --bot … do
    #[arg(long = "kind", value_name = "K", value_parser = parse_kind, conflicts_with_all = ["bot", "user", "app_level", "config"])]
    kind_named: Option<TokenKind>,
    /// The variable the token goes in [default: SLACK_BOT_TOKEN, SLACK_USER_TOKEN,
    /// SLACK_APP_TOKEN or SLACK_CONFIG_TOKEN, by its kind]
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// Give the command a short-lived proxy key and SLACK_API_URL (this URL) instead of a
    /// token, so it never sees one
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "http://127.0.0.1:8977/api/")]
    proxy: Option<String>,
    /// When the token is refreshed: restart the command with the new one, send it a
    /// signal (signal:HUP, signal:USR1, …), or none
    #[arg(long, value_name = "HOW", default_value = "restart", value_parser = parse_on_rotate)]
    on_rotate: OnRotate,
    /// Refresh the token when it expires within this long
    #[arg(long, default_value = "2h", value_parser = parse_window)]
    within: Duration,
    /// The command and its arguments, after --
    #[arg(required = true, last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// What a refreshed token does to the running command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRotate {
    Restart,
    Signal(i32),
    Nothing,
}

/// The signals passed on to the command: what a terminal, a supervisor or a user sends.
const PASSED_ON: [(SignalKind, i32); 6] = [
    (SignalKind::interrupt(), signals::SIGINT),
    (SignalKind::terminate(), signals::SIGTERM),
    (SignalKind::hangup(), signals::SIGHUP),
    (SignalKind::quit(), signals::SIGQUIT),
    (SignalKind::user_defined1(), signals::SIGUSR1),
    (SignalKind::user_defined2(), signals::SIGUSR2),
];

/// How long a proxy key made for the command lives; it is renewed while the command runs
/// and revoked when it ends, so a key left by a crash dies within this.
const KEY_LIFE: i64 = 3600;

/// How long a command asked to stop for a restart has before it is killed.
const RESTART_GRACE: Duration = Duration::from_secs(10);

fn parse_on_rotate(text: &str) -> Result<OnRotate, String> {
    let signal = |name: &str| {
        PASSED_ON
            .iter()
            .map(|(_, number)| *number)
            .chain([signals::SIGWINCH, signals::SIGCONT])
            .find(|number| signal_name(*number) == Some(name))
    };
    match text {
        "restart" => Ok(OnRotate::Restart),
        "none" => Ok(OnRotate::Nothing),
        other => other
            .strip_prefix("signal:")
            .map(|name| name.trim_start_matches("SIG"))
            .and_then(signal)
            .map(OnRotate::Signal)
            .ok_or_else(|| "restart, none, or signal:NAME (HUP, USR1, USR2, INT, TERM, …)".into()),
    }
}

fn signal_name(number: i32) -> Option<&'static str> {
    Some(match number {
        signals::SIGINT => "INT",
        signals::SIGTERM => "TERM",
        signals::SIGHUP => "HUP",
        signals::SIGQUIT => "QUIT",
        signals::SIGUSR1 => "USR1",
        signals::SIGUSR2 => "USR2",
        signals::SIGWINCH => "WINCH",
        signals::SIGCONT => "CONT",
        _ => return None,
    })
}

fn parse_kind(text: &str) -> Result<TokenKind, String> {
    text.parse::<TokenKind>()
        .map_err(|_| "one of bot, user, app, config".to_owned())
}

fn default_variable(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Bot => "SLACK_BOT_TOKEN",
        TokenKind::User => "SLACK_USER_TOKEN",
        TokenKind::App => "SLACK_APP_TOKEN",
        TokenKind::Config => "SLACK_CONFIG_TOKEN",
    }
}

/// What the command is given: its variables, and when they must change.
struct Given {
    variables: Vec<(String, Secret)>,
    /// When to refresh and pass the new token on; `None`: never (a long-lived token, a key).
    refresh_at: Option<i64>,
}

fn spawn(command: &[String], given: &Given) -> anyhow::Result<Child> {
    // Nothing of xox's own (XOX_KEY, XOX_DB, …) reaches the command: only what it is given.
    let mut std_command = crate::engine::child::command(&command[0]);
    std_command.args(&command[1..]);
    for (name, value) in &given.variables {
        std_command.env(name, value.expose());
    }
    tokio::process::Command::from(std_command)
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot run {:?}: {e}",
                crate::engine::text::one_line(&command[0])
            )
        })
}

/// The status a shell reports for `status`: its code, or 128 and the signal that ended it.
fn shell_status(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

impl ExecArgs {
    fn kind(&self) -> Option<TokenKind> {
        self.kind.kind().or(self.kind_named)
    }

    async fn token(&self, engine: &Engine) -> anyhow::Result<Given> {
        let usable = engine
            .usable_token(&self.conn, self.kind(), self.within)
            .await?;
        for warning in &usable.warnings {
            errln!("warning: {warning}");
        }
        let name = self
            .env
            .clone()
            .unwrap_or_else(|| default_variable(usable.kind).to_owned());
        let window = i64::try_from(self.within.as_secs()).unwrap_or(i64::MAX);
        Ok(Given {
            variables: vec![(name, usable.token)],
            refresh_at: usable.expires_at.map(|at| at.saturating_sub(window)),
        })
    }
}

pub async fn run(ctx: &Context, args: ExecArgs) -> anyhow::Result<()> {
    let engine = ctx.engine_reading()?;
    let mut signals: Vec<(Signal, i32)> = PASSED_ON
        .iter()
        .map(|(kind, number)| Ok((signal(*kind)?, *number)))
        .collect::<std::io::Result<_>>()
        .map_err(|e| anyhow::anyhow!("cannot handle signals: {e}"))?;
    let mut key_id = None;
    let mut given = match &args.proxy {
        Some(url) => {
            let kind = args.kind().map_or(KeyKind::Auto, KeyKind::Only);
            let scope = KeyScope {
                expires_at: Some(now_unix() + KEY_LIFE),
                ..KeyScope::default()
            };
            let label = Some(format!("xox exec (pid {})", std::process::id()));
            let made = engine
                .add_proxy_key(KeyFor::Connection(args.conn.clone()), kind, label, scope)
                .await?;
            key_id = Some(made.record.id.clone());
            let name = args.env.clone().unwrap_or_else(|| "SLACK_BOT_TOKEN".into());
            Given {
                variables: vec![(name, made.key), ("SLACK_API_URL".into(), Secret::new(url))],
                // Renewed halfway through its life, while the command runs.
                refresh_at: Some(now_unix() + KEY_LIFE / 2),
            }
        }
        None => args.token(&engine).await?,
    };
    let mut child = spawn(&args.command, &given)?;
    let status = loop {
        let wake = given.refresh_at.map(|at| {
            let secs = u64::try_from(at - now_unix()).unwrap_or(0);
            tokio::time::Instant::now() + Duration::from_secs(secs)
        });
        let received = futures_util::future::select_all(
            signals
                .iter_mut()
                .map(|(s, number)| Box::pin(async move { s.recv().await.map(|_| *number) })),
        );
        tokio::select! {
            status = child.wait() => break status?,
            (number, _, _) = received => {
                if let Some(number) = number {
                    send_signal(&child, number);
                }
            }
            () = async { tokio::time::sleep_until(wake.expect("guarded")).await }, if wake.is_some() => {
                if let Some(id) = &key_id {
                    let scope = KeyScope { expires_at: Some(now_unix() + KEY_LIFE), ..KeyScope::default() };
                    engine.set_proxy_key_scope(id, scope).await?;
                    given.refresh_at = Some(now_unix() + KEY_LIFE / 2);
                    continue;
                }
                given = args.token(&engine).await?;
                match args.on_rotate {
                    OnRotate::Restart => {
                        send_signal(&child, signals::SIGTERM);
                        if tokio::time::timeout(RESTART_GRACE, child.wait()).await.is_err() {
                            send_signal(&child, signals::SIGKILL);
                            child.wait().await?;
                        }
                        child = spawn(&args.command, &given)?;
                    }
                    OnRotate::Signal(number) => send_signal(&child, number),
                    OnRotate::Nothing => {}
                }
            }
        }
    };
    if let Some(id) = key_id
        && let Err(e) = engine.revoke_proxy_key(&id).await
    {
        errln!("could not revoke the command's proxy key {id}: {e}");
    }
    crate::engine::cleanup::exit(shell_status(status))
}
