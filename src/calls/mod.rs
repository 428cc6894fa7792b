//! Make a Slack call with the right token, keep it when it fails, explain it, replay it.

mod choose;
pub mod hints;

pub use choose::{CallPlan, ChooseError, default_kind, plan};

use crate::rotation::{DEFAULT_WINDOW, Need, Rotator, Target};
use crate::slack::{ApiResponse, CallError, ErrorCode, Secret, TokenKind};
use crate::store::{Connection, NewCall, StoreError, StoreResult, TokenStatus};
use std::time::Duration;

/// The longest `Retry-After` a call waits out by itself before retrying once.
pub const MAX_AUTO_WAIT: Duration = Duration::from_secs(30);

/// A failed call, with the id it was recorded under (when recording itself worked).
#[derive(Debug)]
pub struct CallFailure {
    pub error: CallError,
    pub recorded: Result<i64, StoreError>,
}

/// How a call went, with what xox did along the way (a refresh, a wait).
#[derive(Debug)]
pub struct Outcome {
    pub result: Result<ApiResponse, CallFailure>,
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallSetupError {
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

/// The token to call with: refreshed first if it expires within the window; the stored one
/// if that refresh fails (Slack will then say what is wrong, and the call is recorded).
async fn usable_token(rotator: &Rotator, target: &Target) -> StoreResult<Secret> {
    match rotator
        .refresh_if(target, Need::ExpiresWithin(DEFAULT_WINDOW.as_secs() as i64))
        .await
    {
        Ok(fresh) => Ok(fresh.access),
        Err(_) => {
            let (id, kind) = (target.connection_id.clone(), target.kind);
            rotator
                .store()
                .run(move |s| s.access_token(&id, kind))
                .await
        }
    }
}

/// Call `method` with the connection's `kind` token. An expired token is refreshed and the
/// call retried once; a short `Retry-After` is waited out and the call retried once. What
/// still fails is recorded (linked to `replay_of`), and a token Slack declared dead gets its
/// status set, so `list` shows it.
pub async fn call(
    rotator: &Rotator,
    conn: &Connection,
    kind: TokenKind,
    method: &str,
    params: &[(String, String)],
    replay_of: Option<i64>,
) -> Result<Outcome, CallSetupError> {
    let target = Target::of(conn, kind);
    let mut notes = Vec::new();
    let mut token = usable_token(rotator, &target).await?;
    let mut retried = false;
    let error = loop {
        let error = match rotator.client().call(method, &token, params).await {
            Ok(answer) => {
                if let Some(original) = replay_of {
                    rotator
                        .store()
                        .run(move |s| s.set_call_state(original, "replayed_ok"))
                        .await?;
                }
                return Ok(Outcome {
                    result: Ok(answer),
                    notes,
                });
            }
            Err(error) => error,
        };
        if retried {
            break error;
        }
        retried = true;
        match error.api().map(|e| (&e.code, e.retry_after)) {
            Some((ErrorCode::TokenExpired, _)) => {
                let (id, k) = (conn.id.clone(), kind);
                let generation = rotator
                    .store()
                    .run(move |s| s.token_state(&id, k))
                    .await?
                    .generation;
                match rotator
                    .refresh_if(&target, Need::NotRewrittenSince(generation))
                    .await
                {
                    Ok(fresh) => {
                        notes.push(format!(
                            "the {kind} token had expired: refreshed it and retried"
                        ));
                        token = fresh.access;
                    }
                    Err(e) => {
                        notes.push(format!(
                            "the {kind} token had expired and could not be refreshed: {e}"
                        ));
                        break error;
                    }
                }
            }
            Some((ErrorCode::Ratelimited, Some(secs)))
                if Duration::from_secs(secs) <= MAX_AUTO_WAIT =>
            {
                notes.push(format!(
                    "Slack rate-limited {method}: waited {secs}s (Retry-After) and retried"
                ));
                tokio::time::sleep(Duration::from_secs(secs)).await;
            }
            _ => break error,
        }
    };
    let recorded = record(rotator, conn, kind, method, params, &error, replay_of).await;
    Ok(Outcome {
        result: Err(CallFailure { error, recorded }),
        notes,
    })
}

async fn record(
    rotator: &Rotator,
    conn: &Connection,
    kind: TokenKind,
    method: &str,
    params: &[(String, String)],
    error: &CallError,
    replay_of: Option<i64>,
) -> Result<i64, StoreError> {
    let (conn_id, method, params, error) = (
        conn.id.clone(),
        method.to_owned(),
        params.to_vec(),
        error.clone(),
    );
    rotator
        .store()
        .run(move |s| {
            let api = error.api();
            if let Some(status) = api.and_then(|e| dead_token_status(&e.code)) {
                // Best effort: the call failure is what the user must hear about.
                let _ = s.set_token_status(&conn_id, kind, status, api.map(|e| e.code.as_str()));
            }
            let transport = error.to_string();
            let id = s.record_call(&NewCall {
                connection_id: &conn_id,
                token_kind: kind,
                method: &method,
                params: &params,
                http_status: api.map(|e| e.http_status),
                error: api.map_or(transport.as_str(), |e| e.code.as_str()),
                needed: api.and_then(|e| e.needed.as_ref()),
                provided: api.and_then(|e| e.provided.as_ref()),
                accepted_scopes: api.and_then(|e| e.accepted_scopes.as_ref()),
                retry_after: api.and_then(|e| e.retry_after),
                response: api.map(|e| &e.body),
                replay_of,
            })?;
            if let Some(original) = replay_of {
                s.set_call_state(original, "replay_failed")?;
            }
            Ok(id)
        })
        .await
}

/// The token status an error code proves, if it proves one.
fn dead_token_status(code: &ErrorCode) -> Option<TokenStatus> {
    match code {
        ErrorCode::TokenRevoked | ErrorCode::AccountInactive => Some(TokenStatus::Revoked),
        ErrorCode::InvalidAuth => Some(TokenStatus::NeedsReauth),
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
