//! The one binding table: key handling, the footer hints and the `?` help overlay all come
//! from it, so they cannot drift apart.

use super::app::Mode;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    Refresh,
    RefreshAll,
    Exchange,
    AddConnection,
    Failed,
    Console,
    Copy,
    Revoke,
    Remove,
    ToggleAuto,
    Filter,
    Sort,
    Help,
    Replay,
    Reauth,
    /// The recent status messages, whole.
    Messages,
    /// Do what the failed call's hint proposes.
    NextStep,
    /// Set the failed call aside without replaying it.
    Dismiss,
    SwitchKind,
    Yes,
    No,
    /// Keep what was typed: the filter stays, the console calls.
    Accept,
    /// Leave the text field: the filter is cleared, the console closed, the login cancelled.
    Cancel,
    /// Complete the method name from the catalogue.
    Complete,
    /// Cycle the console's token: auto, bot, user.
    CycleKind,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every list screen (dashboard, failed calls).
    Lists,
    Dashboard,
    Detail,
    Failed,
    Inspector,
    Confirm,
    /// Typing a filter: other keys are text.
    Filter,
    /// Typing a call in the console: other keys are text.
    Console,
    /// Waiting for the browser.
    Login,
}

pub struct Binding {
    pub action: Action,
    pub keys: &'static [KeyCode],
    /// How the keys are written in the footer and help.
    pub keys_label: &'static str,
    pub help: &'static str,
    pub scopes: &'static [Scope],
    /// The footer's word for it; bindings without one appear only in the help overlay.
    pub footer: Option<&'static str>,
}

use KeyCode::{BackTab, Char, Down, End, Enter, Esc, Home, PageDown, PageUp, Tab, Up};
use Scope::{Confirm, Console, Dashboard, Detail, Failed, Inspector, Lists, Login};

impl Action {
    /// Moving the selection in a list.
    pub fn is_movement(self) -> bool {
        matches!(
            self,
            Action::Up
                | Action::Down
                | Action::Top
                | Action::Bottom
                | Action::PageUp
                | Action::PageDown
        )
    }
}

/// The scope whose bindings apply in `mode` (and which the footer and help show).
pub fn scope(mode: &Mode) -> Scope {
    match mode {
        Mode::Help(under) | Mode::Messages(under) => scope(under),
        Mode::Detail => Scope::Detail,
        Mode::Failed => Scope::Failed,
        Mode::Inspector { .. } => Scope::Inspector,
        Mode::Confirm(_) => Scope::Confirm,
        Mode::Filter => Scope::Filter,
        Mode::Console => Scope::Console,
        Mode::Login(_) => Scope::Login,
        Mode::Dashboard => Scope::Dashboard,
    }
}

const fn b(
    action: Action,
    keys: &'static [KeyCode],
    keys_label: &'static str,
    help: &'static str,
    scopes: &'static [Scope],
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        action,
        keys,
        keys_label,
        help,
        scopes,
        footer,
    }
}

