//! `update`: the dashboard's only state transition. Synchronous, no I/O: it changes `App`
//! and returns the effects for the executor to run.

mod failed;

use super::app::{App, Confirm, Effect, Job, LoginState, Mode, Msg, Status};
use super::keymap::{self, Action, Scope};
use super::rows::{keep_selection_visible, rebuild_rows, refresh_rows};
use super::text_input;
use crate::engine::Health;
use crate::engine::{LoginRequest, TokenRef};
use crate::engine::{Scopes, TokenKind};
use crossterm::event::{KeyCode, KeyEvent};
use failed::on_failed_key;

pub fn update(app: &mut App, msg: Msg, now: i64) -> Vec<Effect> {
    let before = app.status.clone();
    let effects = step(app, msg, now);
    if app.status != before
        && let Some(status) = app.status.clone()
    {
        app.log_status(status);
    }
    effects
}

fn step(app: &mut App, msg: Msg, now: i64) -> Vec<Effect> {
    match msg {
        Msg::Key(key) if keymap::is_quit(&key) => vec![Effect::Quit],
        Msg::Key(key) => on_key(app, key, now),
        Msg::Resize { width, height } => {
            app.size = (width, height);
            keep_selection_visible(app);
            vec![]
        }
        Msg::Tick => {
            app.spinner = app.spinner.wrapping_add(1);
            vec![]
        }
        Msg::Loaded(snapshot) => {
            let selected_id = app.selected_connection().map(|c| c.id.clone());
            let selected_call = app.selected_failed().map(|f| f.call.id);
            note_proxy_calls(app, &snapshot, now);
            app.snapshot = snapshot;
            rebuild_rows(app, selected_id, now);
            // The selection follows its call, not its row: a replay adds rows above it, and
            // an `a` or `t` must act on the call the user is looking at.
            let failed = &app.snapshot.failed;
            app.failed_selected = selected_call
                .and_then(|id| failed.iter().position(|f| f.call.id == id))
                .unwrap_or(app.failed_selected)
                .min(failed.len().saturating_sub(1));
            vec![]
        }
        Msg::StoreChanged => vec![Effect::Reload],
        Msg::Events {
            connection_id,
            events,
        } => {
            app.events.insert(connection_id, events);
            vec![]
        }
        Msg::Done { job, result } => {
            app.busy.remove(&job);
            if job == Job::Login && matches!(app.mode, Mode::Login(_)) {
                app.mode = std::mem::replace(&mut app.after_login, Mode::Dashboard);
            }
            app.status = Some(match result {
                Ok(text) => Status::info(text),
                Err(text) => Status::error(text),
            });
            let mut effects = vec![Effect::Reload];
            if app.mode == Mode::Detail
                && let Some(c) = app.selected_connection()
            {
                effects.push(Effect::LoadEvents(c.id.clone()));
            }
            effects
        }
        Msg::LoginUrl(url) => {
            if matches!(app.mode, Mode::Login(_)) {
                app.mode = Mode::Login(LoginState::Waiting { url });
            }
            vec![]
        }
    }
}

/// What the proxies served since the last load, for the header's hour of activity.
fn note_proxy_calls(app: &mut App, snapshot: &crate::engine::Snapshot, now: i64) {
    let total: i64 = snapshot.proxy_keys.iter().map(|k| k.requests).sum();
    if let Some(before) = app.proxy_total
        && total > before
    {
        app.proxy_calls.push((now, (total - before) as u64));
    }
    app.proxy_total = Some(total);
    app.proxy_calls
        .retain(|(at, _)| now - at < crate::engine::ACTIVITY_SECS);
}

fn move_in(len: usize, current: usize, action: Action, page: usize) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::Up => current.saturating_sub(1),
        Action::Down => (current + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => current.saturating_sub(page),
        Action::PageDown => (current + page).min(last),
        _ => current,
    }
}

/// The selected connection's token a key acts on, by the engine's rule.
fn target_token(app: &App) -> Option<TokenRef> {
    TokenRef::default_of(app.selected_connection()?)
}

