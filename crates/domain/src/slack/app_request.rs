//! What Slack sends to an app's Request URL, read for what xox acts on: the URL check,
//! uninstalls, revoked tokens, rate limits on events, and an org's workspaces changing.
//! Everything else is only passed on to the app.

use serde_json::Value;

/// Where an event happened: the workspace, its org, and whether the app's install there is
/// org-wide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub team_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub org_wide: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackNotice {
    /// Slack checks the Request URL: the challenge is answered, nothing is passed on.
    UrlVerification {
        challenge: String,
    },
    Uninstalled(Place),
    /// Tokens of these users (`oauth`) and bot users (`bot`) were revoked.
    TokensRevoked {
        place: Place,
        users: Vec<String>,
        bots: Vec<String>,
    },
    /// Slack is holding back the app's events for a minute.
    RateLimited {
        team_id: Option<String>,
        minute: Option<i64>,
    },
    /// An org-wide install gained or lost a workspace.
    TeamAccessChanged(Place),
    /// Anything else: passed on as it came.
    Other,
}

/// Why a body is not one Slack would send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    NotJson,
    NotAnObject,
}

fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| crate::text::one_line(s).into_owned())
}

fn ids(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(|s| crate::text::one_line(s).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn place(envelope: &Value) -> Place {
    let first = envelope
        .get("authorizations")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    let org_wide = first
        .and_then(|a| a.get("is_enterprise_install"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Place {
        team_id: text(envelope, "team_id").or_else(|| first.and_then(|a| text(a, "team_id"))),
        enterprise_id: text(envelope, "enterprise_id")
            .or_else(|| first.and_then(|a| text(a, "enterprise_id"))),
        org_wide,
    }
}

/// Where an Events API body's event happened, when it says.
pub fn envelope_place(body: &[u8]) -> Option<Place> {
    let envelope: Value = serde_json::from_slice(body).ok()?;
    let place = place(&envelope);
    (place.team_id.is_some() || place.enterprise_id.is_some()).then_some(place)
}

/// Read an Events API body.
pub fn read_event(body: &[u8]) -> Result<SlackNotice, Unreadable> {
    let envelope: Value = serde_json::from_slice(body).map_err(|_| Unreadable::NotJson)?;
    if !envelope.is_object() {
        return Err(Unreadable::NotAnObject);
    }
    let notice = match envelope.get("type").and_then(Value::as_str) {
        Some("url_verification") => SlackNotice::UrlVerification {
            challenge: envelope
                .get("challenge")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        },
        Some("app_rate_limited") => SlackNotice::RateLimited {
            team_id: text(&envelope, "team_id"),
            minute: envelope.get("minute_rate_limited").and_then(Value::as_i64),
        },
        Some("event_callback") => {
            let event = envelope.get("event").unwrap_or(&Value::Null);
            match event.get("type").and_then(Value::as_str) {
                Some("app_uninstalled") => SlackNotice::Uninstalled(place(&envelope)),
                Some("tokens_revoked") => {
                    let tokens = event.get("tokens");
                    SlackNotice::TokensRevoked {
                        place: place(&envelope),
                        users: ids(tokens.and_then(|t| t.get("oauth"))),
                        bots: ids(tokens.and_then(|t| t.get("bot"))),
                    }
                }
                Some("team_access_granted" | "team_access_revoked") => {
                    SlackNotice::TeamAccessChanged(place(&envelope))
                }
                _ => SlackNotice::Other,
            }
        }
        _ => SlackNotice::Other,
    };
    Ok(notice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> SlackNotice {
        read_event(v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn token_events_are_read() {
        assert_eq!(
            read(json!({"type": "url_verification", "challenge": "abc"})),
            SlackNotice::UrlVerification {
                challenge: "abc".into()
            }
        );
        let org = json!({"type": "event_callback", "team_id": null, "enterprise_id": "E1",
            "event": {"type": "app_uninstalled"},
            "authorizations": [{"enterprise_id": "E1", "team_id": null, "is_enterprise_install": true}]});
        assert_eq!(
            read(org),
            SlackNotice::Uninstalled(Place {
                team_id: None,
                enterprise_id: Some("E1".into()),
                org_wide: true
            })
        );
        let revoked = json!({"type": "event_callback", "team_id": "T1",
            "event": {"type": "tokens_revoked", "tokens": {"oauth": ["U1"], "bot": ["UB"]}}});
        let SlackNotice::TokensRevoked { place, users, bots } = read(revoked) else {
            panic!("not read as tokens_revoked");
        };
        assert_eq!(
            (place.team_id.as_deref(), users, bots),
            (Some("T1"), vec!["U1".to_owned()], vec!["UB".to_owned()])
        );
        assert_eq!(
            read(json!({"type": "app_rate_limited", "team_id": "T1", "minute_rate_limited": 60})),
            SlackNotice::RateLimited {
                team_id: Some("T1".into()),
                minute: Some(60)
            }
        );
        assert_eq!(
            read(json!({"type": "event_callback", "event": {"type": "app_mention"}})),
            SlackNotice::Other
        );
    }

    #[test]
    fn other_bodies_are_refused() {
        assert_eq!(read_event(b"{not json"), Err(Unreadable::NotJson));
        assert_eq!(read_event(b"[1]"), Err(Unreadable::NotAnObject));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = read_event(&body);
        }
    }
}
