//! `xox app add|set|remove|list|manifest`: the Slack apps connections belong to.

use super::deferred::Deferred;
use super::{Context, format, print_json};
use crate::engine::AppChanges;
use crate::engine::NewApp;
use crate::engine::unknown_scopes;
use crate::engine::{Scopes, Secret};
use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use std::io::{IsTerminal, Read};

pub const SECRET_ENV: &str = "XOX_CLIENT_SECRET";
pub const SIGNING_SECRET_ENV: &str = "XOX_SIGNING_SECRET";
pub const DEFAULT_REDIRECT: &str = "http://localhost:8976/callback";

#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// Register an app; the client secret comes from XOX_CLIENT_SECRET or stdin, never argv
    Add(Deferred<AddArgs>),
    /// Change a registered app's settings; its connections keep their tokens
    Set(Deferred<SetArgs>),
    /// Remove a registered app (refused while connections use it, unless --force)
    Remove {
        name: String,
        /// Remove the app's connections too (their tokens stay valid at Slack)
        #[arg(long)]
        force: bool,
    },
    /// The registered apps
    List {
        #[arg(long)]
        json: bool,
    },
    /// Print a Slack app manifest (JSON) for the app, to paste into "Create an app"
    Manifest {
        /// The app's name
        name: String,
        /// Update the app at Slack (apps.manifest.update) with an app configuration token,
        /// instead of printing the manifest to paste
        #[arg(long)]
        push: bool,
        /// With --push: the Slack app id (A…), when no connection of the app knows it
        #[arg(long, requires = "push", value_name = "A…")]
        app_id: Option<String>,
        /// With --push: the connection holding the configuration token (the first one found
        /// otherwise)
        #[arg(long, requires = "push", value_name = "CONN")]
        conn: Option<String>,
        /// The URL of `xox proxy --public-listen` as Slack reaches it: adds the install
        /// redirect and the Request URLs of events, interactivity and slash commands
        #[arg(long, value_name = "URL", conflicts_with = "push")]
        public_url: Option<String>,
        /// With --public-url: a slash command of the app (repeat for more)
        #[arg(long = "slash-command", value_name = "/NAME", requires = "public_url")]
        slash_commands: Vec<String>,
    },
}

