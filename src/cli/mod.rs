//! The `xox` command line (clap): parses, calls the engine, prints text or `--json`.

/// `print!` that survives a closed pipe (`xox list | head`): see [`write_stdout`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::write_stdout(&format!($($arg)*)) };
}

/// `println!` that survives a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::write_stdout(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` with the same cleaning as stdout: messages quote text from outside.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::cli::write_stderr(&format!("{}\n", format_args!($($arg)*))) };
}

mod app;
mod call;
mod completions;
mod dashboard;
mod db;
mod deferred;
mod demo;
mod exchange;
mod exec;
mod failed;
mod format;
mod history;
mod hook;
mod import;
mod key_scope;
mod list;
mod login;
mod proxy;
mod refresh;
mod remove;
mod replay;
mod revoke;
mod sim;
mod token;
mod watch;
mod webhook;

use crate::engine::DEFAULT_SLACK_URL;
use crate::engine::TokenKind;
use crate::engine::{Engine, Settings};
use crate::engine::{Stop, StopLevel};
use clap::{Args, Parser, Subcommand};
use deferred::Deferred;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "xox",
    version,
    about = "Every Slack OAuth connection in one encrypted file."
)]
pub struct Cli {
    // The environment defaults are read after parsing rather than by clap, which would
    // otherwise show them in every usage line as if they had been typed.
    /// The store: a database file, or a PostgreSQL URL (postgres://…) [env: XOX_DB]
    /// [default: $XDG_DATA_HOME/xox/xox.db]
    #[arg(long, global = true, value_name = "PATH|URL")]
    db: Option<PathBuf>,
    /// Where Slack is: /oauth/v2/authorize and /api/* hang off it [env: XOX_SLACK_URL]
    /// [default: https://slack.com]
    #[arg(long, global = true, value_name = "URL")]
    slack_url: Option<String>,
    /// Seconds to wait for each HTTP answer from Slack [env: XOX_HTTP_TIMEOUT] [default: 20]
    #[arg(long, global = true, value_name = "SECS")]
    http_timeout: Option<f64>,
    /// Also log to stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

impl Cli {
    /// `xox token`'s reading of a command line: `--db`, the connection, the kind and the
    /// window; `None` for any other command.
    #[cfg(test)]
    pub(crate) fn token_parts(
        &self,
    ) -> Option<(Option<&PathBuf>, &str, Option<TokenKind>, Duration)> {
        match &self.command {
            Some(Command::Token(Deferred(args))) => {
                let (conn, kind, within) = args.parts();
                Some((self.db.as_ref(), conn, kind, within))
            }
            _ => None,
        }
    }

    /// Whether the command serves many clients at once (`xox proxy`), and so wants a
    /// thread per core.
    pub fn serves_many(&self) -> bool {
        matches!(&self.command, Some(Command::Proxy(args)) if args.serves())
    }

