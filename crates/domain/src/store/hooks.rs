//! Hooks on token events: what is kept of a hook, the notice an event leaves for every hook
//! that listens to it, and the rules of its delivery (who tries it, when again, when no more).

use super::model::{EventAction, NewEvent, TokenStatus};
use crate::slack::TokenKind;
use serde::Serialize;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

pub use super::vocabulary::{DeliveryState, HookEvent, HookVia};

/// A delivery is tried for this long after its event, then given up.
pub const DELIVERY_WINDOW_SECS: i64 = 3600;
/// How long a claimed delivery is its claimer's alone: well past the longest try (a
/// command is cut off at 10 s, a POST at 10 s), so a host that died while trying only
/// delays it.
pub const CLAIM_MS: i64 = 60_000;
/// How long the process that recorded an event has its deliveries to itself, before a
/// `watch` or `proxy` takes them up (the recorder was a command that exited, or crashed).
pub const RECORDER_FIRST_MS: i64 = 15_000;
/// How far ahead a token that cannot be refreshed is `expiring`.
pub const EXPIRING_SECS: i64 = 3600;
/// Finished deliveries are kept this long, for `xox hook list`.
pub const KEEP_FINISHED_SECS: i64 = 7 * 24 * 3600;

/// A hook as `xox hook add` gives it.
#[derive(Debug, Clone)]
pub struct NewHook<'a> {
    pub events: &'a [HookEvent],
    pub via: HookVia,
    /// The command, or the URL. Sealed: either may carry a credential.
    pub target: &'a str,
    pub label: Option<&'a str>,
}

/// A stored hook, its target opened, with how its deliveries went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hook {
    pub id: String,
    pub label: Option<String>,
    pub events: Vec<HookEvent>,
    pub via: HookVia,
    pub target: String,
    pub created_at: i64,
    pub last: Option<LastDelivery>,
    /// Deliveries not finished yet (being tried, or waiting for their next try).
    pub pending: i64,
}

/// The last delivery a hook was tried with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastDelivery {
    pub event: HookEvent,
    pub connection: Option<String>,
    pub state: DeliveryState,
    pub attempts: i64,
    /// When it was last tried (Unix seconds), and what came of it.
    pub tried_at: i64,
    pub result: String,
}

/// The hook with `id` among `hooks`: the one just added.
pub(super) fn added(hooks: Vec<Hook>, id: &str) -> super::StoreResult<Hook> {
    hooks
        .into_iter()
        .find(|h| h.id == id)
        .ok_or_else(|| super::StoreError::NotFound(format!("hook {id} vanished as it was added")))
}

/// The events a hook listens to, as stored: their names, comma-separated.
pub fn events_text(events: &[HookEvent]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Stored event names back into events; a name this xox does not know is an error.
pub fn parse_events(text: &str) -> Result<Vec<HookEvent>, String> {
    text.split(',')
        .filter(|e| !e.is_empty())
        .map(str::parse)
        .collect()
}

/// What happened that every hook listening to `event` must hear of, about one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookNotice {
    pub event: HookEvent,
    pub connection_id: String,
    pub token_kind: Option<TokenKind>,
    pub reason: Option<String>,
    /// What makes two notices the same happening: a hook hears of it once, however many
    /// processes (or hosts) notice it.
    pub once: String,
}

impl HookNotice {
    /// The notice of a token's status changing from `old` to `new`, if the change is one
    /// hooks hear of. Keyed by the token's generation: a token dies once.
    pub fn status_change(
        connection_id: &str,
        kind: TokenKind,
        generation: i64,
        old: TokenStatus,
        new: TokenStatus,
        reason: Option<&str>,
    ) -> Option<HookNotice> {
        let event = match new {
            _ if old == new => return None,
            TokenStatus::NeedsReauth => HookEvent::NeedsReauth,
            TokenStatus::Revoked => HookEvent::Revoked,
            TokenStatus::Uninstalled => HookEvent::Uninstalled,
            TokenStatus::Ok | TokenStatus::Error => return None,
        };
        Some(HookNotice {
            event,
            connection_id: connection_id.to_owned(),
            token_kind: Some(kind),
            reason: reason.map(str::to_owned),
            once: format!("{event}:{connection_id}:{kind}:{generation}"),
        })
    }

