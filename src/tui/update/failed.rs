//! Keys in the failed-calls list and its inspector: moving, replaying, switching the token
//! kind, re-authorizing, and the next step a failure's hint names.

use super::{move_in, start_login};
use crate::engine::{CallState, Scopes, TokenKind};
use crate::engine::{HintAction, blocking_step};
use crate::engine::{LoginRequest, TokenRef};
use crate::tui::app::{App, Effect, Job, Mode, Status};
use crate::tui::keymap::{self, Action, Scope};
use crossterm::event::KeyEvent;

pub(super) fn on_failed_key(app: &mut App, key: KeyEvent, inspecting: bool) -> Vec<Effect> {
    let scope = if inspecting {
        Scope::Inspector
    } else {
        Scope::Failed
    };
    let Some(action) = keymap::action(scope, &key) else {
        return vec![];
    };
    failed_action(app, action, inspecting)
}

/// The step a failed call's hint names, as the action or effect that performs it: the same
/// step as the `next` command shows.
fn next_step(app: &mut App, inspecting: bool) -> Vec<Effect> {
    if settled(app) {
        return vec![];
    }
    let Some(attempt) = app.current_attempt() else {
        return vec![];
    };
    // The step itself failed for want of a scope: granting it comes first.
    if blocking_step(attempt, &app.snapshot.failed).is_some() {
        return failed_action(app, Action::Reauth, inspecting);
    }
    let Some(action) = attempt.hint.as_ref().map(|h| h.action.clone()) else {
        return vec![];
    };
    let conn = attempt.connection.as_ref();
    let call = |method: &str, channel: String| {
        conn.map(|c| Effect::Call {
            connection_id: c.id.clone(),
            kind: None,
            method: method.into(),
            args: vec![format!("channel={channel}")],
        })
    };
    let effect = match action {
        HintAction::AddScopes { .. } | HintAction::Reauth => {
            return failed_action(app, Action::Reauth, inspecting);
        }
        HintAction::SwitchKind(_) => return failed_action(app, Action::SwitchKind, inspecting),
        HintAction::Replay { .. } => return failed_action(app, Action::Replay, inspecting),
        HintAction::Refresh => conn
            .and_then(|c| TokenRef::of(c, attempt.call.token_kind))
            .map(|token| {
                app.busy.insert(Job::Refresh(token.clone()));
                Effect::Refresh(token)
            }),
        HintAction::JoinChannel(_) | HintAction::Unarchive(_) => action
            .step_request()
            .and_then(|(method, channel)| call(method, channel.to_owned())),
        HintAction::CallAgain | HintAction::None => {
            app.status = Some(Status::error(
                "the hint names no step xox can take: the request itself must change",
            ));
            return vec![];
        }
    };
    let Some(effect) = effect else {
        app.status = Some(Status::error("the call's connection was removed"));
        return vec![];
    };
    if matches!(effect, Effect::Call { .. }) {
        app.busy.insert(Job::Call);
    }
    vec![effect]
}

fn failed_action(app: &mut App, action: Action, inspecting: bool) -> Vec<Effect> {
    match action {
        Action::NextStep => next_step(app, inspecting),
        action if action.is_movement() => {
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
        Action::Dismiss => {
            let Some(failed) = app.selected_failed() else {
                return vec![];
            };
            let id = failed.call.id;
            app.busy.insert(Job::Dismiss(id));
            // The call leaves the list: the inspector would show another one.
            app.mode = Mode::Failed;
            vec![Effect::Dismiss(id)]
        }
        Action::Replay | Action::SwitchKind if settled(app) => vec![],
        Action::Replay | Action::SwitchKind => {
            let (Some(failed), Some(attempt)) = (app.selected_failed(), app.current_attempt())
            else {
                return vec![];
            };
            if action == Action::Replay
                && let Some(hint) = attempt.hint.as_ref().filter(|h| !h.replay_can_succeed())
            {
                app.status = Some(Status::error(format!(
                    "replaying this call as it is cannot succeed: {}",
                    hint.text
                )));
                return vec![];
            }
            // Sent again without the scope, it would only fail again, and be recorded again.
            if action == Action::Replay
                && let Some(HintAction::AddScopes { kind, scopes }) =
                    attempt.hint.as_ref().map(|h| &h.action)
            {
                app.status = Some(Status::error(format!(
                    "the {kind} token still lacks {scopes}: a re-authorizes adding it, then p replays"
                )));
                return vec![];
            }
            let id = failed.call.id;
            let kind = (action == Action::SwitchKind).then(|| failed.call.token_kind.other());
            app.busy.insert(Job::Replay(id));
            vec![Effect::Replay { call: id, kind }]
        }
        Action::Reauth if settled(app) => vec![],
        Action::Reauth => {
            let Some(attempt) = app.current_attempt() else {
                return vec![];
            };
            // When the hint's own step (joining the channel) failed for a scope, that
            // scope's re-auth is the one to offer here.
            let failed = blocking_step(attempt, &app.snapshot.failed).unwrap_or(attempt);
            let action = failed.hint.as_ref().map(|h| &h.action);
            let (bot, user) = match action {
                Some(HintAction::AddScopes {
                    kind: TokenKind::Bot,
                    scopes,
                }) => (scopes.clone(), Scopes::default()),
                Some(HintAction::AddScopes {
                    kind: TokenKind::User,
                    scopes,
                }) => (Scopes::default(), scopes.clone()),
                Some(HintAction::Reauth) => Default::default(),
                _ => {
                    app.status = Some(Status::error(
                        "this failure is not fixed by re-authorizing the connection",
                    ));
                    return vec![];
                }
            };
            let Some(conn) = failed.connection.as_ref().map(|c| c.id.clone()) else {
                app.status = Some(Status::error("the call's connection was removed"));
                return vec![];
            };
            start_login(app, LoginRequest::Reauth { conn, bot, user })
        }
        _ => vec![],
    }
}

/// Whether the selected call is settled (replayed successfully, or dismissed): then no
/// step is left, and saying so beats another consent screen or another post.
fn settled(app: &mut App) -> bool {
    let Some(failed) = app.selected_failed() else {
        return false;
    };
    let text = match failed.call.state {
        CallState::ReplayedOk => "was replayed successfully already",
        CallState::Dismissed => "was dismissed",
        CallState::Open | CallState::ReplayFailed => return false,
    };
    app.status = Some(Status::info(format!(
        "call #{} {text}: nothing is left to do for it",
        failed.call.id
    )));
    true
}
