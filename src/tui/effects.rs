//! The executor: runs each `Effect` as a tokio task on the same engines the CLI uses, and
//! sends a `Msg` back. Nothing here runs on the UI task for long.

use super::app::{Effect, FailedCall, Job, Msg, Snapshot};
use crate::calls::{self, hints};
use crate::display;
use crate::login::LoginPlan;
use crate::rotation::{DEFAULT_CONCURRENCY, Need, Rotator, Target, WatchEvent, refresh_due, watch};
use crate::slack::{Scopes, TokenKind};
use crate::store::{Store, StoreResult, now_unix};
use base64::Engine;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Opens another connection to the same database (for a login, which waits minutes).
pub type StoreOpener = Arc<dyn Fn() -> StoreResult<Store> + Send + Sync>;

pub struct Executor {
    rotator: Arc<Rotator>,
    open_store: StoreOpener,
    tx: mpsc::UnboundedSender<Msg>,
    cert_dir: PathBuf,
    /// In the demo, the executor plays the browser: the simulator approves at once.
    follow_login_links: bool,
    login: Option<JoinHandle<()>>,
    auto_refresh: Option<oneshot::Sender<()>>,
    window: std::time::Duration,
}

/// Read everything the dashboard shows: connections and explained failed calls.
pub fn load_snapshot(store: &Store) -> StoreResult<Snapshot> {
    let connections = store.connections()?;
    let mut failed = Vec::new();
    for call in store.calls()? {
        let Some(conn) = connections.iter().find(|c| c.id == call.connection_id) else {
            continue;
        };
        let payload = store.call_payload(call.id)?;
        let hint = hints::explain(&call, conn, &payload.params);
        let body = payload
            .response
            .map(|b| serde_json::to_string_pretty(&b).unwrap_or_default())
            .unwrap_or_else(|| "(no answer body)".into());
        failed.push(FailedCall {
            command: hint.command(conn, &call),
            connection: conn.name.clone(),
            hint: hint.text,
            action: hint.action,
            body,
            call,
        });
    }
    let apps = store.apps()?.into_iter().map(|a| a.name).collect();
    Ok(Snapshot {
        connections,
        failed,
        apps,
    })
}

impl Executor {
    pub fn new(
        rotator: Arc<Rotator>,
        open_store: StoreOpener,
        tx: mpsc::UnboundedSender<Msg>,
        cert_dir: PathBuf,
        follow_login_links: bool,
        window: std::time::Duration,
    ) -> Executor {
        Executor {
            rotator,
            open_store,
            tx,
            cert_dir,
            follow_login_links,
            login: None,
            auto_refresh: None,
            window,
        }
    }

    pub fn store(&self) -> crate::rotation::StoreHandle {
        self.rotator.store().clone()
    }

