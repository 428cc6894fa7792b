//! `xox proxy`'s workflow for one request: the key names a connection and the method the
//! kind of token, and the request goes to Slack as the app sent it, on the one live-token
//! path (`live.rs`) that `xox call` uses too.

use super::governor::Turn;
use super::live::{Answer, AtHand, Attempt, Live, OnRateLimit};
use super::proxy_cache::Entry;
use super::proxy_keys::split_credential;
use super::usable::is_due;
use super::{Engine, EngineError, EngineResult};
use crate::calls::{default_kind, plan};
use crate::rotation::{DEFAULT_WINDOW, RotationError};
use crate::slack::passthrough::{Passthrough, Streaming};
use crate::slack::response::{AnswerHeaders, parse_answer};
use crate::slack::{CallError, Secret, TokenKind};
use crate::store::key_scope::{Arguments, KeyRefusal};
use crate::store::{Connection, KeyKind, ProxyKey, now_unix, pick_install};
use bytes::Bytes;
use std::sync::Arc;

/// How much of an answer is read before it is passed on: every `ok:false` answer fits, so
/// one can be recorded (or retried) whole, and a larger answer streams on from there.
const PEEK: usize = 64 * 1024;

/// A key's record, its connection, the kind of token for the method, and that token when
/// it was at hand and not due.
struct Looked {
    key: Arc<ProxyKey>,
    connection: Arc<Connection>,
    kind: Option<TokenKind>,
    token: AtHand,
}

/// Slack's answer to a relayed request, its first part read. (Answered is the common case:
/// not boxed, so no request pays an allocation for the rare one.)
#[allow(clippy::large_enum_variant)]
enum Relayed {
    Answered {
        answer: Streaming,
        head: Bytes,
        complete: bool,
        /// Slack's refusal, when the whole answer was read and says `ok:false`.
        error: Option<CallError>,
    },
    /// The answer broke off before its first part was read.
    Dropped(String),
}

impl Answer for Relayed {
    fn failure(&self) -> Option<&CallError> {
        match self {
            Relayed::Answered { error, .. } => error.as_ref(),
            Relayed::Dropped(_) => None,
        }
    }
}

/// One request from an app.
pub struct ProxyRequest {
    pub method: String,
    /// The app's proxy key (never a Slack token).
    pub key: Secret,
    pub request: Passthrough,
    /// The request's arguments, kept with a failure so that `xox replay` can send it again.
    pub params: Vec<(String, String)>,
    /// Every argument, from the query and the body (multipart too), for a scoped key.
    pub arguments: Arguments,
}

/// What goes back to the app.
pub enum ProxyAnswer {
    /// Answered here, in Slack's shape (HTTP 200, `ok:false`, and what the key lacks when
    /// its scope refused): nothing reached Slack.
    Refused {
        error: String,
        needed: Option<String>,
    },
    /// Held past the longest wait: Slack's 429 `ratelimited`, with the `Retry-After` that
    /// remains. Nothing reached Slack.
    RateLimited { retry_after: u64 },
    /// Slack's answer: the first part of its body read, the rest still to come.
    Slack {
        answer: Streaming,
        head: Bytes,
        complete: bool,
    },
    /// Slack could not be reached or its answer broke off.
    Unreachable { detail: String },
}

/// What the request was, for the proxy's counts and its access log.
pub struct ProxyOutcome {
    pub key: Option<Arc<ProxyKey>>,
    /// The connection whose token served it (for an app key, the install it named): its
    /// name and its id.
    pub connection: Option<String>,
    pub connection_id: Option<String>,
    pub kind: Option<TokenKind>,
    pub error: Option<String>,
    pub answer: ProxyAnswer,
    /// It waited for its turn under the governor (a hold or a budget).
    pub held: bool,
    /// Slack's 429s the governor waited out for it.
    pub absorbed: u32,
    /// How long it spent at Slack (up to the first part of the answer).
    pub at_slack: std::time::Duration,
    /// The key's scope refused it: not a failure, but counted on the key.
    pub out_of_scope: bool,
}