    /// Logs go to stderr only with -v, and never while the dashboard owns the terminal.
    pub fn log_to_stderr(&self) -> bool {
        self.verbose && !matches!(self.command, None | Some(Command::Demo(_)))
    }
}

/// Each subcommand's arguments are `Deferred`: clap declares them only for the one that
/// runs, which takes a fifth of a millisecond off every `xox token`. `Proxy` is not, since
/// clap lists a deferred subcommand's own subcommands (`proxy key`) for `xox help` before
/// declaring them.
#[derive(Subcommand, Debug)]
enum Command {
    /// The dashboard against the built-in Slack simulator and a seeded temporary database
    Demo(Deferred<demo::DemoArgs>),
    /// Run the Slack simulator; prints its base URL on the first line
    Sim(Deferred<sim::SimArgs>),
    /// Register and list Slack apps
    #[command(subcommand)]
    App(app::AppCommand),
    /// Keep tokens piped on stdin: an oauth.v2.access / oauth.v2.exchange JSON answer, or a bare token
    Import(Deferred<import::ImportArgs>),
    /// Connections with their tokens, scopes, expiry and status
    List(Deferred<list::ListArgs>),
    /// One connection in detail
    Show(Deferred<list::ShowArgs>),
    /// Call a Slack Web API method; a failure is recorded
    Call(Deferred<call::CallArgs>),
    /// Recorded failed calls, each with what to do about it
    Failed(Deferred<failed::FailedArgs>),
    /// Run a recorded failed call again, with a fresh token
    Replay(Deferred<replay::ReplayArgs>),
    /// A connection's event trail
    History(Deferred<history::HistoryArgs>),
    /// Install an app through the browser and a local callback (or --reauth a connection in place)
    Login(Deferred<login::LoginArgs>),
    /// Print a valid access token (refreshing first if it expires soon); for scripts
    Token(Deferred<token::TokenArgs>),
    /// Print a connection's incoming-webhook URL; for scripts
    Webhook(Deferred<webhook::WebhookArgs>),
    /// Refresh rotating tokens now: one connection, or --all that expire soon
    Refresh(Deferred<refresh::RefreshArgs>),
    /// Turn a long-lived token into a rotating one (irreversible; needs --yes)
    Exchange(Deferred<exchange::ExchangeArgs>),
    /// Revoke a token with auth.revoke (final; needs --yes)
    Revoke(Deferred<revoke::RevokeArgs>),
    /// Remove a connection and its tokens (needs --yes; --revoke revokes them at Slack first)
    Remove(Deferred<remove::RemoveArgs>),
    /// Run a command with a connection's live token in its environment (or a short-lived
    /// proxy key with --proxy), kept fresh
    Exec(Deferred<exec::ExecArgs>),
    /// Keep every rotating token fresh, in the foreground, until Ctrl-C or SIGTERM
    Watch(Deferred<watch::WatchArgs>),
    /// A local Slack Web API gateway: apps send a proxy key, xox sends the live token
    Proxy(proxy::ProxyArgs),
    /// Commands and URLs told of token events (re-auth needed, revoked, uninstalled, …)
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// Move a whole store between a file and PostgreSQL
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Shell completions for bash, zsh, fish, elvish or powershell, on stdout
    Completions(Deferred<completions::CompletionsArgs>),
    /// The man page (roff), on stdout; with --dir DIR, every page it names, into DIR
    Man(Deferred<completions::ManArgs>),
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Demo(_) => "demo",
            Command::Sim(_) => "sim",
            Command::App(_) => "app",
            Command::Import(_) => "import",
            Command::List(_) => "list",
            Command::Show(_) => "show",
            Command::Call(_) => "call",
            Command::History(_) => "history",
            Command::Failed(_) => "failed",
            Command::Replay(_) => "replay",
            Command::Login(_) => "login",
            Command::Token(_) => "token",
            Command::Webhook(_) => "webhook",
            Command::Db(_) => "db",
            Command::Hook(_) => "hook",
            Command::Refresh(_) => "refresh",
            Command::Exchange(_) => "exchange",
            Command::Exec(_) => "exec",
            Command::Revoke(_) => "revoke",
            Command::Remove(_) => "remove",
            Command::Watch(_) => "watch",
            Command::Proxy(_) => "proxy",
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
        }
    }
}

/// `--bot` / `--user` / `--app-level` / `--config`: which of a connection's tokens to use.
#[derive(Args, Debug, Clone, Copy)]
struct KindArgs {
    /// Use the bot token
    #[arg(long, conflicts_with_all = ["user", "app_level", "config"])]
    bot: bool,
    /// Use the user token
    #[arg(long, conflicts_with_all = ["app_level", "config"])]
    user: bool,
    /// Use the app-level token (xapp-, for Socket Mode)
    #[arg(long, conflicts_with = "config")]
    app_level: bool,
    /// Use the app configuration token (for apps.manifest.*)
    #[arg(long)]
    config: bool,
}

impl KindArgs {
    fn kind(self) -> Option<TokenKind> {
        [
            (self.bot, TokenKind::Bot),
            (self.user, TokenKind::User),
            (self.app_level, TokenKind::App),
            (self.config, TokenKind::Config),
        ]
        .into_iter()
        .find_map(|(asked, kind)| asked.then_some(kind))
    }
}

/// What every command may need: where the database and Slack are.
pub struct Context {
    settings: Settings,
}

impl Context {
    /// The engine for a command that may start a store (`app add`, `import`, `login`):
    /// where none exists, one is made, and its key put away.
    fn engine_creating(&self) -> anyhow::Result<Engine> {
        let engine = Engine::open(self.settings.clone())?;
        for notice in engine.notices() {
            errln!("{notice}");
        }
        Ok(engine)
    }
}

impl Context {
    /// The engine for a command that uses a store rather than starts one: where none
    /// exists (no file, or no schema on the server) it refuses rather than create one, so a
    /// mistyped --db is caught instead of hidden. Only `app add`, `import`, `login` and
    /// `db copy` make a store.
    fn engine_reading(&self) -> anyhow::Result<Engine> {
        let engine = Engine::open_existing(self.settings.clone())?;
        for notice in engine.notices() {
            errln!("{notice}");
        }
        Ok(engine)
    }
}

