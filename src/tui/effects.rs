//! The executor: runs each `Effect` as a tokio task through the engine, the same workflows
//! the CLI uses, and sends a `Msg` back. It only turns results into status lines.

use super::app::{Effect, Job, Msg};
use crate::engine::describe::countdown;
use crate::engine::now_unix;
use crate::engine::{CallReport, Engine, LoginRequest, TokenRef};
use crate::engine::{DEFAULT_CONCURRENCY, WatchEvent};
use base64::Engine as _;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How long the dashboard waits for the browser in a login.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

pub struct Executor {
    engine: Arc<Engine>,
    tx: mpsc::UnboundedSender<Msg>,
    /// In the demo, the executor plays the browser: the simulator approves at once.
    follow_login_links: bool,
    login: Option<JoinHandle<()>>,
    auto_refresh: Option<oneshot::Sender<()>>,
    watch: Option<JoinHandle<()>>,
}

type JobResult = Result<String, String>;

impl Executor {
    pub fn new(
        engine: Arc<Engine>,
        tx: mpsc::UnboundedSender<Msg>,
        follow_login_links: bool,
    ) -> Executor {
        Executor {
            engine,
            tx,
            follow_login_links,
            login: None,
            auto_refresh: None,
            watch: None,
        }
    }

    /// Tell the dashboard whenever another process writes to the store, from a task of its
    /// own: the event loop never waits on the store.
    pub fn watch_store(&mut self) {
        let tx = self.tx.clone();
        self.watch = Some(self.engine.watch_changes(move || {
            let _ = tx.send(Msg::StoreChanged);
        }));
    }

