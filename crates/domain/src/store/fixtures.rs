//! Test fixtures: connections and tokens built in memory, for unit tests of code that only
//! reads them (views, hints, token choice).

use crate::slack::{Scopes, TokenKind, TokenType};
use crate::store::{App, Connection, TokenInfo, TokenStatus};

/// A token of `kind`; rotating (with a refresh token) when it has an expiry.
pub fn token(
    kind: TokenKind,
    token_type: TokenType,
    scopes: &str,
    expires_at: Option<i64>,
) -> TokenInfo {
    TokenInfo {
        kind,
        token_type,
        scopes: Scopes::parse(scopes),
        expires_at,
        rotating: expires_at.is_some(),
        has_refresh_token: expires_at.is_some(),
        generation: 1,
        status: TokenStatus::Ok,
        status_reason: None,
        redacted: format!("{token_type}-…9f2c"),
        updated_at: 0,
    }
}

/// A connection named `name`, in team `(id, name)`, holding `tokens`.
pub fn connection(name: &str, team: Option<(&str, &str)>, tokens: Vec<TokenInfo>) -> Connection {
    Connection {
        id: format!("c-{name}"),
        name: name.into(),
        app_id: "a1".into(),
        app_name: "acme-app".into(),
        team_id: team.map(|t| t.0.into()),
        team_name: team.map(|t| t.1.into()),
        enterprise_id: None,
        enterprise_name: None,
        enterprise_install: false,
        covered_teams: Vec::new(),
        slack_app_id: Some("A0123".into()),
        bot_user_id: Some("U0BOT".into()),
        authed_user_id: Some("U0USER".into()),
        has_incoming_webhook: false,
        created_at: 0,
        updated_at: 0,
        tokens,
    }
}

/// A registered app named `name`, with id `app-NAME`.
pub fn app(name: &str) -> App {
    App {
        id: format!("app-{name}"),
        name: name.into(),
        client_id: "1.2".into(),
        pkce: false,
        has_secret: true,
        redirect_uri: "http://localhost:8976/callback".into(),
        bot_scopes: Scopes::default(),
        user_scopes: Scopes::default(),
        created_at: 0,
        rotation: false,
        has_signing_secret: false,
        forward_to: None,
    }
}