/// `2h`, `90m`, `1h30m`, `45s`, or plain seconds (`300`).
pub(crate) fn parse_window(text: &str) -> Result<Duration, String> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 300, 2h, 90m, 1h30m)"))
}

/// Run a parsed command line. Errors come back as one sentence for `main` to print.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // First: from here on SIGINT and SIGTERM ask for a stop instead of killing the process
    // in the middle of saving a pair Slack has just issued.
    let stop = Stop::default();
    // `xox exec` passes signals on to its command instead of stopping on them.
    if !matches!(cli.command, Some(Command::Exec(_))) {
        forward_signals(&stop)?;
    }
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(http_timeout) =
        crate::engine::http_timeout(cli.http_timeout, from_env("XOX_HTTP_TIMEOUT").as_deref())
    else {
        anyhow::bail!(
            "--http-timeout (or XOX_HTTP_TIMEOUT) must be a number of seconds between 0 and 3600"
        );
    };
    if matches!(cli.command, Some(Command::Demo(_)))
        && (cli.db.is_some() || cli.slack_url.is_some())
    {
        anyhow::bail!(
            "xox demo runs on its own temporary database and simulator: drop --db and --slack-url (they are for your own store and Slack)"
        );
    }
    let ctx = Context {
        settings: Settings {
            db: cli
                .db
                .or_else(|| from_env("XOX_DB").map(PathBuf::from))
                .unwrap_or_else(crate::paths::default_db),
            slack_url: cli
                .slack_url
                .or_else(|| from_env("XOX_SLACK_URL"))
                .unwrap_or_else(|| DEFAULT_SLACK_URL.to_owned()),
            http_timeout,
            window: crate::engine::DEFAULT_WINDOW,
            stop: stop.clone(),
        },
    };
    // Only the subcommand's name: arguments may carry user text.
    let name = cli.command.as_ref().map_or("list", Command::name);
    tracing::info!(command = name, pid = std::process::id(), "xox started");
    let outcome = match cli.command {
        // These stop on their own: they end cleanly once a stop is asked for. The demo's
        // store and the simulator's world are their own, and go with them.
        None => dashboard::run(&ctx).await,
        Some(Command::Demo(Deferred(args))) => return demo::run(&ctx, args).await,
        Some(Command::Sim(Deferred(args))) => return sim::run(args, &stop).await,
        Some(Command::Login(Deferred(args))) => login::run(&ctx, args).await,
        Some(Command::Watch(Deferred(args))) => watch::run(&ctx, args).await,
        // It passes signals on to its command, and ends when the command does.
        Some(Command::Exec(Deferred(args))) => exec::run(&ctx, args).await,
        Some(Command::Proxy(args)) => proxy::run(&ctx, args).await,
        Some(command) => until_stopped(&stop, run_once(&ctx, command)).await,
    };
    wait_for_rotations(&stop).await;
    deliver_recorded_hooks(&ctx).await;
    outcome
}

/// The hooks of what this command recorded (a token found dead, a failed refresh, an
/// install) are told before it exits, whether it succeeded or not. A try that fails is left
/// to a `watch` or `proxy`, which try again for an hour.
async fn deliver_recorded_hooks(ctx: &Context) {
    if !crate::engine::hooks_recorded() {
        return;
    }
    let tried = match ctx.engine_reading() {
        Ok(engine) => engine.deliver_recorded_hooks().await,
        Err(e) => {
            errln!("hooks were not told: {e:#}");
            return;
        }
    };
    match tried {
        Ok(tried) => {
            for (hook, result) in tried.iter().filter(|(_, r)| !r.delivered) {
                errln!(
                    "hook {} was not told ({}); `xox watch` or `xox proxy` tries again",
                    hook.id,
                    result.detail
                );
            }
        }
        Err(e) => errln!("hooks were not told: {e}"),
    }
}

/// A dashboard job may still be saving a pair when the front end has gone: wait for it.
async fn wait_for_rotations(stop: &Stop) {
    if stop.in_flight() > 0 {
        errln!("waiting for the new token pair Slack is issuing to be saved");
        stop.settled().await;
    }
}