pub const BINDINGS: &[Binding] = &[
    b(
        Action::Up,
        &[Char('k'), Up],
        "k/↑",
        "move up",
        &[Lists, Inspector],
        None,
    ),
    b(
        Action::Down,
        &[Char('j'), Down],
        "j/↓",
        "move down",
        &[Lists, Inspector],
        None,
    ),
    b(
        Action::Top,
        &[Char('g'), Home],
        "g",
        "first row",
        &[Lists],
        None,
    ),
    b(
        Action::Bottom,
        &[Char('G'), End],
        "G",
        "last row",
        &[Lists],
        None,
    ),
    b(Action::PageUp, &[PageUp], "PgUp", "page up", &[Lists], None),
    b(
        Action::PageDown,
        &[PageDown],
        "PgDn",
        "page down",
        &[Lists],
        None,
    ),
    b(
        Action::Open,
        &[Enter],
        "enter",
        "details / inspect",
        &[Dashboard, Failed],
        Some("open"),
    ),
    b(
        Action::Refresh,
        &[Char('r')],
        "r",
        "refresh the selected connection",
        &[Dashboard, Detail],
        Some("refresh"),
    ),
    b(
        Action::RefreshAll,
        &[Char('R')],
        "R",
        "refresh everything inside the window",
        &[Dashboard],
        Some("refresh due"),
    ),
    b(
        Action::Exchange,
        &[Char('e')],
        "e",
        "exchange for rotating tokens",
        &[Dashboard, Detail],
        None,
    ),
    b(
        Action::AddConnection,
        &[Char('a')],
        "a",
        "re-auth if needed, else add a connection",
        &[Dashboard],
        None,
    ),
    b(
        Action::Failed,
        &[Char('f')],
        "f",
        "failed calls",
        &[Dashboard],
        Some("failed"),
    ),
    b(
        Action::Console,
        &[Char('c')],
        "c",
        "call console",
        &[Dashboard, Detail],
        None,
    ),
    b(
        Action::Copy,
        &[Char('y')],
        "y",
        "copy the access token (OSC 52)",
        &[Dashboard, Detail],
        None,
    ),
    b(
        Action::Revoke,
        &[Char('x')],
        "x",
        "revoke the token",
        &[Dashboard, Detail],
        None,
    ),
    b(
        Action::Remove,
        &[Char('d')],
        "d",
        "remove the connection (asks first)",
        &[Dashboard, Detail],
        None,
    ),
    b(
        Action::ToggleAuto,
        &[Char('A')],
        "A",
        "auto-refresh on/off",
        &[Dashboard],
        None,
    ),
    b(
        Action::Messages,
        &[Char('m')],
        "m",
        "recent messages, in full",
        &[Dashboard, Detail, Failed, Inspector],
        None,
    ),
    b(
        Action::Filter,
        &[Char('/')],
        "/",
        "filter by name, team or scope",
        &[Dashboard],
        Some("filter"),
    ),
    b(
        Action::Sort,
        &[Char('s')],
        "s",
        "sort by name, expiry, team, status",
        &[Dashboard],
        None,
    ),
    b(
        Action::Replay,
        &[Char('p')],
        "p",
        "replay the call",
        &[Failed, Inspector],
        Some("replay"),
    ),
    b(
        Action::Reauth,
        &[Char('a')],
        "a",
        "re-auth, adding any missing scopes",
        &[Failed, Inspector],
        Some("re-auth"),
    ),
    b(
        Action::NextStep,
        &[Char('n')],
        "n",
        "take the hint's next step (its `next` command)",
        &[Failed, Inspector],
        Some("next step"),
    ),
    b(
        Action::Dismiss,
        &[Char('d')],
        "d",
        "dismiss the call without replaying it",
        &[Failed, Inspector],
        Some("dismiss"),
    ),
    b(
        Action::SwitchKind,
        &[Char('t')],
        "t",
        "replay with the other token",
        &[Failed, Inspector],
        Some("other token"),
    ),
    b(
        Action::Yes,
        &[Char('y'), Enter],
        "y",
        "confirm",
        &[Confirm],
        Some("confirm"),
    ),
    b(
        Action::No,
        &[Char('n'), Esc],
        "n/esc",
        "cancel",
        &[Confirm],
        Some("cancel"),
    ),
    b(
        Action::Accept,
        &[Enter],
        "enter",
        "keep the filter",
        &[Scope::Filter],
        Some("keep"),
    ),
    b(
        Action::Cancel,
        &[Esc],
        "esc",
        "clear the filter",
        &[Scope::Filter],
        Some("clear"),
    ),
    b(
        Action::Complete,
        &[Tab],
        "tab",
        "complete the method",
        &[Console],
        Some("complete"),
    ),
    b(
        Action::CycleKind,
        &[BackTab],
        "shift-tab",
        "token: auto, bot, user",
        &[Console],
        Some("token"),
    ),
    b(
        Action::Accept,
        &[Enter],
        "enter",
        "call (method key=value …)",
        &[Console],
        Some("call"),
    ),
    b(
        Action::Cancel,
        &[Esc],
        "esc",
        "close the console",
        &[Console],
        Some("close"),
    ),
    b(
        Action::Copy,
        &[Char('y')],
        "y",
        "copy the link (OSC 52)",
        &[Login],
        Some("copy the link"),
    ),
    b(
        Action::Cancel,
        &[Esc, Char('q')],
        "esc",
        "cancel the login",
        &[Login],
        Some("cancel"),
    ),
    b(
        Action::Help,
        &[Char('?')],
        "?",
        "help",
        &[Lists, Detail, Inspector],
        Some("help"),
    ),
    b(
        Action::Back,
        &[Char('q'), Esc],
        "q/esc",
        "back; on top esc clears filter, q quits",
        &[Lists, Detail, Inspector],
        Some("back/quit"),
    ),
];

/// The action `key` means in `scope`; `Lists` bindings apply to both list screens.
pub fn action(scope: Scope, key: &KeyEvent) -> Option<Action> {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    let applies = |s: &Scope| *s == scope || (*s == Lists && matches!(scope, Dashboard | Failed));
    BINDINGS
        .iter()
        .find(|b| b.scopes.iter().any(applies) && b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// The bindings of `scope`, for the footer (`footer_only`) or the help overlay.
pub fn bindings(scope: Scope, footer_only: bool) -> impl Iterator<Item = &'static Binding> {
    let applies =
        move |s: &Scope| *s == scope || (*s == Lists && matches!(scope, Dashboard | Failed));
    BINDINGS
        .iter()
        .filter(move |b| b.scopes.iter().any(applies) && (!footer_only || b.footer.is_some()))
}

/// Ctrl-C quits from anywhere, whatever the screen.
pub fn is_quit(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == Char('c')
}

#[cfg(test)]
mod tests;