fn on_key(app: &mut App, key: KeyEvent, now: i64) -> Vec<Effect> {
    match app.mode.clone() {
        Mode::Filter => text_input::on_filter_key(app, key, now),
        Mode::Console => text_input::on_console_key(app, key),
        Mode::Help(under) | Mode::Messages(under) => {
            app.mode = *under;
            vec![]
        }
        mode if keymap::action(keymap::scope(&mode), &key) == Some(Action::Messages) => {
            app.mode = Mode::Messages(Box::new(mode));
            vec![]
        }
        Mode::Login(state) => match (keymap::action(Scope::Login, &key), state) {
            (Some(Action::Cancel), _) => {
                app.mode = std::mem::replace(&mut app.after_login, Mode::Dashboard);
                app.busy.remove(&Job::Login);
                vec![Effect::CancelLogin]
            }
            (Some(Action::Copy), LoginState::Waiting { url }) => vec![Effect::CopyLink(url)],
            _ => vec![],
        },
        // With both tokens offered for exchange, b or u keeps just one of them.
        Mode::Confirm(Confirm::Exchange(tokens))
            if tokens.len() > 1 && matches!(key.code, KeyCode::Char('b' | 'u')) =>
        {
            let kind = if key.code == KeyCode::Char('b') {
                TokenKind::Bot
            } else {
                TokenKind::User
            };
            let kept = tokens.into_iter().filter(|t| t.kind == kind).collect();
            app.mode = Mode::Confirm(Confirm::Exchange(kept));
            vec![]
        }
        Mode::Confirm(confirm) => match keymap::action(Scope::Confirm, &key) {
            Some(Action::Yes) => {
                app.mode = Mode::Dashboard;
                match confirm {
                    Confirm::Exchange(tokens) => tokens
                        .into_iter()
                        .map(|t| {
                            app.busy.insert(Job::Exchange(t.clone()));
                            Effect::Exchange(t)
                        })
                        .collect(),
                    Confirm::Revoke(t) => {
                        app.busy.insert(Job::Revoke(t.clone()));
                        vec![Effect::Revoke(t)]
                    }
                    Confirm::Copy(t) => {
                        app.busy.insert(Job::Copy);
                        vec![Effect::Copy(t)]
                    }
                    Confirm::Remove { id, name } => {
                        app.busy.insert(Job::Remove(id.clone()));
                        vec![Effect::Remove { id, name }]
                    }
                    Confirm::Install { app_id, .. } => install(app, app_id),
                }
            }
            Some(Action::No) => {
                app.mode = Mode::Dashboard;
                vec![]
            }
            _ => vec![],
        },
        Mode::Dashboard => on_dashboard_key(app, key, now),
        Mode::Detail => on_detail_key(app, key),
        Mode::Failed => on_failed_key(app, key, false),
        Mode::Inspector { scroll } => match keymap::action(Scope::Inspector, &key) {
            Some(Action::Up) => {
                app.mode = Mode::Inspector {
                    scroll: scroll.saturating_sub(1),
                };
                vec![]
            }
            Some(Action::Down) => {
                app.mode = Mode::Inspector {
                    scroll: scroll.saturating_add(1),
                };
                vec![]
            }
            _ => on_failed_key(app, key, true),
        },
    }
}

fn on_dashboard_key(app: &mut App, key: KeyEvent, now: i64) -> Vec<Effect> {
    let Some(action) = keymap::action(Scope::Dashboard, &key) else {
        return vec![];
    };
    match action {
        action if action.is_movement() => {
            app.selected = move_in(app.rows.len(), app.selected, action, app.page());
            keep_selection_visible(app);
            vec![]
        }
        Action::Open => match app.selected_connection() {
            Some(c) => {
                let id = c.id.clone();
                app.mode = Mode::Detail;
                vec![Effect::LoadEvents(id)]
            }
            None => vec![],
        },
        // Esc never quits: it clears the filter at most. q quits.
        Action::Back if key.code == KeyCode::Esc => {
            if !app.filter.value().is_empty() {
                app.filter = tui_input::Input::default();
                refresh_rows(app, now);
            }
            vec![]
        }
        Action::Back => vec![Effect::Quit],
        Action::Help => {
            app.mode = Mode::Help(Box::new(app.mode.clone()));
            vec![]
        }
        Action::Filter => {
            app.mode = Mode::Filter;
            vec![]
        }
        Action::Sort => {
            app.sort = app.sort.next();
            refresh_rows(app, now);
            vec![]
        }
        Action::Failed => {
            // The list opens on the newest failure.
            app.failed_selected = 0;
            app.mode = Mode::Failed;
            vec![]
        }
        Action::RefreshAll => {
            app.busy.insert(Job::RefreshDue);
            vec![Effect::RefreshDue]
        }
        Action::ToggleAuto => {
            app.auto_refresh = !app.auto_refresh;
            vec![Effect::SetAutoRefresh(app.auto_refresh)]
        }
        Action::AddConnection => {
            // A connection Slack no longer serves is re-authorized in place, not duplicated.
            if let Some(conn) = app.selected_connection().filter(|c| {
                !c.is_standalone() && matches!(c.health(now), Health::NeedsReauth | Health::Revoked)
            }) {
                let conn = conn.id.clone();
                return start_login(
                    app,
                    LoginRequest::Reauth {
                        conn,
                        bot: Scopes::default(),
                        user: Scopes::default(),
                    },
                );
            }
            // A healthy connection needs nothing: a new install of its app beside it is
            // asked for first, since with real Slack it is a consent screen and a new row.
            // Tokens kept without an app install (app-level, configuration) have no app to
            // install: the first registered one is offered instead.
            let of_selected = app
                .selected_connection()
                .filter(|c| !c.is_standalone())
                .map(|c| (c.app_id.clone(), c.app_name.clone()));
            let first = || {
                app.snapshot
                    .apps
                    .iter()
                    .find(|a| crate::engine::check_app_name(&a.name))
                    .map(|a| (a.id.clone(), a.name.clone()))
            };
            let Some((app_id, app_name)) = of_selected.or_else(first) else {
                app.status = Some(Status::error(
                    "no app registered yet: xox app add NAME --client-id ID",
                ));
                return vec![];
            };
            match app.selected_connection() {
                Some(c) => {
                    app.mode = Mode::Confirm(Confirm::Install {
                        app_id,
                        app_name,
                        beside: c.name.clone(),
                    });
                    vec![]
                }
                // With no connection yet there is nothing to mistake it for.
                None => install(app, app_id),
            }
        }
        _ => connection_action(app, action),
    }
}