    /// Start `effect`. Returns false for `Quit`.
    pub fn run(&mut self, effect: Effect) -> bool {
        let (rotator, tx) = (self.rotator.clone(), self.tx.clone());
        let done =
            move |tx: &mpsc::UnboundedSender<Msg>, job: Job, result: Result<String, String>| {
                let _ = tx.send(Msg::Done { job, result });
            };
        match effect {
            Effect::Quit => {
                self.stop_background();
                return false;
            }
            Effect::Reload => {
                tokio::spawn(async move {
                    if let Ok(snapshot) = rotator.store().run(|s| load_snapshot(s)).await {
                        let _ = tx.send(Msg::Loaded(snapshot));
                    }
                });
            }
            Effect::LoadEvents(conn) => {
                tokio::spawn(async move {
                    let id = conn.clone();
                    if let Ok(events) = rotator.store().run(move |s| s.events(&id)).await {
                        let _ = tx.send(Msg::Events { conn, events });
                    }
                });
            }
            Effect::Refresh { conn, kind } => {
                tokio::spawn(async move {
                    let job = Job::Refresh {
                        conn: conn.clone(),
                        kind,
                    };
                    done(&tx, job, refresh(&rotator, &conn, kind).await);
                });
            }
            Effect::RefreshDue => {
                let within = self.window.as_secs() as i64;
                tokio::spawn(async move {
                    let due = rotator
                        .store()
                        .run(move |s| s.due_tokens(now_unix() + within))
                        .await;
                    let result = match due {
                        Ok(due) => {
                            let report = refresh_due(
                                &rotator,
                                due,
                                within,
                                DEFAULT_CONCURRENCY,
                                &|_, _, _| {},
                            )
                            .await;
                            let refreshed = report.items.iter().filter(|i| i.refreshed).count();
                            match report.failed() {
                                0 => Ok(format!(
                                    "refreshed {refreshed} of {} due tokens",
                                    report.items.len()
                                )),
                                n => Err(format!(
                                    "{n} of {} due tokens could not be refreshed (see details)",
                                    report.items.len()
                                )),
                            }
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    done(&tx, Job::RefreshDue, result);
                });
            }
            Effect::Replay { call, kind } => {
                tokio::spawn(async move {
                    done(&tx, Job::Replay(call), replay(&rotator, call, kind).await)
                });
            }
            Effect::Exchange { conn, kind } => {
                tokio::spawn(async move {
                    let result = token_op(&rotator, &conn, kind, TokenOp::Exchange).await;
                    done(&tx, Job::Exchange { conn, kind }, result);
                });
            }
            Effect::Revoke { conn, kind } => {
                tokio::spawn(async move {
                    let result = token_op(&rotator, &conn, kind, TokenOp::Revoke).await;
                    done(&tx, Job::Revoke { conn, kind }, result);
                });
            }
            Effect::Copy { conn, kind } => {
                tokio::spawn(async move {
                    let result = copy_token(&rotator, &conn, kind).await;
                    done(&tx, Job::Copy, result);
                });
            }
            Effect::Login {
                app,
                conn,
                bot,
                user,
            } => self.start_login(app, conn, bot, user),
            Effect::CancelLogin => {
                if let Some(task) = self.login.take() {
                    // Dropping the pending login closes the callback listener.
                    task.abort();
                }
            }
            Effect::Call {
                conn,
                kind,
                method,
                args,
            } => {
                tokio::spawn(async move {
                    done(
                        &tx,
                        Job::Call,
                        console_call(&rotator, &conn, kind, &method, &args).await,
                    )
                });
            }
            Effect::SetAutoRefresh(on) => self.set_auto_refresh(on),
        }
        true
    }

    fn stop_background(&mut self) {
        if let Some(task) = self.login.take() {
            task.abort();
        }
        self.auto_refresh.take();
    }

    /// Run the rotation scheduler while auto-refresh is on; each refresh or failure reaches
    /// the dashboard as a status line and a reload.
    fn set_auto_refresh(&mut self, on: bool) {
        if !on {
            // Dropping the sender ends the scheduler.
            self.auto_refresh = None;
            return;
        }
        if self.auto_refresh.is_some() {
            return;
        }
        let (stop, stopped) = oneshot::channel::<()>();
        self.auto_refresh = Some(stop);
        let (rotator, tx, window) = (self.rotator.clone(), self.tx.clone(), self.window);
        tokio::spawn(async move {
            let report = |event: WatchEvent| {
                let result = match event {
                    WatchEvent::Refreshed {
                        connection,
                        kind,
                        expires_at,
                    } => Ok(format!(
                        "auto-refreshed {connection} {kind}, expires in {}",
                        display::countdown(expires_at, now_unix())
                    )),
                    WatchEvent::Failed {
                        connection,
                        kind,
                        error,
                        retry_in_secs,
                    } => Err(format!(
                        "auto-refresh of {connection} {kind} failed: {error}; next try in {retry_in_secs}s"
                    )),
                    WatchEvent::StoreError(e) => Err(format!("auto-refresh: {e}")),
                    WatchEvent::Sleeping { .. } => return,
                };
                let _ = tx.send(Msg::Done {
                    job: Job::AutoRefresh,
                    result,
                });
            };
            watch(
                &rotator,
                window,
                async {
                    let _ = stopped.await;
                },
                &report,
            )
            .await;
        });
    }

    fn start_login(&mut self, app: String, conn: Option<String>, bot: String, user: String) {
        let (tx, open_store, cert_dir, follow) = (
            self.tx.clone(),
            self.open_store.clone(),
            self.cert_dir.clone(),
            self.follow_login_links,
        );
        let client = self.rotator.client().clone();
        self.login = Some(tokio::spawn(async move {
            let result = async {
                let mut store = open_store().map_err(|e| e.to_string())?;
                let app = store.app(&app).map_err(|e| e.to_string())?;
                let secret = store.app_secret(&app).map_err(|e| e.to_string())?;
                let plan = match &conn {
                    Some(name) => {
                        let c = store.connection(name).map_err(|e| e.to_string())?;
                        LoginPlan::add_scopes(app, &c, &Scopes::parse(&bot), &Scopes::parse(&user))
                    }
                    None => LoginPlan {
                        bot_scopes: app.bot_scopes.clone(),
                        user_scopes: app.user_scopes.clone(),
                        team: None,
                        connection_name: None,
                        app,
                    },
                };
                let pending = plan
                    .start(&client, &cert_dir)
                    .await
                    .map_err(|e| e.to_string())?;
                let url = pending.url().to_string();
                let _ = tx.send(Msg::LoginUrl(url.clone()));
                if follow {
                    tokio::spawn(async move {
                        let _ = reqwest::get(url).await;
                    });
                }
                let done = pending
                    .finish(
                        &mut store,
                        &client,
                        secret,
                        std::time::Duration::from_secs(300),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(format!("logged in: {}", done.connection.name))
            }
            .await;
            let _ = tx.send(Msg::Done {
                job: Job::Login,
                result,
            });
        }));
    }
}

async fn connection(rotator: &Rotator, name: &str) -> Result<crate::store::Connection, String> {
    let name = name.to_owned();
    rotator
        .store()
        .run(move |s| s.connection(&name))
        .await
        .map_err(|e| e.to_string())
}

async fn target(rotator: &Rotator, conn: &str, kind: TokenKind) -> Result<Target, String> {
    Ok(Target::of(&connection(rotator, conn).await?, kind))
}

/// The irreversible things done to a token from the dashboard, after a confirmation.
enum TokenOp {
    Exchange,
    Revoke,
}

async fn token_op(
    rotator: &Rotator,
    conn: &str,
    kind: TokenKind,
    op: TokenOp,
) -> Result<String, String> {
    let t = target(rotator, conn, kind).await?;
    let done = match op {
        TokenOp::Exchange => rotator
            .exchange(&t)
            .await
            .map(|_| format!("exchanged {conn} {kind}: now rotating")),
        TokenOp::Revoke => rotator
            .revoke(&t)
            .await
            .map(|_| format!("revoked the {kind} token of {conn}")),
    };
    done.map_err(|e| e.to_string())
}

async fn refresh(rotator: &Rotator, conn: &str, kind: TokenKind) -> Result<String, String> {
    let t = target(rotator, conn, kind).await?;
    let (id, k) = (t.connection_id.clone(), kind);
    let generation = rotator
        .store()
        .run(move |s| s.token_state(&id, k))
        .await
        .map_err(|e| e.to_string())?
        .generation;
    let fresh = rotator
        .refresh_if(&t, Need::NotRewrittenSince(generation))
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "refreshed {conn} {kind}, expires in {}",
        display::countdown(fresh.expires_at, now_unix())
    ))
}

async fn replay(rotator: &Rotator, id: i64, kind: Option<TokenKind>) -> Result<String, String> {
    let (call, payload, conn) = rotator
        .store()
        .run(move |s| {
            Ok::<_, crate::store::StoreError>((
                s.call(id)?,
                s.call_payload(id)?,
                s.connection(&s.call(id)?.connection_id)?,
            ))
        })
        .await
        .map_err(|e| e.to_string())?;
    if call.state == "replayed_ok" {
        return Err(format!("call #{id} was replayed successfully already"));
    }
    let kind = calls::default_kind(&conn, Some(kind.unwrap_or(call.token_kind)))
        .map_err(|e| e.to_string())?;
    let outcome = calls::call(
        rotator,
        &conn,
        kind,
        &call.method,
        &payload.params,
        Some(call.replay_of.unwrap_or(id)),
    )
    .await
    .map_err(|e| e.to_string())?;
    match outcome.result {
        Ok(_) => Ok(format!("replayed call #{id}: ok")),
        Err(failure) => Err(format!("replay of #{id} failed: {}", failure.error)),
    }
}

async fn console_call(
    rotator: &Rotator,
    conn: &str,
    kind: Option<TokenKind>,
    method: &str,
    args: &[String],
) -> Result<String, String> {
    let params = calls::parse_args(args).map_err(|e| e.to_string())?;
    let c = connection(rotator, conn).await?;
    let plan = calls::plan(&c, method, kind).map_err(|e| e.to_string())?;
    let outcome = calls::call(rotator, &c, plan.kind, method, &params, None)
        .await
        .map_err(|e| e.to_string())?;
    match outcome.result {
        Ok(answer) => {
            let text = answer.body.to_string();
            let short: String = text.chars().take(120).collect();
            Ok(format!("{method} ok: {short}"))
        }
        Err(failure) => Err(format!("{} (f shows it)", failure.error)),
    }
}

/// Put the token on the clipboard with OSC 52, which the terminal (also over ssh) handles.
async fn copy_token(rotator: &Rotator, conn: &str, kind: TokenKind) -> Result<String, String> {
    let t = target(rotator, conn, kind).await?;
    let id = t.connection_id.clone();
    let token = rotator
        .store()
        .run(move |s| s.access_token(&id, kind))
        .await
        .map_err(|e| e.to_string())?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(token.expose());
    let mut out = std::io::stdout().lock();
    out.write_all(format!("\x1b]52;c;{encoded}\x07").as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "copied the {kind} token of {conn} to the clipboard"
    ))
}