#[derive(Args, Debug)]
pub struct AddArgs {
    name: String,
    /// The app's Client ID (Basic Information page)
    #[arg(long)]
    client_id: String,
    /// The app has PKCE turned on: a public client, no secret
    #[arg(long)]
    pkce: bool,
    /// The app has token rotation turned on (12-hour tokens with refresh tokens)
    #[arg(long)]
    rotation: bool,
    /// Default bot scopes, comma-separated
    #[arg(long, default_value = "")]
    scopes: String,
    /// Default user scopes, comma-separated
    #[arg(long, default_value = "")]
    user_scopes: String,
    /// The redirect URL registered for the app: http(s)://localhost|127.0.0.1|[::1]:PORT/path
    #[arg(long, default_value = DEFAULT_REDIRECT)]
    redirect_uri: String,
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct SetArgs {
    name: String,
    #[arg(long)]
    client_id: Option<String>,
    /// Replace the client secret, read from XOX_CLIENT_SECRET or stdin (never argv)
    #[arg(long)]
    secret: bool,
    #[arg(long)]
    redirect_uri: Option<String>,
    /// Default bot scopes, comma-separated (replaces the current ones)
    #[arg(long)]
    scopes: Option<String>,
    /// Default user scopes, comma-separated (replaces the current ones)
    #[arg(long)]
    user_scopes: Option<String>,
    /// Token rotation is on for the app
    #[arg(long, overrides_with = "no_rotation")]
    rotation: bool,
    #[arg(long)]
    no_rotation: bool,
    /// PKCE is on for the app (a public client: its stored secret is dropped)
    #[arg(long, overrides_with = "no_pkce")]
    pkce: bool,
    /// PKCE is off (a confidential client: needs a secret, stored or given with --secret)
    #[arg(long)]
    no_pkce: bool,
    /// Set Slack's signing secret (Basic Information page), read from XOX_SIGNING_SECRET or
    /// stdin (never argv): the public face checks Slack's requests with it
    #[arg(long, conflicts_with = "secret")]
    signing_secret: bool,
    /// The app's own endpoint, where verified requests from Slack are passed on ("" forgets it)
    #[arg(long, value_name = "URL")]
    forward_to: Option<String>,
    #[arg(long)]
    json: bool,
}

/// A `--flag/--no-flag` pair: `None` when neither was given.
fn switch(on: bool, off: bool) -> Option<bool> {
    (on || off).then_some(on)
}

pub async fn run(ctx: &Context, cmd: AppCommand) -> anyhow::Result<()> {
    match cmd {
        AppCommand::Add(Deferred(args)) => add(ctx, args).await,
        AppCommand::Set(Deferred(args)) => set(ctx, args).await,
        AppCommand::Remove { name, force } => {
            let removed = ctx.engine_reading()?.remove_app(&name, force).await?;
            if !removed.is_empty() {
                errln!("removed connections: {}", removed.join(", "));
            }
            outln!("removed app {name}");
            Ok(())
        }
        AppCommand::List { json } => list(ctx, json).await,
        AppCommand::Manifest {
            name,
            push: false,
            public_url,
            slash_commands,
            ..
        } => {
            let manifest = ctx
                .engine_reading()?
                .manifest(&name, public_url.as_deref(), &slash_commands)
                .await?;
            print_json(&manifest);
            Ok(())
        }
        AppCommand::Manifest {
            name,
            push: true,
            app_id,
            conn,
            ..
        } => {
            let pushed = ctx
                .engine_reading()?
                .push_manifest(&name, app_id.as_deref(), conn.as_deref())
                .await?;
            outln!(
                "updated the manifest of {} ({}) at Slack with the configuration token of {}",
                name,
                pushed.app_id,
                pushed.connection
            );
            Ok(())
        }
    }
}

fn read_secret() -> anyhow::Result<Secret> {
    read_hidden(
        SECRET_ENV,
        "client secret",
        " (or pass --pkce for a public client)",
    )
}

/// A secret from `env`, else stdin (asked for without echo at a terminal); never argv.
fn read_hidden(env: &str, what: &str, otherwise: &str) -> anyhow::Result<Secret> {
    if let Ok(value) = std::env::var(env) {
        return Ok(Secret::new(value.trim()));
    }
    let stdin = std::io::stdin();
    let text = if stdin.is_terminal() {
        let mut prompt = format!("{what} (input hidden): ");
        prompt[..1].make_ascii_uppercase();
        rpassword::prompt_password(prompt).with_context(|| format!("cannot read the {what}"))?
    } else {
        let mut text = String::new();
        stdin
            .lock()
            .take(4096)
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read the {what} from stdin"))?;
        text
    };
    let text = text.trim();
    if text.is_empty() {
        bail!("no {what}: set {env} or pipe it on stdin{otherwise}");
    }
    Ok(Secret::new(text))
}

async fn add(ctx: &Context, args: AddArgs) -> anyhow::Result<()> {
    let engine = ctx.engine_creating()?;
    let client_secret = if args.pkce {
        None
    } else {
        Some(read_secret()?)
    };
    let app = engine
        .add_app(NewApp {
            name: args.name,
            client_id: args.client_id.trim().to_owned(),
            client_secret,
            pkce: args.pkce,
            rotation: args.rotation,
            redirect_uri: args.redirect_uri,
            bot_scopes: Scopes::parse(&args.scopes),
            user_scopes: Scopes::parse(&args.user_scopes),
            signing_secret: None,
            forward_to: None,
        })
        .await?;
    warn_unknown_scopes(&app.bot_scopes.union(&app.user_scopes));
    if args.json {
        print_json(&serde_json::to_value(&app)?);
    } else {
        outln!("added app {} (client id {})", app.name, app.client_id);
    }
    Ok(())
}

async fn set(ctx: &Context, args: SetArgs) -> anyhow::Result<()> {
    let engine = ctx.engine_reading()?;
    let changes = AppChanges {
        client_id: args.client_id,
        client_secret: if args.secret {
            Some(read_secret()?)
        } else {
            None
        },
        redirect_uri: args.redirect_uri,
        bot_scopes: args.scopes.as_deref().map(Scopes::parse),
        user_scopes: args.user_scopes.as_deref().map(Scopes::parse),
        rotation: switch(args.rotation, args.no_rotation),
        pkce: switch(args.pkce, args.no_pkce),
        signing_secret: if args.signing_secret {
            Some(read_hidden(SIGNING_SECRET_ENV, "signing secret", "")?)
        } else {
            None
        },
        forward_to: args.forward_to,
    };
    let given = [&changes.bot_scopes, &changes.user_scopes]
        .into_iter()
        .flatten()
        .fold(Scopes::default(), |all, s| all.union(s));
    let app = engine.set_app(&args.name, changes).await?;
    warn_unknown_scopes(&given);
    if args.json {
        print_json(&serde_json::to_value(&app)?);
    } else {
        outln!("updated app {} (client id {})", app.name, app.client_id);
    }
    Ok(())
}

/// Scopes are kept as given (Slack may know newer ones than the catalogue), with a warning
/// for each the catalogue does not know: an install asking for it fails.
fn warn_unknown_scopes(scopes: &Scopes) {
    for unknown in unknown_scopes(scopes) {
        errln!("warning: {unknown}; an install asking for it fails with invalid_scope");
    }
}

async fn list(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let apps = ctx.engine_reading()?.apps().await?;
    if json {
        print_json(&serde_json::to_value(&apps)?);
        return Ok(());
    }
    if apps.is_empty() {
        outln!("no apps yet: `xox app add NAME --client-id ID` registers one");
        return Ok(());
    }
    let mut rows = vec![vec![
        "NAME".into(),
        "CLIENT ID".into(),
        "CLIENT".into(),
        "ROTATION".into(),
        "BOT SCOPES".into(),
        "USER SCOPES".into(),
        "REDIRECT".into(),
    ]];
    for a in &apps {
        let client = if a.pkce {
            "public (PKCE)"
        } else {
            "confidential"
        };
        let or_dash = |s: &Scopes| {
            if s.is_empty() {
                "-".to_owned()
            } else {
                s.to_csv()
            }
        };
        rows.push(vec![
            a.name.clone(),
            a.client_id.clone(),
            client.into(),
            if a.rotation { "on" } else { "off" }.into(),
            or_dash(&a.bot_scopes),
            or_dash(&a.user_scopes),
            a.redirect_uri.clone(),
        ]);
    }
    out!("{}", format::table(&rows));
    Ok(())
}
