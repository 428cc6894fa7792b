//! How times, teams and tokens read, the same in every front end.

use crate::slack::grant::IncomingWebhook;
use crate::store::{Connection, TokenInfo};

/// `11h 42m`, `4m 09s`, `2d 03h`, `expired`, or `never` for a long-lived token.
pub fn countdown(expires_at: Option<i64>, now: i64) -> String {
    let Some(at) = expires_at else {
        return "never".to_owned();
    };
    let left = at - now;
    if left <= 0 {
        return "expired".to_owned();
    }
    let (d, h, m, s) = (
        left / 86_400,
        left % 86_400 / 3600,
        left % 3600 / 60,
        left % 60,
    );
    if d > 0 {
        format!("{d}d {h:02}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else {
        format!("{m}m {s:02}s")
    }
}

/// A refresh window as the header names it: `2h`, `1m`, `90s`.
pub fn window_label(window: std::time::Duration) -> String {
    let secs = window.as_secs();
    match secs {
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

pub fn rfc3339(unix: i64) -> String {
    crate::text::rfc3339(unix)
}

/// `Acme (T123)`, `T123`, or `-`; an org-wide install is `Grid (E1, org-wide)`.
pub fn team_label(c: &Connection) -> String {
    if c.enterprise_install {
        let id = c.enterprise_id.as_deref().unwrap_or("?");
        return match &c.enterprise_name {
            Some(name) => format!("{name} ({id}, org-wide)"),
            None => format!("{id} (org-wide)"),
        };
    }
    match (&c.team_name, &c.team_id) {
        (Some(name), Some(id)) => format!("{name} ({id})"),
        (None, Some(id)) => id.clone(),
        (Some(name), None) => name.clone(),
        (None, None) => "-".to_owned(),
    }
}

/// The workspace's name (or id), or the org's for an org-wide install: the dashboard's
/// short column.
pub fn team_short(c: &Connection) -> String {
    if c.enterprise_install {
        let org = c.enterprise_name.as_ref().or(c.enterprise_id.as_ref());
        return format!("{} (org-wide)", org.map_or("?", String::as_str));
    }
    c.team_name
        .clone()
        .or_else(|| c.team_id.clone())
        .unwrap_or_else(|| "-".into())
}

/// An org-wide install's reach: `org-wide, 3 workspaces`; `-` for a workspace install.
pub fn org_reach(c: &Connection) -> String {
    match (c.enterprise_install, c.covered_teams.len()) {
        (false, _) => "-".into(),
        (true, 1) => "org-wide, 1 workspace".into(),
        (true, n) => format!("org-wide, {n} workspaces"),
    }
}

/// `#general (https://hooks.slack.com/…X9f2)`: a webhook without its secret path.
pub fn webhook_label(hook: &IncomingWebhook) -> String {
    let url = hook.url.expose();
    let origin_end = url
        .find("://")
        .and_then(|scheme| url[scheme + 3..].find('/').map(|i| scheme + 3 + i + 1))
        .unwrap_or(0);
    let tail: String = {
        let chars: Vec<char> = url[origin_end..].chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    format!(
        "{} ({}…{tail})",
        hook.channel.as_deref().unwrap_or("-"),
        &url[..origin_end]
    )
}

/// `bot xoxe.xoxb (3 scopes, expires 11h 59m)`: one token in a sentence.
pub fn token_summary(t: &TokenInfo, now: i64) -> String {
    let n = t.scopes.len();
    let plural = if n == 1 { "" } else { "s" };
    format!(
        "{} {} ({n} scope{plural}, expires {})",
        t.kind,
        t.token_type,
        countdown(t.expires_at, now)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns() {
        assert_eq!(countdown(None, 0), "never");
        assert_eq!(countdown(Some(100), 100), "expired");
        assert_eq!(countdown(Some(249), 0), "4m 09s");
        assert_eq!(countdown(Some(42_120), 0), "11h 42m");
        assert_eq!(countdown(Some(3 * 86_400 + 7200), 0), "3d 02h");
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
