//! The `xox` command line (clap): parses, calls the engine, prints text or `--json`.

/// `print!` that survives a closed pipe (`xox list | head`): see [`write_stdout`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::write_stdout(&format!($($arg)*)) };
}

/// `println!` that survives a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::write_stdout(&format!("{}\n", format_args!($($arg)*))) };
}

mod app;
mod call;
mod demo;
mod format;
mod history;
mod import;
mod list;
mod sim;

use crate::slack::client::{DEFAULT_HTTP_TIMEOUT, DEFAULT_SLACK_URL};
use crate::slack::{SlackClient, TokenKind};
use crate::store::Store;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "xox",
    version,
    about = "Every Slack OAuth connection in one encrypted file."
)]
pub struct Cli {
    /// The database file [default: $XDG_DATA_HOME/xox/xox.db]
    #[arg(long, global = true, env = "XOX_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// Where Slack is: /oauth/v2/authorize and /api/* hang off it
    #[arg(long, global = true, env = "XOX_SLACK_URL", default_value = DEFAULT_SLACK_URL, value_name = "URL")]
    slack_url: String,
    /// Also log to stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Try xox against the built-in Slack simulator with a seeded temporary database
    Demo(demo::DemoArgs),
    /// Run the Slack simulator; prints its base URL on the first line
    Sim(sim::SimArgs),
    /// Register and list Slack apps
    #[command(subcommand)]
    App(app::AppCommand),
    /// Store tokens piped on stdin: an oauth.v2.access / oauth.v2.exchange JSON answer, or a bare token
    Import(import::ImportArgs),
    /// Connections with their tokens, scopes, expiry and status
    List(list::ListArgs),
    /// One connection in detail
    Show(list::ShowArgs),
    /// Call a Slack Web API method; a failure is recorded
    Call(call::CallArgs),
    /// A connection's event trail
    History(history::HistoryArgs),
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
        }
    }
}

/// `--bot` / `--user`: which of a connection's tokens to use.
#[derive(Args, Debug, Clone, Copy)]
struct KindArgs {
    /// Use the bot token
    #[arg(long, conflicts_with = "user")]
    bot: bool,
    /// Use the user token
    #[arg(long)]
    user: bool,
}

impl KindArgs {
    fn kind(self) -> Option<TokenKind> {
        match (self.bot, self.user) {
            (true, _) => Some(TokenKind::Bot),
            (_, true) => Some(TokenKind::User),
            _ => None,
        }
    }
}

/// What every command may need: where the database and Slack are.
pub struct Context {
    db: PathBuf,
    slack_url: String,
}

impl Context {
    fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.db)?)
    }

    fn client(&self) -> anyhow::Result<SlackClient> {
        Ok(SlackClient::new(&self.slack_url, DEFAULT_HTTP_TIMEOUT)?)
    }
}

/// Run a parsed command line. Errors come back as one sentence for `main` to print.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Context {
        db: cli.db.unwrap_or_else(crate::paths::default_db),
        slack_url: cli.slack_url,
    };
    // Only the subcommand's name: arguments may carry user text.
    let name = cli.command.as_ref().map_or("list", Command::name);
    tracing::info!(command = name, pid = std::process::id(), "xox started");
    match cli.command {
        None => list::list(&ctx, &list::ListArgs { json: false }),
        Some(Command::Demo(args)) => demo::run(args).await,
        Some(Command::Sim(args)) => sim::run(args).await,
        Some(Command::App(cmd)) => app::run(&ctx, cmd),
        Some(Command::Import(args)) => import::run(&ctx, args).await,
        Some(Command::List(args)) => list::list(&ctx, &args),
        Some(Command::Show(args)) => list::show(&ctx, &args),
        Some(Command::Call(args)) => call::run(&ctx, args).await,
        Some(Command::History(args)) => history::run(&ctx, &args),
    }
}

/// Wait for Ctrl-C or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Print JSON to stdout.
fn print_json(value: &serde_json::Value) {
    outln!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON values serialize")
    );
}

/// Write to stdout. When the reader has gone away (a closed pipe), stop quietly with the
/// status a shell gives a command killed by SIGPIPE, instead of panicking as `print!` does.
pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}
