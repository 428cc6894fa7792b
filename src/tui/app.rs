//! The dashboard's state (`App`), the messages that change it and the effects it asks for.

pub use crate::engine::{ExplainedCall as FailedCall, Snapshot};

use crate::engine::TokenKind;
use crate::engine::{Connection, Event};
use crate::engine::{LoginRequest, TokenRef};
use crossterm::event::KeyEvent;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Expiry,
    Team,
    Status,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Name => SortKey::Expiry,
            SortKey::Expiry => SortKey::Team,
            SortKey::Team => SortKey::Status,
            SortKey::Status => SortKey::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Expiry => "expiry",
            SortKey::Team => "team",
            SortKey::Status => "status",
        }
    }
}

/// What a confirmation dialog would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// Exchange these long-lived tokens (one, or the bot and the user token together).
    Exchange(Vec<TokenRef>),
    Revoke(TokenRef),
    Copy(TokenRef),
    /// Remove the connection (by id, with its name for the dialog).
    Remove {
        id: String,
        name: String,
    },
    /// Install the app (by id) again, as a new connection beside the healthy one selected.
    Install {
        app_id: String,
        app_name: String,
        beside: String,
    },
}

/// A login the dashboard started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginState {
    Starting,
    Waiting { url: String },
}

/// Which screen has the keyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Dashboard,
    Detail,
    Failed,
    Inspector {
        scroll: u16,
    },
    /// The help overlay over the screen it was opened from.
    Help(Box<Mode>),
    /// The recent status messages, whole, over the screen they were opened from.
    Messages(Box<Mode>),
    Filter,
    Confirm(Confirm),
    Login(LoginState),
    Console,
}

/// How many status messages `m` can show.
pub const MESSAGE_LOG: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Tick,
    Loaded(Snapshot),
    /// Another process wrote to the store.
    StoreChanged,
    Events {
        connection_id: String,
        events: Vec<Event>,
    },
    /// A background job finished: `Ok(text)` or `Err(text)` for the status line.
    Done {
        job: Job,
        result: Result<String, String>,
    },
    LoginUrl(String),
}

/// A unit of background work, to show a spinner for and to match its result to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Job {
    Refresh(TokenRef),
    RefreshDue,
    Replay(i64),
    Dismiss(i64),
    Exchange(TokenRef),
    Revoke(TokenRef),
    Remove(String),
    Copy,
    Login,
    Call,
    AutoRefresh,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Reload,
    /// Load a connection's event trail (by id).
    LoadEvents(String),
    Refresh(TokenRef),
    RefreshDue,
    Replay {
        call: i64,
        kind: Option<TokenKind>,
    },
    /// Set a failed call aside (by id).
    Dismiss(i64),
    Exchange(TokenRef),
    Revoke(TokenRef),
    /// Remove the connection (by id) and its tokens.
    Remove {
        id: String,
        name: String,
    },
    Copy(TokenRef),
    /// Put the login's authorize link on the clipboard (OSC 52).
    CopyLink(String),
    /// Install, or re-auth a connection adding scopes.
    Login(LoginRequest),
    CancelLogin,
    Call {
        connection_id: String,
        kind: Option<TokenKind>,
        method: String,
        args: Vec<String>,
    },
    SetAutoRefresh(bool),
    Quit,
}

/// How the status line reads: news, or something that went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusLevel {
    Info,
    Error,
}

/// The message under the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub level: StatusLevel,
}

impl Status {
    pub fn info(text: impl Into<String>) -> Status {
        Status {
            text: text.into(),
            level: StatusLevel::Info,
        }
    }

    pub fn error(text: impl Into<String>) -> Status {
        Status {
            text: text.into(),
            level: StatusLevel::Error,
        }
    }
}

pub struct App {
    pub db_label: String,
    pub snapshot: Snapshot,
    /// Requests the proxies served, seen grow between loads: (when, how many). The store
    /// keeps totals only, so the hour fills from when the dashboard opened.
    pub proxy_calls: Vec<(i64, u64)>,
    /// The proxies' total at the last load.
    pub proxy_total: Option<i64>,
    /// Indices into `snapshot.connections`, filtered and sorted: the table's rows.
    pub rows: Vec<usize>,
    pub selected: usize,
    pub offset: usize,
    pub failed_selected: usize,
    pub mode: Mode,
    pub sort: SortKey,
    pub filter: tui_input::Input,
    pub console: tui_input::Input,
    pub console_kind: Option<TokenKind>,
    /// What Tab completes from while it is pressed again and again: the text typed, and
    /// the completion shown last.
    pub console_completing: Option<(String, usize)>,
    pub busy: HashSet<Job>,
    pub spinner: usize,
    pub auto_refresh: bool,
    pub status: Option<Status>,
    /// The recent status messages, newest last, so that none is lost to a narrow screen.
    pub messages: std::collections::VecDeque<Status>,
    /// The refresh window `R`, auto-refresh and the header's "expiring" count share.
    pub window: std::time::Duration,
    pub events: HashMap<String, Vec<Event>>,
    pub size: (u16, u16),
    pub no_color: bool,
    /// Where a login returns to when it ends (the inspector it was started from, say).
    pub after_login: Mode,
}

impl App {
    pub fn new(
        db_label: String,
        window: std::time::Duration,
        auto_refresh: bool,
        no_color: bool,
    ) -> App {
        App {
            db_label,
            snapshot: Snapshot::default(),
            rows: Vec::new(),
            selected: 0,
            offset: 0,
            failed_selected: 0,
            mode: Mode::Dashboard,
            messages: Default::default(),
            sort: SortKey::Name,
            filter: tui_input::Input::default(),
            proxy_calls: Vec::new(),
            proxy_total: None,
            console: tui_input::Input::default(),
            console_kind: None,
            console_completing: None,
            busy: HashSet::new(),
            spinner: 0,
            auto_refresh,
            status: None,
            window,
            events: HashMap::new(),
            size: (80, 24),
            no_color,
            after_login: Mode::Dashboard,
        }
    }

    pub fn selected_connection(&self) -> Option<&Connection> {
        self.rows
            .get(self.selected)
            .map(|&i| &self.snapshot.connections[i])
    }

    /// Keep `status` in the message log (the newest [`MESSAGE_LOG`]).
    pub fn log_status(&mut self, status: Status) {
        if self.messages.len() == MESSAGE_LOG {
            self.messages.pop_front();
        }
        self.messages.push_back(status);
    }

    pub fn selected_failed(&self) -> Option<&FailedCall> {
        self.snapshot.failed.get(self.failed_selected)
    }

    /// The latest failed replay of the selected call, if it was replayed and failed again:
    /// its error is the one to fix now. Replays stay linked to the first call.
    pub fn latest_attempt(&self) -> Option<&FailedCall> {
        let first = self.selected_failed()?.call.id;
        self.snapshot
            .failed
            .iter()
            .filter(|f| f.call.replay_of == Some(first))
            .max_by_key(|f| f.call.id)
    }

    /// The call whose hint applies now: the latest failed replay, else the selected call.
    pub fn current_attempt(&self) -> Option<&FailedCall> {
        self.latest_attempt().or(self.selected_failed())
    }

    /// Table rows that fit on screen (header, footer and borders taken off).
    pub fn page(&self) -> usize {
        usize::from(self.size.1.saturating_sub(9)).max(1)
    }
}