impl ProxyOutcome {
    fn refused(key: Option<Arc<ProxyKey>>, error: &str) -> ProxyOutcome {
        ProxyOutcome {
            key,
            connection: None,
            connection_id: None,
            kind: None,
            error: Some(error.to_owned()),
            answer: ProxyAnswer::Refused {
                error: error.to_owned(),
                needed: None,
            },
            held: false,
            absorbed: 0,
            at_slack: std::time::Duration::ZERO,
            out_of_scope: false,
        }
    }

    /// Refused by the key's scope, saying what it lacks.
    fn out_of_scope(key: Arc<ProxyKey>, refusal: &KeyRefusal) -> ProxyOutcome {
        ProxyOutcome {
            answer: ProxyAnswer::Refused {
                error: refusal.code().to_owned(),
                needed: refusal.needed(),
            },
            out_of_scope: true,
            ..ProxyOutcome::refused(Some(key), refusal.code())
        }
    }
}

fn nanos(since: std::time::Instant) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Slack's own word for a token the policy will not hand out.
fn refusal_code(e: &EngineError) -> &str {
    match e {
        EngineError::Rotation(RotationError::Revoked { code, .. }) => code,
        EngineError::Rotation(RotationError::NeedsReauth { .. }) => "token_expired",
        _ => "invalid_auth",
    }
}

/// Read the answer's first `PEEK` bytes (all of it, for any error answer). An answer that
/// came in one piece is passed on as that piece, uncopied.
async fn peek(answer: &mut Streaming) -> Result<(Bytes, bool), String> {
    let mut parts: Vec<Bytes> = Vec::new();
    let mut read = 0;
    let complete = loop {
        if read >= PEEK {
            break false;
        }
        match answer.chunk().await {
            Some(Ok(bytes)) => {
                read += bytes.len();
                parts.push(bytes);
            }
            Some(Err(e)) => return Err(e),
            None => break true,
        }
    };
    let head = match parts.as_slice() {
        [only] => only.clone(),
        _ => Bytes::from(parts.concat()),
    };
    Ok((head, complete))
}

/// Just the `ok` of an answer, read without building the rest.
#[derive(serde::Deserialize)]
struct Verdict {
    ok: Option<bool>,
}

