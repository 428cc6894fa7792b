//! `update`: the dashboard's only state transition. Synchronous, no I/O: it changes `App`
//! and returns the effects for the executor to run.

use super::app::{App, Confirm, Effect, Job, LoginState, Mode, Msg, SortKey};
use super::keymap::{self, Action, Scope};
use super::text_input;
use crate::calls::hints::HintAction;
use crate::display;
use crate::slack::TokenKind;
use crossterm::event::{KeyCode, KeyEvent};

pub fn update(app: &mut App, msg: Msg, now: i64) -> Vec<Effect> {
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
            app.snapshot = snapshot;
            rebuild_rows(app, selected_id, now);
            app.failed_selected = app
                .failed_selected
                .min(app.snapshot.failed.len().saturating_sub(1));
            vec![]
        }
        Msg::Events { conn, events } => {
            app.events.insert(conn, events);
            vec![]
        }
        Msg::Done { job, result } => {
            app.busy.remove(&job);
            if job == Job::Login && matches!(app.mode, Mode::Login(_)) {
                app.mode = std::mem::replace(&mut app.after_login, Mode::Dashboard);
            }
            app.status = Some(match result {
                Ok(text) => (text, false),
                Err(text) => (text, true),
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

/// Filter (name, team, scopes; case-insensitive) and sort the connections into table rows,
/// keeping the selection on connection `keep` (by id) when it is still shown.
pub fn rebuild_rows(app: &mut App, keep: Option<String>, now: i64) {
    let needle = app.filter.value().to_lowercase();
    let conns = &app.snapshot.connections;
    let mut rows: Vec<usize> = (0..conns.len())
        .filter(|&i| {
            if needle.is_empty() {
                return true;
            }
            let c = &conns[i];
            let hay = [
                Some(c.name.as_str()),
                c.team_name.as_deref(),
                c.team_id.as_deref(),
            ];
            hay.iter()
                .flatten()
                .any(|h| h.to_lowercase().contains(&needle))
                || c.tokens
                    .iter()
                    .any(|t| t.scopes.iter().any(|s| s.contains(&needle)))
        })
        .collect();
    let soonest = |i: usize| {
        conns[i]
            .tokens
            .iter()
            .filter_map(|t| t.expires_at)
            .min()
            .unwrap_or(i64::MAX)
    };
    let severity = |i: usize| match display::connection_status(&conns[i], now) {
        "needs_reauth" => 0,
        "revoked" => 1,
        "expired" => 2,
        "error" => 3,
        _ => 4,
    };
    match app.sort {
        SortKey::Name => rows.sort_by(|&a, &b| conns[a].name.cmp(&conns[b].name)),
        SortKey::Expiry => rows.sort_by_key(|&i| soonest(i)),
        SortKey::Team => rows.sort_by(|&a, &b| {
            conns[a]
                .team_name
                .cmp(&conns[b].team_name)
                .then(conns[a].name.cmp(&conns[b].name))
        }),
        SortKey::Status => rows.sort_by_key(|&i| (severity(i), soonest(i))),
    }
    app.rows = rows;
    let kept = keep.and_then(|id| {
        app.rows
            .iter()
            .position(|&i| app.snapshot.connections[i].id == id)
    });
    app.selected = kept
        .unwrap_or(app.selected)
        .min(app.rows.len().saturating_sub(1));
    keep_selection_visible(app);
}

/// Re-filter and re-sort, the selection following its connection.
pub(super) fn refresh_rows(app: &mut App, now: i64) {
    let keep = app.selected_connection().map(|c| c.id.clone());
    rebuild_rows(app, keep, now);
}

fn keep_selection_visible(app: &mut App) {
    let page = app.page();
    if app.selected < app.offset {
        app.offset = app.selected;
    } else if app.selected >= app.offset + page {
        app.offset = app.selected + 1 - page;
    }
    app.offset = app.offset.min(app.rows.len().saturating_sub(1));
}

fn is_movement(action: Action) -> bool {
    matches!(
        action,
        Action::Up
            | Action::Down
            | Action::Top
            | Action::Bottom
            | Action::PageUp
            | Action::PageDown
    )
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

/// The selected connection's token a key acts on: the bot token when it has one.
fn target_token(app: &App) -> Option<(String, TokenKind)> {
    let c = app.selected_connection()?;
    let kind = if c.token(TokenKind::Bot).is_some() {
        TokenKind::Bot
    } else {
        TokenKind::User
    };
    c.token(kind).map(|_| (c.name.clone(), kind))
}

fn on_key(app: &mut App, key: KeyEvent, now: i64) -> Vec<Effect> {
    match app.mode.clone() {
        Mode::Filter => text_input::on_filter_key(app, key, now),
        Mode::Console => text_input::on_console_key(app, key),
        Mode::Help(under) => {
            app.mode = *under;
            vec![]
        }
        Mode::Login(_) => {
            if key.code == KeyCode::Esc || key.code == KeyCode::Char('q') {
                app.mode = std::mem::replace(&mut app.after_login, Mode::Dashboard);
                app.busy.remove(&Job::Login);
                return vec![Effect::CancelLogin];
            }
            vec![]
        }
        Mode::Confirm(confirm) => match keymap::action(Scope::Confirm, &key) {
            Some(Action::Yes) => {
                app.mode = Mode::Dashboard;
                let (job, effect) = match confirm {
                    Confirm::Exchange { conn, kind } => (
                        Job::Exchange {
                            conn: conn.clone(),
                            kind,
                        },
                        Effect::Exchange { conn, kind },
                    ),
                    Confirm::Revoke { conn, kind } => (
                        Job::Revoke {
                            conn: conn.clone(),
                            kind,
                        },
                        Effect::Revoke { conn, kind },
                    ),
                    Confirm::Copy { conn, kind } => (Job::Copy, Effect::Copy { conn, kind }),
                };
                app.busy.insert(job);
                vec![effect]
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
        action if is_movement(action) => {
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
            // The selected connection's app, else the first registered one.
            let app_name = app
                .selected_connection()
                .map(|c| c.app_name.clone())
                .or_else(|| app.snapshot.apps.first().cloned());
            let Some(app_name) = app_name else {
                app.status = Some((
                    "no app registered yet: xox app add NAME --client-id ID".into(),
                    true,
                ));
                return vec![];
            };
            app.after_login = Mode::Dashboard;
            app.mode = Mode::Login(LoginState::Starting);
            app.busy.insert(Job::Login);
            vec![Effect::Login {
                app: app_name,
                conn: None,
                bot: String::new(),
                user: String::new(),
            }]
        }
        _ => connection_action(app, action),
    }
}

/// Actions on the selected connection, from the dashboard or its detail pane.
fn connection_action(app: &mut App, action: Action) -> Vec<Effect> {
    let Some((conn, kind)) = target_token(app) else {
        return vec![];
    };
    match action {
        Action::Refresh => {
            let c = app.selected_connection().expect("target_token found it");
            let kinds: Vec<TokenKind> = c
                .tokens
                .iter()
                .filter(|t| t.has_refresh_token)
                .map(|t| t.kind)
                .collect();
            if kinds.is_empty() {
                app.status = Some((
                    format!(
                        "{conn} has no rotating token to refresh (e exchanges a long-lived one)"
                    ),
                    true,
                ));
                return vec![];
            }
            kinds
                .into_iter()
                .map(|kind| {
                    app.busy.insert(Job::Refresh {
                        conn: conn.clone(),
                        kind,
                    });
                    Effect::Refresh {
                        conn: conn.clone(),
                        kind,
                    }
                })
                .collect()
        }
        Action::Exchange => {
            app.mode = Mode::Confirm(Confirm::Exchange { conn, kind });
            vec![]
        }
        Action::Revoke => {
            app.mode = Mode::Confirm(Confirm::Revoke { conn, kind });
            vec![]
        }
        Action::Copy => {
            app.mode = Mode::Confirm(Confirm::Copy { conn, kind });
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

fn on_failed_key(app: &mut App, key: KeyEvent, inspecting: bool) -> Vec<Effect> {
    let scope = if inspecting {
        Scope::Inspector
    } else {
        Scope::Failed
    };
    let Some(action) = keymap::action(scope, &key) else {
        return vec![];
    };
    match action {
        action if is_movement(action) => {
            app.failed_selected = move_in(
                app.snapshot.failed.len(),
                app.failed_selected,
                action,
                app.page(),
            );
            vec![]
        }
        Action::Open if app.selected_failed().is_some() => {
            app.mode = Mode::Inspector { scroll: 0 };
            vec![]
        }
        Action::Back => {
            app.mode = if inspecting {
                Mode::Failed
            } else {
                Mode::Dashboard
            };
            vec![]
        }
        Action::Help => {
            app.mode = Mode::Help(Box::new(app.mode.clone()));
            vec![]
        }
        Action::Replay | Action::SwitchKind => {
            let Some(failed) = app.selected_failed() else {
                return vec![];
            };
            let id = failed.call.id;
            let kind = (action == Action::SwitchKind).then(|| failed.call.token_kind.other());
            app.busy.insert(Job::Replay(id));
            vec![Effect::Replay { call: id, kind }]
        }
        Action::Reauth => {
            let Some(failed) = app.selected_failed() else {
                return vec![];
            };
            let (bot, user) = match &failed.action {
                HintAction::AddScopes {
                    kind: TokenKind::Bot,
                    scopes,
                } => (scopes.to_csv(), String::new()),
                HintAction::AddScopes {
                    kind: TokenKind::User,
                    scopes,
                } => (String::new(), scopes.to_csv()),
                _ => {
                    app.status = Some(("this failure is not fixed by adding scopes".into(), true));
                    return vec![];
                }
            };
            let conn_name = failed.connection.clone();
            let app_name = app
                .snapshot
                .connections
                .iter()
                .find(|c| c.name == conn_name)
                .map(|c| c.app_name.clone())
                .unwrap_or_default();
            app.after_login = app.mode.clone();
            app.mode = Mode::Login(LoginState::Starting);
            app.busy.insert(Job::Login);
            vec![Effect::Login {
                app: app_name,
                conn: Some(conn_name),
                bot,
                user,
            }]
        }
        _ => vec![],
    }
}
