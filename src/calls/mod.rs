//! Make a Slack call with a connection's token, and keep the call when it fails.

use crate::slack::{ApiResponse, CallError, SlackClient, TokenKind};
use crate::store::{Connection, NewCall, Store, StoreError, TokenStatus};

/// A failed call, with the id it was recorded under (when recording itself worked).
#[derive(Debug)]
pub struct CallFailure {
    pub error: CallError,
    pub recorded: Result<i64, StoreError>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallSetupError {
    #[error("connection {conn:?} has no {kind} token{hint}")]
    NoToken {
        conn: String,
        kind: TokenKind,
        hint: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0:?} is not a key=value argument")]
    BadArgument(String),
    #[error(
        "pass tokens with --conn, never as an argument (they would land in shell history and ps)"
    )]
    TokenArgument,
}

/// Parse `key=value` arguments. A `token` argument is refused: tokens never travel in argv.
pub fn parse_args(args: &[String]) -> Result<Vec<(String, String)>, CallSetupError> {
    args.iter()
        .map(|arg| {
            let (k, v) = arg
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| CallSetupError::BadArgument(arg.clone()))?;
            if k == "token" {
                return Err(CallSetupError::TokenArgument);
            }
            Ok((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// The token kind to use: the one asked for, else the bot token when there is one.
pub fn choose_kind(
    conn: &Connection,
    asked: Option<TokenKind>,
) -> Result<TokenKind, CallSetupError> {
    let kind = asked.unwrap_or(if conn.token(TokenKind::Bot).is_some() {
        TokenKind::Bot
    } else {
        TokenKind::User
    });
    if conn.token(kind).is_none() {
        let hint = match conn.token(kind.other()) {
            Some(_) => format!("; it has a {} token (--{})", kind.other(), kind.other()),
            None => String::new(),
        };
        return Err(CallSetupError::NoToken {
            conn: conn.name.clone(),
            kind,
            hint,
        });
    }
    Ok(kind)
}

/// Call `method` with the connection's `kind` token. A failure is recorded in the store,
/// and a token Slack declared dead gets its status set, so `list` shows it.
pub async fn call(
    store: &mut Store,
    client: &SlackClient,
    conn: &Connection,
    kind: TokenKind,
    method: &str,
    params: &[(String, String)],
) -> Result<Result<ApiResponse, CallFailure>, CallSetupError> {
    let token = store.access_token(&conn.id, kind)?;
    let error = match client.call(method, &token, params).await {
        Ok(answer) => return Ok(Ok(answer)),
        Err(error) => error,
    };
    let api = error.api();
    if let Some(status) = api.and_then(|e| dead_token_status(e.code.as_str())) {
        // Best effort: the call failure is what the user must hear about.
        let _ = store.set_token_status(&conn.id, kind, status, api.map(|e| e.code.as_str()));
    }
    let transport = (api.is_none()).then(|| error.to_string());
    let recorded = store.record_call(&NewCall {
        connection_id: &conn.id,
        token_kind: kind,
        method,
        params,
        http_status: api.map(|e| e.http_status),
        error: api.map_or_else(
            || transport.as_deref().unwrap_or("transport"),
            |e| e.code.as_str(),
        ),
        needed: api.and_then(|e| e.needed.as_ref()),
        provided: api.and_then(|e| e.provided.as_ref()),
        accepted_scopes: api.and_then(|e| e.accepted_scopes.as_ref()),
        retry_after: api.and_then(|e| e.retry_after),
        response: api.map(|e| &e.body),
        replay_of: None,
    });
    Ok(Err(CallFailure { error, recorded }))
}

/// The token status an error code proves, if it proves one.
fn dead_token_status(code: &str) -> Option<TokenStatus> {
    match code {
        "token_revoked" | "account_inactive" => Some(TokenStatus::Revoked),
        "invalid_auth" => Some(TokenStatus::NeedsReauth),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_are_key_value_and_never_tokens() {
        let args = vec!["channel=C1".to_string(), "text=a=b".to_string()];
        assert_eq!(
            parse_args(&args).unwrap(),
            vec![
                ("channel".into(), "C1".into()),
                ("text".into(), "a=b".into())
            ]
        );
        assert!(matches!(
            parse_args(&["novalue".into()]),
            Err(CallSetupError::BadArgument(_))
        ));
        assert!(matches!(
            parse_args(&["=x".into()]),
            Err(CallSetupError::BadArgument(_))
        ));
        assert!(matches!(
            parse_args(&["token=xoxb-1".into()]),
            Err(CallSetupError::TokenArgument)
        ));
    }
}
