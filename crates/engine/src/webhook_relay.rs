//! `POST /hooks/CONN` on the proxy: an app posts through a connection's incoming webhook
//! with a key, and never holds the webhook's URL (which is itself the credential).

use super::{Engine, EngineResult};
use crate::slack::Secret;
use crate::slack::passthrough::Streaming;
use crate::store::key_scope::{Arguments, KeyRefusal};
use crate::store::{ProxyKey, StoreResult, now_unix};
use bytes::Bytes;

/// What a post through a webhook came to.
pub enum WebhookPost {
    /// Answered here, as the webhook host answers: a status and a plain-text error.
    Refused {
        key: Option<ProxyKey>,
        status: u16,
        error: String,
    },
    /// The webhook host's answer.
    Posted { key: ProxyKey, answer: Streaming },
    /// The webhook host could not be reached.
    Unreachable { key: ProxyKey, detail: String },
}

fn refused(key: Option<ProxyKey>, status: u16, error: &str) -> WebhookPost {
    WebhookPost::Refused {
        key,
        status,
        error: error.to_owned(),
    }
}

impl Engine {
    /// Post `body` through the incoming webhook of connection `conn`, for an app holding
    /// `key`: a key of that connection's, whose scope allows `chat.postMessage` to the
    /// webhook's channel.
    pub async fn post_to_webhook(
        &self,
        key: &Secret,
        conn: &str,
        content_type: Option<&str>,
        body: Bytes,
    ) -> EngineResult<WebhookPost> {
        let (key, conn) = (key.clone(), conn.to_owned());
        let found = self
            .store()
            .read(move |s| -> StoreResult<_> {
                let Some(key) = s.proxy_key(&key)? else {
                    return Ok(None);
                };
                let hook = match key.connection_id.as_deref() {
                    Some(id) => match s.connection(&conn) {
                        Ok(connection) if connection.id == id => s.incoming_webhook(id)?,
                        _ => return Ok(Some((key, Err(())))),
                    },
                    None => return Ok(Some((key, Err(())))),
                };
                Ok(Some((key, Ok(hook))))
            })
            .await?;
        // A key that is not this connection's is told no more than a key that is no key.
        let (key, hook) = match found {
            Some((key, Ok(hook))) if !key.scope.expired(now_unix()) => (key, hook),
            _ => return Ok(refused(None, 403, "invalid_token")),
        };
        let Some(hook) = hook else {
            return Ok(refused(Some(key), 404, "no_service"));
        };
        // A post through the webhook is a message to its channel.
        let channel = hook.channel_id.clone().unwrap_or_default();
        let arguments = Arguments::Read(vec![("channel".into(), channel)]);
        match key.scope.check("chat.postMessage", &arguments, now_unix()) {
            Ok(()) => {}
            Err(KeyRefusal::Expired) => return Ok(refused(None, 403, "invalid_token")),
            Err(refusal) => return Ok(refused(Some(key), 403, refusal.code())),
        }
        let length = body.len() as u64;
        let sent = self
            .http()?
            .forward_upload(
                hook.url.expose(),
                content_type,
                Some(length),
                reqwest::Body::from(body),
            )
            .await;
        Ok(match sent {
            Ok(answer) => WebhookPost::Posted { key, answer },
            // The error names no URL: the webhook's is a secret.
            Err(e) => WebhookPost::Unreachable {
                key,
                detail: crate::slack::secret::scrub(&e.to_string()),
            },
        })
    }
}
