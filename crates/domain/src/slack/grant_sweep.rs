//! What a grant answer holds besides what `parse_grant` reads: every token-looking value is
//! checked off against the tokens read, and `openid.connect.token`'s `id_token` lends the
//! team and user it names. Works on the JSON alone, so `grant` depends on it and not back.

use super::token::TokenType;
use base64::Engine as _;
use serde_json::Value;

/// A field that holds a token, by its name or by its value's prefix.
fn looks_like_token(key: &str, value: &str) -> bool {
    !value.is_empty()
        && (key == "token"
            || key.ends_with("_token")
            || TokenType::classify(value) != TokenType::Unknown)
}

/// The path of the first token in `json` that `read` does not claim, if any. The top-level
/// `id_token` (a signed identity statement, not a Slack API token) is known and deliberately
/// not kept.
pub(super) fn first_unread_token(json: &Value, read: &dyn Fn(&str) -> bool) -> Option<String> {
    let mut found = None;
    walk(json, "", &mut |path, key, value| {
        let known_unkept = path == "id_token" && TokenType::classify(value) == TokenType::Unknown;
        if found.is_none() && !known_unkept && looks_like_token(key, value) && !read(value) {
            found = Some(path.to_owned());
        }
    });
    found
}

/// Call `visit(path, key, value)` for every string in `value`.
fn walk(value: &Value, path: &str, visit: &mut dyn FnMut(&str, &str, &str)) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match inner {
                    Value::String(s) => visit(&here, key, s),
                    other => walk(other, &here, visit),
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                let here = format!("{path}[{i}]");
                match inner {
                    Value::String(s) => visit(&here, "", s),
                    other => walk(other, &here, visit),
                }
            }
        }
        _ => {}
    }
}

/// The team and user an `id_token` names.
#[derive(Debug, Default)]
pub(super) struct IdClaims {
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub user_id: Option<String>,
}

/// Team and user from the `id_token`'s claims, for an answer that gives them nowhere else.
/// Only these labels are taken (unverified, and never a secret); the token is not kept.
pub(super) fn id_token_claims(json: &Value) -> IdClaims {
    let Some(claims) = json
        .get("id_token")
        .and_then(Value::as_str)
        .and_then(|jwt| jwt.split('.').nth(1))
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload.trim_end_matches('='))
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
    else {
        return IdClaims::default();
    };
    let claim = |name: &str| {
        claims
            .get(format!("https://slack.com/{name}"))
            .and_then(Value::as_str)
            .map(|s| crate::text::one_line(s).into_owned())
    };
    IdClaims {
        team_id: claim("team_id"),
        team_name: claim("team_name"),
        user_id: claim("user_id"),
    }
}
