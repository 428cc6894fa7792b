//! The dashboard's state (`App`), the messages that change it and the effects it asks for.

use crate::calls::hints::HintAction;
use crate::slack::TokenKind;
use crate::store::{Connection, Event, RecordedCall};
use crossterm::event::KeyEvent;
use std::collections::{HashMap, HashSet};

/// A recorded failed call with its explanation, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedCall {
    pub call: RecordedCall,
    pub connection: String,
    pub hint: String,
    pub action: HintAction,
    pub command: Option<String>,
    /// The recorded answer, pretty-printed, for the inspector.
    pub body: String,
}

/// Everything loaded from the store in one go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub connections: Vec<Connection>,
    pub failed: Vec<FailedCall>,
    /// Registered app names, for `a` when no connection is selected.
    pub apps: Vec<String>,
}

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
    Exchange { conn: String, kind: TokenKind },
    Revoke { conn: String, kind: TokenKind },
    Copy { conn: String, kind: TokenKind },
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
    Filter,
    Confirm(Confirm),
    Login(LoginState),
    Console,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Tick,
    Loaded(Snapshot),
    Events {
        conn: String,
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
    Refresh { conn: String, kind: TokenKind },
    RefreshDue,
    Replay(i64),
    Exchange { conn: String, kind: TokenKind },
    Revoke { conn: String, kind: TokenKind },
    Copy,
    Login,
    Call,
    AutoRefresh,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Reload,
    LoadEvents(String),
    Refresh {
        conn: String,
        kind: TokenKind,
    },
    RefreshDue,
    Replay {
        call: i64,
        kind: Option<TokenKind>,
    },
    Exchange {
        conn: String,
        kind: TokenKind,
    },
    Revoke {
        conn: String,
        kind: TokenKind,
    },
    Copy {
        conn: String,
        kind: TokenKind,
    },
    /// Install: a new connection of this app, or re-auth `conn` adding scopes.
    Login {
        app: String,
        conn: Option<String>,
        bot: String,
        user: String,
    },
    CancelLogin,
    Call {
        conn: String,
        kind: Option<TokenKind>,
        method: String,
        args: Vec<String>,
    },
    SetAutoRefresh(bool),
    Quit,
}

pub struct App {
    pub db_label: String,
    pub snapshot: Snapshot,
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
    pub busy: HashSet<Job>,
    pub spinner: usize,
    pub auto_refresh: bool,
    pub status: Option<(String, bool)>,
    pub events: HashMap<String, Vec<Event>>,
    pub size: (u16, u16),
    pub no_color: bool,
    /// Where a login returns to when it ends (the inspector it was started from, say).
    pub after_login: Mode,
}

impl App {
    pub fn new(db_label: String, auto_refresh: bool, no_color: bool) -> App {
        App {
            db_label,
            snapshot: Snapshot::default(),
            rows: Vec::new(),
            selected: 0,
            offset: 0,
            failed_selected: 0,
            mode: Mode::Dashboard,
            sort: SortKey::Name,
            filter: tui_input::Input::default(),
            console: tui_input::Input::default(),
            console_kind: None,
            busy: HashSet::new(),
            spinner: 0,
            auto_refresh,
            status: None,
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

    pub fn selected_failed(&self) -> Option<&FailedCall> {
        self.snapshot.failed.get(self.failed_selected)
    }

    /// Table rows that fit on screen (header, footer and borders taken off).
    pub fn page(&self) -> usize {
        usize::from(self.size.1.saturating_sub(9)).max(1)
    }
}
