//! `xox proxy`: serve the Web API on loopback for apps holding proxy keys; `xox proxy key`
//! makes, lists and revokes those keys.

use super::key_scope::{ScopeArgs, SetScopeArgs, scope_label};
use super::{Context, format, print_json};
use crate::engine::WatchEvent;
use crate::engine::{KeyFor, KeyKind};
use crate::metrics::proxy::ProxyMetrics;
use clap::{Args, Subcommand};
use std::net::IpAddr;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ProxyArgs {
    #[command(subcommand)]
    key: Option<ProxyCommand>,
    /// Port to listen on; 0 picks a free one
    #[arg(long, default_value_t = 8977)]
    port: u16,
    /// Address to listen on (loopback unless --expose-tokens-to-network)
    #[arg(long, default_value = "127.0.0.1")]
    listen: IpAddr,
    /// Allow a non-loopback --listen: anyone who can reach it with a key acts with that
    /// connection's live tokens
    #[arg(long)]
    expose_tokens_to_network: bool,
    /// The largest request body accepted, in bytes
    #[arg(long, default_value_t = crate::proxy::DEFAULT_MAX_BODY)]
    max_body: usize,
    /// Also serve the public face here (ADDR:PORT): apps' install pages and Slack's requests
    /// to them, never the token-bearing API
    #[arg(long, value_name = "ADDR:PORT")]
    public_listen: Option<std::net::SocketAddr>,
    /// The URL Slack and browsers reach the public face by (behind your TLS terminator);
    /// http://ADDR:PORT of --public-listen by default
    #[arg(long, value_name = "URL", requires = "public_listen")]
    public_url: Option<String>,
    /// Where the browser goes after an install from the public page (a page of xox's own
    /// otherwise)
    #[arg(long, value_name = "URL", requires = "public_listen")]
    install_success_url: Option<String>,
    /// Pass Slack's 429s straight to the app, instead of holding every request for a
    /// rate-limited (install, method) until its Retry-After
    #[arg(long)]
    no_governor: bool,
    /// The longest the governor holds a request, in seconds; a longer wait gets the 429
    #[arg(long, value_name = "SECS", default_value_t = crate::engine::DEFAULT_MAX_WAIT.as_secs(), conflicts_with = "no_governor")]
    max_wait: u64,
    /// Keep each (install, method) within a budget per minute from the method's rate tier
    /// (1, 20, 50, 100), and chat.postMessage to one a second per channel
    #[arg(long, conflicts_with = "no_governor")]
    pace: bool,
    /// Serve /metrics (Prometheus' text format) on the loopback listener
    #[arg(long)]
    metrics: bool,
    /// A method's budget under --pace, as METHOD=N/MIN (repeat for more)
    #[arg(long = "pace-override", value_name = "METHOD=N/MIN", value_parser = parse_override, requires = "pace")]
    pace_overrides: Vec<(String, u32)>,
}

/// `conversations.history=1/min`.
fn parse_override(text: &str) -> Result<(String, u32), String> {
    let usage = || format!("{text:?}: write METHOD=N/MIN, such as conversations.history=1/min");
    let (method, budget) = text.split_once('=').ok_or_else(usage)?;
    let count = budget
        .strip_suffix("/min")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(usage)?;
    if !crate::engine::is_catalogued(method) {
        return Err(format!("{method:?} is not a Web API method xox knows"));
    }
    Ok((method.to_owned(), count))
}

#[derive(Subcommand, Debug)]
enum ProxyCommand {
    /// Proxy keys: what apps send instead of a Slack token
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
    /// Make a key for a connection, or with --app for every install of an app (the app
    /// then sends KEY:TEAM_OR_ENTERPRISE_ID[:USER]); prints it alone on stdout, once
    Add {
        #[arg(required_unless_present = "app", conflicts_with = "app")]
        conn: Option<String>,
        /// An app key: one key for all of the app's installs
        #[arg(long, value_name = "APP")]
        app: Option<String>,
        /// Which token the key stands for: auto picks per method, as `xox call` does
        #[arg(long, default_value = "auto", value_parser = parse_kind)]
        kind: KeyKind,
        /// A note to tell keys apart (which app holds it)
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        scope: ScopeArgs,
    },
    /// Change what a key may do (the options not given stay as they are)
    Set {
        id: String,
        #[command(flatten)]
        scope: SetScopeArgs,
    },
    /// The keys: connection, kind, label, creation, last use and requests (never the key)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by its id: the app holding it is refused from then on
    Revoke { id: String },
}

