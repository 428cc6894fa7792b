//! Proxy keys: made once and shown once, listed without the key, revoked by id, and the
//! proxy's counts of their use.

use super::{Engine, EngineError, EngineResult};
use crate::calls::default_kind;
use crate::slack::Secret;
use crate::store::{KeyKind, ProxyKey};

/// Where a proxy key starts: nothing like a Slack token's `xox…`, so neither is taken for
/// the other.
pub const KEY_PREFIX: &str = "xpk-";

/// A key just made: the key itself, which exists only here, and what is stored of it.
pub struct NewProxyKey {
    pub key: Secret,
    pub record: ProxyKey,
}

/// 40 characters from 62: 238 bits from the OS's randomness.
fn new_key() -> Secret {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 40];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    // 256 is 4 × 62 + 8: the remainder's tiny bias costs well under a bit in all.
    let body: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    Secret::new(format!("{KEY_PREFIX}{body}"))
}

impl Engine {
    /// Make a key for `conn`'s tokens (`kind`'s, or picked per method).
    pub async fn add_proxy_key(
        &self,
        conn: &str,
        kind: KeyKind,
        label: Option<String>,
    ) -> EngineResult<NewProxyKey> {
        let connection = self.connection(conn).await?;
        if let KeyKind::Only(kind) = kind {
            default_kind(&connection, Some(kind))?;
        }
        if connection.tokens.is_empty() {
            return Err(EngineError::NoTokens {
                conn: connection.name,
            });
        }
        let key = new_key();
        let stored = key.clone();
        let record = self
            .store()
            .run(move |s| s.add_proxy_key(&connection.id, kind, label.as_deref(), &stored))
            .await?;
        Ok(NewProxyKey { key, record })
    }

    pub async fn proxy_keys(&self) -> EngineResult<Vec<ProxyKey>> {
        Ok(self.store().run(|s| s.proxy_keys()).await?)
    }

    pub async fn revoke_proxy_key(&self, id: &str) -> EngineResult<()> {
        let id = id.to_owned();
        Ok(self.store().run(move |s| s.revoke_proxy_key(&id)).await?)
    }

    /// Add the proxy's counts for key `id` since it last said.
    pub async fn count_proxy_use(
        &self,
        id: &str,
        requests: u64,
        failures: u64,
        at: i64,
    ) -> EngineResult<()> {
        let id = id.to_owned();
        Ok(self
            .store()
            .run(move |s| s.count_proxy_use(&id, requests, failures, at))
            .await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_long_random_and_not_slack_tokens() {
        let (a, b) = (super::new_key(), super::new_key());
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("xpk-") && a.expose().len() == 44);
        assert_eq!(
            crate::slack::TokenType::classify(a.expose()),
            crate::slack::TokenType::Unknown
        );
    }
}