    /// The notice an event in the trail gives, if hooks hear of it: a failed refresh, or
    /// Slack holding back the app's events. Events copied from another store happened
    /// there, and are not news. Each event is its own happening.
    pub fn from_event(event: &NewEvent<'_>) -> Option<HookNotice> {
        if event.happened.is_some() {
            return None;
        }
        let hook_event = match event.action {
            EventAction::Refresh if event.outcome.is_failure() => HookEvent::RefreshFailed,
            EventAction::RateLimited => HookEvent::RateLimited,
            _ => return None,
        };
        let reason = match (&event.detail, event.action) {
            (Some(detail), _) => detail.clone(),
            (None, EventAction::RateLimited) => "Slack is holding back the app's events".into(),
            (None, _) => event.outcome.to_string(),
        };
        Some(HookNotice {
            event: hook_event,
            connection_id: event.connection_id.to_owned(),
            token_kind: event.token_kind,
            reason: Some(reason),
            once: format!("{hook_event}:{}", super::new_id('e')),
        })
    }

    /// The notice of an install storing a connection's tokens (one per install, whatever
    /// tokens it brought), if `action` is an install.
    pub fn installed(connection_id: &str, action: EventAction) -> Option<HookNotice> {
        let reason = match action {
            EventAction::Install => "installed from the app's Add to Slack page",
            EventAction::Login => "installed with xox login",
            _ => return None,
        };
        Some(HookNotice {
            event: HookEvent::Installed,
            connection_id: connection_id.to_owned(),
            token_kind: None,
            reason: Some(reason.to_owned()),
            once: format!("installed:{}", super::new_id('e')),
        })
    }

    /// The notice of Slack answering 429 to `method` for an install: once a minute per
    /// (install, method), however many proxies met it.
    pub fn rate_limited(connection_id: &str, method: &str, wait_secs: i64, now: i64) -> Self {
        HookNotice {
            event: HookEvent::RateLimited,
            connection_id: connection_id.to_owned(),
            token_kind: None,
            reason: Some(format!(
                "Slack answered 429 to {method}: retry after {wait_secs}s"
            )),
            once: format!("rate_limited:{connection_id}:{method}:{}", now / 60),
        }
    }
}

/// The key that makes an `expiring` notice one per token and expiry, in SQL: the same text
/// on every backend.
pub const EXPIRING_ONCE_SQL: &str =
    "'expiring:' || t.connection_id || ':' || t.kind || ':' || CAST(t.expires_at AS TEXT)";

/// One delivery of an event to a hook, as claimed for a try: what the event's payload is
/// made of, kept as it was when the event happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookDelivery {
    pub id: i64,
    pub hook_id: String,
    pub event: HookEvent,
    pub connection: Option<String>,
    pub app: Option<String>,
    pub team_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub token_kind: Option<TokenKind>,
    pub reason: Option<String>,
    /// When the event happened (Unix seconds).
    pub at: i64,
    /// Tries before this one.
    pub attempts: i64,
}

/// What a try came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryResult {
    pub delivered: bool,
    /// In a person's words, one line, no secret: `HTTP 200`, `exit 3`, `cut off after 10s`.
    pub detail: String,
}

/// When a delivery that has failed `attempts` times is tried next (Unix ms), or `None`
/// when its hour is up: waits double from a second, up to five minutes.
pub fn next_try_ms(event_at: i64, attempts: i64, now_ms: i64) -> Option<i64> {
    let wait = 1000i64 << attempts.clamp(1, 10).saturating_sub(1);
    let next = now_ms + wait.min(300_000);
    (next < (event_at + DELIVERY_WINDOW_SECS) * 1000).then_some(next)
}

/// Where a delivery stands after a try, and when it is due again (Unix ms): a failure is
/// tried again, with longer waits, until its hour is up, unless the try was its `last`.
pub fn after_try(
    delivery: &HookDelivery,
    result: &TryResult,
    last: bool,
    now_ms: i64,
) -> (DeliveryState, i64) {
    let next = (!result.delivered && !last)
        .then(|| next_try_ms(delivery.at, delivery.attempts + 1, now_ms))
        .flatten();
    let state = match (result.delivered, next) {
        (true, _) => DeliveryState::Delivered,
        (false, Some(_)) => DeliveryState::Pending,
        (false, None) => DeliveryState::GaveUp,
    };
    (state, next.unwrap_or(now_ms))
}

/// Which deliveries a claim may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimScope {
    /// Those this process recorded and has not tried yet: what a command delivers as it ends.
    RecordedHere,
    /// Every one that is due: what a `watch` or `proxy` does, for the whole fleet.
    Due,
    /// This one, recorded by this process (`xox hook test`).
    One(i64),
}

impl ClaimScope {
    /// The condition and the id it binds, for [`sql::CLAIM`].
    pub(super) fn condition(self) -> (&'static str, i64) {
        match self {
            ClaimScope::RecordedHere => (
                "recorded_by = ?1 AND attempts = 0 AND ?4 = CAST(0 AS BIGINT)",
                0,
            ),
            ClaimScope::Due => (
                "(next_at_ms <= ?2 OR (recorded_by = ?1 AND attempts = 0)) AND ?4 = CAST(0 AS BIGINT)",
                0,
            ),
            ClaimScope::One(id) => ("id = ?4 AND recorded_by = ?1", id),
        }
    }
}