impl ProxyArgs {
    /// Serving, rather than managing keys.
    pub fn serves(&self) -> bool {
        self.key.is_none()
    }
}

fn parse_kind(text: &str) -> Result<KeyKind, String> {
    text.parse()
        .map_err(|_| "one of auto, bot, user, app, config".to_owned())
}

pub async fn run(ctx: &Context, args: ProxyArgs) -> anyhow::Result<()> {
    match args.key {
        Some(ProxyCommand::Key(command)) => key(ctx, command).await,
        None => serve(ctx, args).await,
    }
}

async fn key(ctx: &Context, command: KeyCommand) -> anyhow::Result<()> {
    let engine = ctx.engine_reading()?;
    match command {
        KeyCommand::Add {
            conn,
            app,
            kind,
            label,
            scope,
        } => {
            let target = match (conn, app) {
                (_, Some(app)) => KeyFor::App(app),
                (Some(conn), None) => KeyFor::Connection(conn),
                (None, None) => anyhow::bail!("name a connection, or an app with --app"),
            };
            let made = engine
                .add_proxy_key(target, kind, label, scope.scope())
                .await?;
            errln!(
                "proxy key {} for {} ({} token; may do: {}); it is shown only now",
                made.record.id,
                made.record.target(),
                made.record.kind,
                scope_label(&made.record.scope)
            );
            if made.record.app.is_some() {
                errln!(
                    "the app sends KEY:ID as its token, ID being the workspace's team id or the org's enterprise id (KEY:ID:USER for that user's user token)"
                );
            }
            // The key alone on stdout: what a script captures into the app's settings.
            outln!("{}", made.key.expose());
        }
        KeyCommand::List { json } => {
            let keys = engine.proxy_keys().await?;
            if json {
                print_json(&serde_json::to_value(&keys)?);
                return Ok(());
            }
            if keys.is_empty() {
                outln!("no proxy keys yet: `xox proxy key add CONN` makes one");
                return Ok(());
            }
            let mut rows = vec![
                [
                    "ID",
                    "FOR",
                    "KIND",
                    "LABEL",
                    "CREATED",
                    "LAST USED",
                    "REQUESTS",
                    "FAILED",
                    "REFUSED",
                    "MAY DO",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for k in &keys {
                rows.push(vec![
                    k.id.clone(),
                    k.target(),
                    k.kind.to_string(),
                    k.label.clone().unwrap_or_default(),
                    format::rfc3339(k.created_at),
                    k.last_used_at
                        .map(format::rfc3339)
                        .unwrap_or_else(|| "never".into()),
                    k.requests.to_string(),
                    k.failures.to_string(),
                    k.refused.to_string(),
                    scope_label(&k.scope),
                ]);
            }
            out!("{}", format::table(&rows));
        }
        KeyCommand::Set { id, scope } => {
            let current = engine
                .proxy_keys()
                .await?
                .into_iter()
                .find(|k| k.id == id)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no proxy key {:?}; `xox proxy key list` shows them",
                        crate::engine::text::one_line(&id)
                    )
                })?;
            let changed = engine
                .set_proxy_key_scope(&id, scope.applied_to(current.scope))
                .await?;
            outln!(
                "proxy key {} may do: {}",
                changed.id,
                scope_label(&changed.scope)
            );
        }
        KeyCommand::Revoke { id } => {
            engine.revoke_proxy_key(&id).await?;
            outln!("revoked proxy key {id}");
        }
    }
    Ok(())
}