/// The error a whole answer carries, parsed as `xox call` parses it. Most answers say
/// `"ok":true`; those are told apart cheaply and not parsed whole.
fn failure(method: &str, answer: &Streaming, body: &[u8]) -> Option<CallError> {
    if answer.status < 400
        && serde_json::from_slice::<Verdict>(body).is_ok_and(|v| v.ok == Some(true))
    {
        return None;
    }
    let header = |name: &str| {
        answer
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let headers = AnswerHeaders {
        content_type: header("content-type"),
        oauth_scopes: header("x-oauth-scopes"),
        accepted_oauth_scopes: header("x-accepted-oauth-scopes"),
        retry_after: header("retry-after"),
    };
    parse_answer(method, answer.status, &headers, body).err()
}

/// The key `key` is, and the install it serves: a connection key's own, or the one an app
/// key names after it (`route`). Anything else is `None`: a key never falls back to
/// another install's token.
pub(super) fn key_install(
    s: &mut dyn crate::store::Backend,
    key: &Secret,
    route: &Option<(String, Option<String>)>,
) -> crate::store::StoreResult<Option<(ProxyKey, String)>> {
    let Some(proxy_key) = s.proxy_key(key)? else {
        return Ok(None);
    };
    let connection_id = match (&proxy_key.connection_id, &proxy_key.app_id, route) {
        (Some(id), None, None) => id.clone(),
        (None, Some(app_id), Some((id, user))) => {
            let candidates = s.install_candidates(app_id, id)?;
            match pick_install(&candidates, user.as_deref()) {
                Some(id) => id,
                None => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some((proxy_key, connection_id)))
}

impl Engine {
    /// Serve one request. Never an `Err` for what the app sent: a bad key, a dead token or
    /// Slack's refusal are answers in Slack's shape; only the store failing is an error.
    pub async fn proxy(&self, request: ProxyRequest) -> EngineResult<ProxyOutcome> {
        let Some(Looked {
            key: proxy_key,
            connection,
            kind,
            token,
        }) = self.proxy_lookup(&request).await?
        else {
            return Ok(ProxyOutcome::refused(None, "invalid_auth"));
        };
        // What the key may do, before anything reaches Slack. An expired key is refused as
        // one that was revoked: it is not the app's key any more.
        match proxy_key
            .scope
            .check(&request.method, &request.arguments, now_unix())
        {
            Ok(()) => {}
            Err(KeyRefusal::Expired) => return Ok(ProxyOutcome::refused(None, "invalid_auth")),
            Err(refusal) => return Ok(ProxyOutcome::out_of_scope(proxy_key, &refusal)),
        }
        let Some(kind) = kind else {
            return Ok(ProxyOutcome::refused(
                Some(proxy_key),
                "not_allowed_token_type",
            ));
        };
        let governor = self.governor.get().filter(|g| g.enabled());
        let mut held = false;
        if let Some(governor) = governor {
            let channel = request
                .params
                .iter()
                .find(|(name, _)| name == "channel")
                .map(|(_, value)| value.as_str());
            match governor
                .turn(&connection.id, &request.method, channel)
                .await
            {
                Turn::Go { held: waited } => held = waited,
                Turn::TooLong { retry_after } => {
                    governor.passed();
                    return Ok(ProxyOutcome {
                        key: Some(proxy_key),
                        connection: Some(connection.name.clone()),
                        connection_id: Some(connection.id.clone()),
                        kind: Some(kind),
                        error: Some("ratelimited".into()),
                        answer: ProxyAnswer::RateLimited { retry_after },
                        held: false,
                        absorbed: 0,
                        at_slack: std::time::Duration::ZERO,
                        out_of_scope: false,
                    });
                }
            }
        }
        let on_rate_limit = governor.map_or(OnRateLimit::Answer, OnRateLimit::Govern);
        let attempt = Attempt {
            connection: &connection,
            kind,
            method: &request.method,
            params: &request.params,
            replay_of: None,
        };
        let client = self.http()?;
        let request = &request;
        // The time at Slack, summed over the sends (a retry, an absorbed 429), for metrics.
        let at_slack = std::sync::atomic::AtomicU64::new(0);
        let at_slack = &at_slack;
        let relay = |token: Secret| async move {
            let started = std::time::Instant::now();
            let sent = client
                .pass_through(&request.method, &token, &request.request)
                .await;
            let mut answer = match sent {
                Ok(answer) => answer,
                Err(e) => {
                    at_slack.fetch_add(nanos(started), std::sync::atomic::Ordering::Relaxed);
                    return Err(e);
                }
            };
            let peeked = peek(&mut answer).await;
            at_slack.fetch_add(nanos(started), std::sync::atomic::Ordering::Relaxed);
            Ok(match peeked {
                Ok((head, complete)) => Relayed::Answered {
                    error: complete
                        .then(|| failure(&request.method, &answer, &head))
                        .flatten(),
                    answer,
                    head,
                    complete,
                },
                Err(detail) => Relayed::Dropped(detail),
            })
        };
        let sent = match self
            .send_live(&attempt, token, on_rate_limit, relay)
            .await?
        {
            Live::NoToken(e) => {
                return Ok(ProxyOutcome::refused(Some(proxy_key), refusal_code(&e)));
            }
            Live::Sent(sent) => sent,
        };
        if sent.refreshed_on_the_way {
            self.proxy_cache.forget(&request.key);
        } else if let Some(usable) = sent.usable {
            let entry = Entry {
                key: proxy_key.clone(),
                connection: connection.clone(),
                tokens: Default::default(),
            };
            // A token just refreshed is kept with a connection read before the refresh: it
            // would look due again, so it is not kept.
            let token = (!usable.refreshed).then_some((kind, usable.token));
            self.proxy_cache.put(&request.key, entry, token);
        }
        if let Some(Err(e)) = &sent.recorded {
            // The app gets Slack's answer whatever happens to the record.
            tracing::warn!(error = %e, "could not record a proxied failure");
        }
        let (error, answer) = match sent.result {
            Ok(Relayed::Answered {
                answer,
                head,
                complete,
                error,
            }) => (
                error
                    .as_ref()
                    .and_then(|e| e.api())
                    .map(|e| e.code.as_str().to_owned()),
                ProxyAnswer::Slack {
                    answer,
                    head,
                    complete,
                },
            ),
            Ok(Relayed::Dropped(detail)) => (
                Some("connection dropped".into()),
                ProxyAnswer::Unreachable { detail },
            ),
            // Slack was not reached, or its answer broke off before it began: recorded as a
            // failed call, so it can be replayed.
            Err(error) => (
                Some("unreachable".into()),
                ProxyAnswer::Unreachable {
                    detail: error.to_string(),
                },
            ),
        };
        Ok(ProxyOutcome {
            key: Some(proxy_key),
            connection: Some(connection.name.clone()),
            connection_id: Some(connection.id.clone()),
            kind: Some(kind),
            error,
            answer,
            held,
            absorbed: sent.absorbed,
            at_slack: std::time::Duration::from_nanos(
                at_slack.load(std::sync::atomic::Ordering::Relaxed),
            ),
            out_of_scope: false,
        })
    }

    /// The key, its connection, the token kind for this method, and the token itself when
    /// no refresh is due: from the cache, or in one trip to the store.
    async fn proxy_lookup(&self, request: &ProxyRequest) -> EngineResult<Option<Looked>> {
        let choose = |key: &ProxyKey, connection: &Connection, method: &str| match key.kind {
            KeyKind::Auto => plan(connection, method, None).map(|p| p.kind).ok(),
            KeyKind::Only(kind) => default_kind(connection, Some(kind)).ok(),
        };
        let due =
            |connection: &Connection, kind: TokenKind| is_due(connection, kind, DEFAULT_WINDOW);
        if let Some(entry) = self.proxy_cache.get(&request.key) {
            let kind = choose(&entry.key, &entry.connection, &request.method);
            let token = kind
                .filter(|k| !due(&entry.connection, *k))
                .and_then(|k| entry.tokens.get(&k).cloned());
            if token.is_some() || kind.is_none() {
                return Ok(Some(Looked {
                    key: entry.key.clone(),
                    connection: entry.connection.clone(),
                    kind,
                    token: token.map_or(AtHand::Nothing, AtHand::Usable),
                }));
            }
        }
        let (key, route) = split_credential(&request.key);
        let method = request.method.clone();
        // The patient read: a store that blinks (a lock held a moment, a server restarting)
        // is waited out for a while rather than failing the app's request at once.
        self.store()
            .read(move |s| -> EngineResult<_> {
                let Some((proxy_key, connection_id)) = key_install(s, &key, &route)? else {
                    return Ok(None);
                };
                let connection = s.connection(&connection_id)?;
                let kind = choose(&proxy_key, &connection, &method);
                let stored = match kind {
                    Some(k) if !due(&connection, k) => Some(s.access_token(&connection.id, k)?),
                    _ => None,
                };
                Ok(Some(Looked {
                    key: Arc::new(proxy_key),
                    connection: Arc::new(connection),
                    kind,
                    token: stored.map_or(AtHand::Nothing, AtHand::Stored),
                }))
            })
            .await
    }
}

impl Engine {
    /// Whether `key` is a live proxy key: asked before an app's body is read, so that
    /// nobody without one can make the proxy hold their bytes. (The request itself looks
    /// the key up again: this is only the gate.)
    pub async fn proxy_key_known(&self, key: &Secret) -> EngineResult<bool> {
        if self.proxy_cache.get(key).is_some() {
            return Ok(true);
        }
        let (key, _) = split_credential(key);
        let now = now_unix();
        Ok(self
            .store()
            .read(move |s| s.proxy_key(&key))
            .await?
            .is_some_and(|k| !k.scope.expired(now)))
    }

    /// Ready what serving needs before the first request: the relay to Slack.
    pub fn prepare_proxy(&self) -> EngineResult<()> {
        Ok(self.http()?.prepare_relay()?)
    }

    /// Stream an app's upload to the upload URL Slack gave it, without its key, framed as
    /// the app framed it (with its length, or chunked).
    pub async fn forward_upload(
        &self,
        url: &str,
        content_type: Option<&str>,
        content_length: Option<u64>,
        body: reqwest::Body,
    ) -> EngineResult<Result<Streaming, CallError>> {
        Ok(self
            .http()?
            .forward_upload(url, content_type, content_length, body)
            .await)
    }
}