/// The statements of hooks, the same on every backend: written with SQLite's `?N`, which a
/// server's backend turns into `$N` (no statement here holds a `?` of its own).
pub(super) mod sql {
    pub const INSERT_HOOK: &str = "INSERT INTO hooks (id, label, via, target, secret, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    pub const INSERT_EVENT: &str = "INSERT INTO hook_events (hook_id, event) VALUES (?1, ?2)";
    pub const HOOKS: &str =
        "SELECT id, label, via, target, created_at FROM hooks ORDER BY created_at, id";
    pub const EVENTS: &str = "SELECT event FROM hook_events WHERE hook_id = ?1 ORDER BY event";
    pub const LAST: &str = "SELECT event, connection_name, state, attempts, tried_at, result
        FROM hook_deliveries WHERE hook_id = ?1 AND tried_at IS NOT NULL
        ORDER BY tried_at DESC, id DESC LIMIT 1";
    pub const PENDING: &str =
        "SELECT COUNT(*) FROM hook_deliveries WHERE hook_id = ?1 AND state = 'pending'";
    pub const SECRET: &str = "SELECT secret FROM hooks WHERE id = ?1";
    pub const REMOVE_DELIVERIES: &str = "DELETE FROM hook_deliveries WHERE hook_id = ?1";
    pub const REMOVE_EVENTS: &str = "DELETE FROM hook_events WHERE hook_id = ?1";
    pub const REMOVE: &str = "DELETE FROM hooks WHERE id = ?1";
    const COLUMNS: &str = "hook_id, once, event, connection_name, app_name, team_id, enterprise_id, token_kind, reason, at, next_at_ms, recorded_by";
    /// A notice, for each hook that listens to its event, about connection ?3.
    pub fn record() -> String {
        format!(
            "INSERT INTO hook_deliveries ({COLUMNS})
             SELECT e.hook_id, CAST(?1 AS TEXT), e.event, c.name, a.name, c.team_id, c.enterprise_id,
                    CAST(?4 AS TEXT), CAST(?5 AS TEXT), CAST(?6 AS BIGINT), CAST(?7 AS BIGINT), CAST(?8 AS TEXT)
             FROM hook_events e, connections c JOIN apps a ON a.id = c.app_id
             WHERE e.event = ?2 AND c.id = ?3
             ON CONFLICT (hook_id, once) DO NOTHING"
        )
    }
    /// A test of hook ?1, about no connection.
    pub fn record_test() -> String {
        format!(
            "INSERT INTO hook_deliveries ({COLUMNS})
             VALUES (?1, ?2, 'test', NULL, NULL, NULL, NULL, NULL, 'a test from xox hook test', ?3, ?4, ?5)"
        )
    }
    /// `expiring` for every token that ends within the hour and cannot be refreshed: it has
    /// no refresh token, or its refresh has failed. Tokens already dead are news already.
    pub fn record_expiring() -> String {
        format!(
            "INSERT INTO hook_deliveries ({COLUMNS})
             SELECT e.hook_id, {once}, 'expiring', c.name, a.name, c.team_id, c.enterprise_id, t.kind,
                    CASE WHEN t.refresh_token IS NULL THEN 'it has no refresh token'
                         ELSE 'its refresh fails: ' || COALESCE(t.status_reason, t.status) END,
                    CAST(?1 AS BIGINT), CAST(?3 AS BIGINT), CAST(?4 AS TEXT)
             FROM tokens t JOIN connections c ON c.id = t.connection_id JOIN apps a ON a.id = c.app_id,
                  hook_events e
             WHERE e.event = 'expiring' AND t.expires_at > ?1 AND t.expires_at <= ?1 + ?2
               AND t.status IN ('ok', 'error', 'needs_reauth')
               AND (t.refresh_token IS NULL OR t.status <> 'ok')
             ON CONFLICT (hook_id, once) DO NOTHING",
            once = super::EXPIRING_ONCE_SQL
        )
    }
    pub const FORGET_FINISHED: &str =
        "DELETE FROM hook_deliveries WHERE state <> 'pending' AND tried_at < ?1";
    /// Claim up to ?3 deliveries for ?1 at ?2 (Unix ms). The claim's conditions are checked
    /// again on the row itself: a server that makes a second claimer wait for the first
    /// re-reads the row it waited for, so a row is never claimed twice.
    pub fn claim(condition: &str) -> String {
        format!(
            "UPDATE hook_deliveries SET claimed_by = ?1, claimed_until_ms = ?2 + {claim}
             WHERE {FREE} AND id IN (
                 SELECT id FROM hook_deliveries WHERE {FREE} AND {condition} ORDER BY id LIMIT ?3)
             RETURNING id, hook_id, event, connection_name, app_name, team_id, enterprise_id,
                       token_kind, reason, at, attempts",
            claim = super::CLAIM_MS
        )
    }
    const FREE: &str = "state = 'pending' AND (claimed_until_ms IS NULL OR claimed_until_ms < ?2)";
    /// Whether [`claim`] would take anything: a read, so that looking every second costs
    /// the store no write while there is nothing to tell.
    pub fn claimable(condition: &str) -> String {
        format!(
            "SELECT EXISTS (SELECT 1 FROM hook_deliveries WHERE {FREE} AND {condition} LIMIT ?3)"
        )
    }
    pub const FINISH: &str = "UPDATE hook_deliveries
        SET state = ?3, attempts = attempts + 1, next_at_ms = ?4, tried_at = ?5, result = ?6,
            claimed_by = NULL, claimed_until_ms = NULL
        WHERE id = ?1 AND claimed_by = ?2";
    pub const COUNTS: &str = "SELECT state, COUNT(*) FROM hook_deliveries GROUP BY state";
}