/// The commands that do one thing and end.
async fn run_once(ctx: &Context, command: Command) -> anyhow::Result<()> {
    match command {
        Command::App(cmd) => app::run(ctx, cmd).await,
        Command::Import(Deferred(args)) => import::run(ctx, args).await,
        Command::List(Deferred(args)) => list::list(ctx, &args).await,
        Command::Show(Deferred(args)) => list::show(ctx, &args).await,
        Command::Call(Deferred(args)) => call::run(ctx, args).await,
        Command::History(Deferred(args)) => history::run(ctx, &args).await,
        Command::Failed(Deferred(args)) => failed::run(ctx, &args).await,
        Command::Replay(Deferred(args)) => replay::run(ctx, args).await,
        Command::Token(Deferred(args)) => token::run(ctx, args).await,
        Command::Webhook(Deferred(args)) => webhook::run(ctx, args).await,
        Command::Db(command) => db::run(command).await,
        Command::Hook(command) => hook::run(ctx, command).await,
        Command::Refresh(Deferred(args)) => refresh::run(ctx, args).await,
        Command::Exchange(Deferred(args)) => exchange::run(ctx, args).await,
        Command::Revoke(Deferred(args)) => revoke::run(ctx, args).await,
        Command::Remove(Deferred(args)) => remove::run(ctx, args).await,
        Command::Completions(Deferred(args)) => completions::completions(args),
        Command::Man(Deferred(args)) => completions::man(args),
        Command::Demo(_)
        | Command::Sim(_)
        | Command::Login(_)
        | Command::Watch(_)
        | Command::Exec(_)
        | Command::Proxy(_) => {
            unreachable!("run by `run` itself")
        }
    }
}

/// Run `command` until it ends or a stop is asked for. A command with a rotation in
/// flight at the stop is let finish (it starts no other), so the pair is saved and reported;
/// a second stop ends it once the rotation has given up and recorded the loss.
async fn until_stopped(
    stop: &Stop,
    command: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let stopped = async {
        stop.reached(StopLevel::Finish).await;
        if stop.in_flight() > 0 {
            stop.reached(StopLevel::Abandon).await;
            stop.settled().await;
        }
    };
    tokio::select! {
        outcome = command => outcome,
        () = stopped => anyhow::bail!("stopped by a signal"),
    }
}

/// Turn SIGINT and SIGTERM into stop requests: the first lets rotations in flight save, a
/// second gives them up. The handlers are registered before this returns.
fn forward_signals(stop: &Stop) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let cannot = |e| anyhow::anyhow!("cannot handle signals: {e}");
    let mut interrupt = signal(SignalKind::interrupt()).map_err(cannot)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(cannot)?;
    // A closed terminal window sends SIGHUP: ending as for Ctrl-C lets the dashboard give
    // the terminal back and the demo remove its files, where the default would kill.
    let mut hangup = signal(SignalKind::hangup()).map_err(cannot)?;
    let stop = stop.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(()) = interrupt.recv() => {}
                Some(()) = terminate.recv() => {}
                Some(()) = hangup.recv() => {}
                else => return,
            }
            if stop.request() == StopLevel::Finish && stop.in_flight() > 0 {
                errln!(
                    "stopping once the new token pair Slack is issuing is saved; a second Ctrl-C gives it up"
                );
            }
        }
    });
    Ok(())
}

/// The end of a command that acted on each of a connection's tokens: fine, or one line
/// naming every token it could not `verb` and why (the CLI's errors are one sentence).
fn each_failure(verb: &str, conn: &str, all: usize, failures: Vec<String>) -> anyhow::Result<()> {
    if failures.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "could not {verb} {} of the {all} tokens of {conn}: {}",
        failures.len(),
        failures.join("; ")
    )
}

/// Print JSON to stdout.
fn print_json(value: &serde_json::Value) {
    outln!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON values serialize")
    );
}

/// Write to stdout, cleaned for the terminal ([`crate::text::for_terminal`]). When the
/// reader has gone away (a closed pipe), stop quietly with the status a shell gives a
/// command killed by SIGPIPE, instead of panicking as `print!` does.
pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(crate::text::for_terminal(text).as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            crate::cleanup::exit(141);
        }
        write_stderr(&format!("error: cannot write to stdout: {e}\n"));
        crate::cleanup::exit(1);
    }
}

/// Write to stderr, cleaned for the terminal; a closed stderr is ignored.
pub fn write_stderr(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr()
        .lock()
        .write_all(crate::text::for_terminal(text).as_bytes());
}
