//! What a grant answer holds besides what `parse_grant` reads: every token-looking value is
//! checked off against the tokens read, and `openid.connect.token`'s `id_token` lends the
//! team and user it names.

use super::grant::{Grant, GrantError};
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

/// Every token in `json` is one `grant` holds; the first that is not is named in the error.
/// The top-level `id_token` (a signed identity statement, not a Slack API token) is known
/// and deliberately not kept.
pub(super) fn every_token_read(json: &Value, grant: &Grant) -> Result<(), GrantError> {
    let read = |value: &str| {
        grant.tokens.iter().any(|t| {
            t.access.expose() == value || t.refresh.as_ref().is_some_and(|r| r.expose() == value)
        })
    };
    let mut found = None;
    walk(json, "", &mut |path, key, value| {
        let known_unkept = path == "id_token" && TokenType::classify(value) == TokenType::Unknown;
        if found.is_none() && !known_unkept && looks_like_token(key, value) && !read(value) {
            found = Some(path.to_owned());
        }
    });
    match found {
        Some(path) => Err(GrantError::UnclaimedToken(path)),
        None => Ok(()),
    }
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

/// Team and user from the `id_token`'s claims, where the answer gives them nowhere else.
/// Only these labels are taken (unverified, and never a secret); the token is not kept.
pub(super) fn fill_from_id_token(json: &Value, grant: &mut Grant) {
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
        return;
    };
    let claim = |name: &str| {
        claims
            .get(format!("https://slack.com/{name}"))
            .and_then(Value::as_str)
            .map(|s| crate::text::one_line(s).into_owned())
    };
    grant.team_id = grant.team_id.take().or_else(|| claim("team_id"));
    grant.team_name = grant.team_name.take().or_else(|| claim("team_name"));
    grant.authed_user_id = grant.authed_user_id.take().or_else(|| claim("user_id"));
}