/// Who claims deliveries for this process: one id for its whole life.
pub fn this_process() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(super::lease_owner::this_process)
}

/// Set once this process has recorded a delivery. A process-wide fact, so process-wide:
/// a command that recorded none ends without asking the store for any.
static RECORDED: AtomicBool = AtomicBool::new(false);

pub(super) fn note_recorded(count: usize) {
    if count > 0 {
        RECORDED.store(true, Ordering::Relaxed);
    }
}

/// Whether this process has recorded deliveries since the last call.
pub fn take_recorded() -> bool {
    RECORDED.swap(false, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::Outcome;

    #[test]
    fn only_a_change_into_a_dead_status_is_news() {
        let change = |old, new| {
            HookNotice::status_change("c1", TokenKind::Bot, 4, old, new, Some("why"))
                .map(|n| (n.event, n.once))
        };
        assert_eq!(
            change(TokenStatus::Ok, TokenStatus::NeedsReauth),
            Some((HookEvent::NeedsReauth, "needs_reauth:c1:bot:4".into()))
        );
        assert_eq!(
            change(TokenStatus::NeedsReauth, TokenStatus::NeedsReauth),
            None
        );
        assert_eq!(change(TokenStatus::Ok, TokenStatus::Error), None);
        assert_eq!(change(TokenStatus::Revoked, TokenStatus::Ok), None);
        assert_eq!(
            change(TokenStatus::Revoked, TokenStatus::Uninstalled).map(|c| c.0),
            Some(HookEvent::Uninstalled)
        );
    }

    fn event(action: EventAction, outcome: Outcome) -> NewEvent<'static> {
        NewEvent {
            connection_id: "c1",
            action,
            token_kind: Some(TokenKind::User),
            outcome,
            old_expires_at: None,
            new_expires_at: None,
            detail: None,
            happened: None,
        }
    }

    #[test]
    fn failed_refreshes_are_news_and_retries_are_not() {
        let failed = HookNotice::from_event(&event(EventAction::Refresh, Outcome::Error));
        assert_eq!(failed.map(|n| n.event), Some(HookEvent::RefreshFailed));
        assert_eq!(
            HookNotice::from_event(&event(EventAction::Refresh, Outcome::Retry)),
            None
        );
        assert_eq!(
            HookNotice::from_event(&event(EventAction::Refresh, Outcome::Ok)),
            None
        );
        let mut copied = event(EventAction::Refresh, Outcome::Error);
        copied.happened = Some(crate::store::model::Happened { at: 1, pid: 2 });
        assert_eq!(HookNotice::from_event(&copied), None);
    }

    #[test]
    fn tries_wait_longer_each_time_and_stop_after_the_hour() {
        let at = 1_000_000;
        let now = at * 1000;
        assert_eq!(next_try_ms(at, 1, now), Some(now + 1000));
        assert_eq!(next_try_ms(at, 2, now), Some(now + 2000));
        assert_eq!(next_try_ms(at, 30, now), Some(now + 300_000));
        let late = (at + DELIVERY_WINDOW_SECS) * 1000 - 500;
        assert_eq!(next_try_ms(at, 1, late), None);
    }

    #[test]
    fn events_read_back_as_written_and_unknown_ones_are_refused() {
        let events = [HookEvent::Revoked, HookEvent::Expiring];
        assert_eq!(parse_events(&events_text(&events)), Ok(events.to_vec()));
        assert!(parse_events("revoked,exploded").is_err());
    }
}