    /// Run `job` on a task and report its result.
    fn spawn_job<F>(&self, job: Job, work: impl FnOnce(Arc<Engine>) -> F + Send + 'static)
    where
        F: std::future::Future<Output = JobResult> + Send + 'static,
    {
        let (engine, tx) = (self.engine.clone(), self.tx.clone());
        tokio::spawn(async move {
            let result = work(engine).await;
            let _ = tx.send(Msg::Done { job, result });
        });
    }

    /// Start `effect`. Returns false for `Quit`.
    pub fn run(&mut self, effect: Effect) -> bool {
        match effect {
            Effect::Quit => {
                self.stop_background();
                return false;
            }
            Effect::Reload => {
                let (engine, tx) = (self.engine.clone(), self.tx.clone());
                tokio::spawn(async move {
                    if let Ok(snapshot) = engine.snapshot().await {
                        let _ = tx.send(Msg::Loaded(snapshot));
                    }
                });
            }
            Effect::LoadEvents(connection_id) => {
                let (engine, tx) = (self.engine.clone(), self.tx.clone());
                tokio::spawn(async move {
                    if let Ok(events) = engine.events(&connection_id).await {
                        let _ = tx.send(Msg::Events {
                            connection_id,
                            events,
                        });
                    }
                });
            }
            Effect::Refresh(token) => {
                self.spawn_job(Job::Refresh(token.clone()), move |e| async move {
                    let r = e.refresh_token(&token).await.map_err(|e| e.to_string())?;
                    Ok(format!(
                        "refreshed {} {}, expires in {}",
                        r.connection,
                        r.kind,
                        countdown(r.expires_at, now_unix())
                    ))
                })
            }
            Effect::RefreshDue => self.spawn_job(Job::RefreshDue, move |e| async move {
                let report = e
                    .refresh_due(e.window(), DEFAULT_CONCURRENCY, &|_, _, _| {})
                    .await
                    .map_err(|e| e.to_string())?;
                let refreshed = report.items.iter().filter(|i| i.refreshed).count();
                // The same window as the header's "expiring <…", named the same way.
                let window = crate::engine::describe::window_label(e.window());
                match (report.items.len(), report.failed()) {
                    (0, _) => Ok(format!("no token expires within {window}: nothing to refresh")),
                    (due, 0) => Ok(format!(
                        "refreshed {refreshed} of {due} tokens expiring within {window}"
                    )),
                    (due, n) => Err(format!(
                        "{n} of {due} tokens expiring within {window} could not be refreshed (see details)"
                    )),
                }
            }),
            Effect::Replay { call, kind } => {
                self.spawn_job(Job::Replay(call), move |e| async move {
                    let report = e
                        .replay(call, kind, false, &|_| {})
                        .await
                        .map_err(|e| e.to_string())?;
                    match report.result {
                        Ok(_) => Ok(format!("replayed call #{call}: ok")),
                        Err(failure) => Err(format!("replay of #{call} failed: {}", failure.error)),
                    }
                })
            }
            Effect::Dismiss(call) => self.spawn_job(Job::Dismiss(call), move |e| async move {
                let dismissed = e.dismiss_call(call).await.map_err(|e| e.to_string())?;
                let ids: Vec<String> = dismissed.iter().map(|id| format!("#{id}")).collect();
                Ok(format!("dismissed {}", ids.join(", ")))
            }),
            Effect::Exchange(token) => {
                self.spawn_job(Job::Exchange(token.clone()), move |e| async move {
                    let done = e
                        .exchange(&token.connection_id, Some(token.kind))
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(format!(
                        "exchanged {} {}: now rotating",
                        done.connection, done.kind
                    ))
                })
            }
            Effect::Revoke(token) => {
                self.spawn_job(Job::Revoke(token.clone()), move |e| async move {
                    e.revoke(&token.connection_id, Some(token.kind))
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(format!(
                        "revoked the {} token of {}",
                        token.kind, token.connection
                    ))
                })
            }
            Effect::Remove { id, name } => {
                self.spawn_job(Job::Remove(id.clone()), move |e| async move {
                    e.remove(&id, false).await.map_err(|e| e.to_string())?;
                    Ok(format!(
                        "removed {name}; its history and failed calls are kept"
                    ))
                })
            }
            Effect::Copy(token) => self.spawn_job(Job::Copy, |e| copy_token(e, token)),
            Effect::CopyLink(url) => self.spawn_job(Job::Copy, |_| async move {
                to_clipboard(&url)?;
                Ok("copied the link to the clipboard".to_owned())
            }),
            Effect::Login(request) => self.start_login(request),
            Effect::CancelLogin => {
                if let Some(task) = self.login.take() {
                    // Dropping the pending login closes the callback listener.
                    task.abort();
                }
            }
            Effect::Call {
                connection_id,
                kind,
                method,
                args,
            } => self.spawn_job(Job::Call, move |e| async move {
                let report = e
                    .call(&connection_id, &method, &args, kind)
                    .await
                    .map_err(|e| e.to_string())?;
                console_result(&method, report)
            }),
            Effect::SetAutoRefresh(on) => self.set_auto_refresh(on),
        }
        true
    }

    fn stop_background(&mut self) {
        if let Some(task) = self.login.take() {
            task.abort();
        }
        if let Some(task) = self.watch.take() {
            task.abort();
        }
        self.auto_refresh.take();
    }

    /// Keep tokens fresh while auto-refresh is on; each refresh or failure reaches the
    /// dashboard as a status line and a reload.
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
        let (engine, tx) = (self.engine.clone(), self.tx.clone());
        tokio::spawn(async move {
            let report = |event: WatchEvent| {
                let result = match event {
                    WatchEvent::Refreshed {
                        connection,
                        kind,
                        expires_at,
                    } => Ok(format!(
                        "auto-refreshed {connection} {kind}, expires in {}",
                        countdown(expires_at, now_unix())
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
            let stopped = async {
                let _ = stopped.await;
            };
            if let Err(e) = engine.keep_fresh(engine.window(), stopped, &report).await {
                report(WatchEvent::StoreError(e.to_string()));
            }
        });
    }

    fn start_login(&mut self, request: LoginRequest) {
        let (engine, tx, follow) = (
            self.engine.clone(),
            self.tx.clone(),
            self.follow_login_links,
        );
        self.login = Some(tokio::spawn(async move {
            let result = async {
                let pending = engine
                    .start_login(
                        request,
                        crate::engine::HeldElsewhere::Refuse,
                        crate::engine::ScopeCheck::Known,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                let url = pending.url().to_string();
                let _ = tx.send(Msg::LoginUrl(url.clone()));
                if follow {
                    let engine = engine.clone();
                    tokio::spawn(async move { engine.follow_authorize_link(&url).await });
                }
                let done = engine
                    .finish_login(pending, LOGIN_TIMEOUT)
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

fn console_result(method: &str, report: CallReport) -> JobResult {
    match report.result {
        Ok(answer) => {
            let text = answer.body.to_string();
            let short: String = text.chars().take(120).collect();
            Ok(format!("{method} ok: {short}"))
        }
        Err(failure) => Err(match failure.recorded {
            Ok(recorded) => format!(
                "{method} failed: {} (recorded as #{}; f shows it)",
                failure.error, recorded.call.id
            ),
            Err(_) => format!("{method} failed: {}", failure.error),
        }),
    }
}

/// Put `text` on the clipboard with OSC 52, which the terminal handles (also over ssh).
fn to_clipboard(text: &str) -> Result<(), String> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout().lock();
    out.write_all(format!("\x1b]52;c;{encoded}\x07").as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| e.to_string())
}

/// Put a usable token (the same policy as `xox token`) on the clipboard.
async fn copy_token(engine: Arc<Engine>, token: TokenRef) -> JobResult {
    let usable = engine
        .usable_token(&token.connection_id, Some(token.kind), engine.window())
        .await
        .map_err(|e| e.to_string())?;
    to_clipboard(usable.token.expose())?;
    let mut text = format!(
        "copied the {} token of {} to the clipboard",
        token.kind, token.connection
    );
    for warning in &usable.warnings {
        text.push_str(&format!(" (warning: {warning})"));
    }
    Ok(text)
}