async fn serve(ctx: &Context, args: ProxyArgs) -> anyhow::Result<()> {
    if !args.listen.is_loopback() && !args.expose_tokens_to_network {
        anyhow::bail!(
            "--listen {} is reachable from the network, and anyone with a key would act with its connection's live tokens; pass --expose-tokens-to-network to mean it",
            args.listen
        );
    }
    let engine = Arc::new(ctx.engine_reading()?);
    let governed = engine.govern(crate::engine::GovernorSettings {
        enabled: !args.no_governor,
        max_wait: std::time::Duration::from_secs(args.max_wait),
        pace: args.pace,
        overrides: args.pace_overrides.iter().cloned().collect(),
    });
    let listener = tokio::net::TcpListener::bind((args.listen, args.port))
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", args.listen, args.port))?;
    let address = listener.local_addr()?;
    let public = match args.public_listen {
        Some(at) => Some(public_face(at, args.public_url, args.install_success_url).await?),
        None => None,
    };
    let public_url = public.as_ref().map(|p| p.settings.url.clone());
    // The base URL alone on the first line of stdout: what a script reads and an SDK takes.
    outln!("http://{address}/api/");
    errln!(
        "proxying Slack's Web API for {}; apps send a proxy key (`xox proxy key add CONN`) as their token; Ctrl-C stops",
        engine.location()
    );
    if let Some(url) = &public_url {
        // The public face's URL alone on the second line, for scripts as the first is.
        outln!("{url}/slack/");
        errln!(
            "public face at {url}: /slack/APP/install, /slack/APP/oauth_redirect, /slack/APP/events"
        );
    }
    // Org-wide installs' workspaces are read again every hour, so that a workspace added
    // to an org is served without waiting for an event.
    let teams = {
        let (engine, stop) = (engine.clone(), ctx.settings.stop.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(crate::engine::TEAMS_EVERY);
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    () = stop.reached(crate::engine::StopLevel::Finish) => break,
                }
                if let Err(e) = engine.refresh_all_covered_teams().await {
                    tracing::warn!(error = %e, "could not read org-wide installs' workspaces");
                }
            }
        })
    };
    // Tokens with keys stay fresh even while no app calls: an idle app's next call must
    // not meet an expired token.
    let report = |event: WatchEvent| tracing::info!(event = ?event, "proxy keeps tokens fresh");
    let stop = ctx.settings.stop.clone();
    // Holds another proxy on the store puts reach this one within half a second.
    let holds = {
        let (engine, stop) = (engine.clone(), ctx.settings.stop.clone());
        tokio::spawn(async move {
            engine
                .follow_rate_holds(stop.reached(crate::engine::StopLevel::Finish))
                .await
        })
    };
    // Hooks' deliveries that are due, this host's and those others left, until the stop.
    let hooks = {
        let (engine, stop) = (engine.clone(), ctx.settings.stop.clone());
        tokio::spawn(async move {
            engine
                .run_hooks(stop.reached(crate::engine::StopLevel::Finish))
                .await
        })
    };
    let (served, fresh) = tokio::join!(
        crate::proxy::serve(
            engine.clone(),
            listener,
            public,
            stop.clone(),
            args.max_body,
            args.metrics
                .then(|| Arc::new(ProxyMetrics::with_governor(governed.clone())))
        ),
        engine.keep_fresh(
            crate::engine::DEFAULT_WINDOW,
            stop.reached(crate::engine::StopLevel::Finish),
            &report
        ),
    );
    teams.abort();
    holds.abort();
    hooks.abort();
    let (tally, public_tally) = served?;
    fresh?;
    if !args.no_governor {
        let count = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
        errln!(
            "governor: {} requests held for a rate limit, {} of Slack's 429s waited out, {} handed back",
            count(&governed.held),
            count(&governed.absorbed),
            count(&governed.passed)
        );
    }
    if public_url.is_some() {
        let count = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
        errln!(
            "public face: {} installs ({} refused), {} requests from Slack ({} refused, {} answered late by the app)",
            count(&public_tally.installs),
            count(&public_tally.installs_refused),
            count(&public_tally.slack_requests),
            count(&public_tally.slack_refused),
            count(&public_tally.late)
        );
    }
    errln!(
        "proxy stopped after {} requests ({} failed, {} rate-limited)",
        tally.requests.load(std::sync::atomic::Ordering::Relaxed),
        tally.failures.load(std::sync::atomic::Ordering::Relaxed),
        tally
            .rate_limited
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    Ok(())
}

/// Bind the public face, and settle the URL it is reached by.
async fn public_face(
    at: std::net::SocketAddr,
    url: Option<String>,
    success: Option<String>,
) -> anyhow::Result<crate::proxy::PublicFace> {
    let listener = tokio::net::TcpListener::bind(at)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {at} (--public-listen): {e}"))?;
    let bound = listener.local_addr()?;
    let url = match url {
        Some(url) => check_public_url(&url, "--public-url")?,
        None => format!("http://{bound}"),
    };
    let success_url = success
        .map(|s| check_public_url(&s, "--install-success-url"))
        .transpose()?;
    Ok(crate::proxy::PublicFace {
        listener,
        settings: crate::proxy::public::PublicSettings { url, success_url },
    })
}

/// An http(s) URL, kept without a trailing slash.
fn check_public_url(text: &str, flag: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(text).map_err(|_| anyhow::anyhow!("{flag} {text:?} is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || url.query().is_some()
    {
        anyhow::bail!(
            "{flag} must be an http(s) URL without a query, such as https://slack.example.com"
        );
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}