/// Install the app `app_id` as a new connection.
fn install(app: &mut App, app_id: String) -> Vec<Effect> {
    start_login(
        app,
        LoginRequest::Install {
            app: app_id,
            name: None,
            bot: None,
            user: None,
            team: None,
        },
    )
}

/// Open the login dialog and start the install; the dialog returns to where it opened.
fn start_login(app: &mut App, request: LoginRequest) -> Vec<Effect> {
    app.after_login = match app.mode {
        Mode::Login(_) => Mode::Dashboard,
        ref mode => mode.clone(),
    };
    app.mode = Mode::Login(LoginState::Starting);
    app.busy.insert(Job::Login);
    vec![Effect::Login(request)]
}

/// Actions on the selected connection, from the dashboard or its detail pane.
fn connection_action(app: &mut App, action: Action) -> Vec<Effect> {
    let (Some(token), Some(conn)) = (target_token(app), app.selected_connection()) else {
        return vec![];
    };
    match action {
        Action::Refresh => match TokenRef::rotating(conn, None) {
            Ok(tokens) => tokens
                .into_iter()
                .map(|t| {
                    app.busy.insert(Job::Refresh(t.clone()));
                    Effect::Refresh(t)
                })
                .collect(),
            Err(e) => {
                app.status = Some(Status::error(e.to_string()));
                vec![]
            }
        },
        // Only long-lived tokens can be exchanged; with two, the dialog lets one be picked.
        Action::Exchange => {
            let long_lived = TokenRef::exchangeable(conn);
            if long_lived.is_empty() {
                app.status = Some(Status::error(format!(
                    "the tokens of {} already rotate (or are revoked): there is nothing to exchange; r refreshes them",
                    conn.name
                )));
            } else {
                app.mode = Mode::Confirm(Confirm::Exchange(long_lived));
            }
            vec![]
        }
        Action::Revoke => {
            app.mode = Mode::Confirm(Confirm::Revoke(token));
            vec![]
        }
        Action::Copy => {
            app.mode = Mode::Confirm(Confirm::Copy(token));
            vec![]
        }
        Action::Remove => {
            app.mode = Mode::Confirm(Confirm::Remove {
                id: conn.id.clone(),
                name: conn.name.clone(),
            });
            vec![]
        }
        Action::Console => {
            app.mode = Mode::Console;
            app.console = tui_input::Input::default();
            app.console_kind = None;
            vec![]
        }
        _ => vec![],
    }
}

fn on_detail_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match keymap::action(Scope::Detail, &key) {
        Some(Action::Back) => {
            app.mode = Mode::Dashboard;
            vec![]
        }
        Some(Action::Help) => {
            app.mode = Mode::Help(Box::new(app.mode.clone()));
            vec![]
        }
        Some(action) => connection_action(app, action),
        None => vec![],
    }
}
