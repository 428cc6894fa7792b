//! Proxy keys: made once and shown once, listed without the key, revoked by id, and the
//! proxy's counts of their use.

use super::{Engine, EngineError, EngineResult};
use crate::calls::default_kind;
use crate::slack::Secret;
use crate::store::key_scope::{KeyScope, check_globs};
use crate::store::{KeyKind, KeyTarget, ProxyKey, ProxyUse};

/// Where a proxy key starts: nothing like a Slack token's `xox…`, so neither is taken for
/// the other.
pub const KEY_PREFIX: &str = "xpk-";

/// What a new key is for: one connection, or every install of an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFor {
    Connection(String),
    App(String),
}

/// The parts of what an app sends as its token: the key, then for an app key the install
/// it means (`KEY:ID` or `KEY:ID:USER`). A key itself never holds a `:`.
pub fn split_credential(credential: &Secret) -> (Secret, Option<(String, Option<String>)>) {
    let text = credential.expose();
    let mut parts = text.splitn(3, ':');
    let key = Secret::new(parts.next().unwrap_or(""));
    let route = parts
        .next()
        .map(|id| (id.to_owned(), parts.next().map(str::to_owned)));
    (key, route)
}

/// A key just made: the key itself, which exists only here, and what is stored of it.
pub struct NewProxyKey {
    pub key: Secret,
    pub record: ProxyKey,
}

/// Refuse a scope that would allow nothing it seems to: a glob no method matches, a
/// channel that is not a Slack id.
fn check_scope(scope: &KeyScope) -> EngineResult<()> {
    if let Some(globs) = &scope.methods {
        check_globs(globs).map_err(EngineError::KeyScope)?;
    }
    for id in scope.channels.iter().flatten() {
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(EngineError::KeyScope(format!(
                "--channels takes Slack ids (C0123ABC, G…, D…; U… for conversations.open), comma-separated, not {:?}",
                crate::text::one_line(id)
            )));
        }
    }
    Ok(())
}

impl Engine {
    /// Make a key for a connection's tokens or an app's installs (`kind`'s, or picked
    /// per method).
    pub async fn add_proxy_key(
        &self,
        target: KeyFor,
        kind: KeyKind,
        label: Option<String>,
        scope: KeyScope,
    ) -> EngineResult<NewProxyKey> {
        check_scope(&scope)?;
        let target_id = match target {
            KeyFor::Connection(conn) => {
                let connection = self.connection(&conn).await?;
                if let KeyKind::Only(kind) = kind {
                    default_kind(&connection, Some(kind))?;
                }
                if connection.tokens.is_empty() {
                    return Err(EngineError::NoTokens {
                        conn: connection.name,
                    });
                }
                KeyFor::Connection(connection.id)
            }
            KeyFor::App(app) => {
                let app = self.app(&app).await?;
                if app.name == crate::store::STANDALONE_APP {
                    return Err(EngineError::ReservedAppName);
                }
                KeyFor::App(app.id)
            }
        };
        let key = crate::hooks::random_secret(KEY_PREFIX);
        let stored = key.clone();
        let record = self
            .store()
            .run(move |s| {
                let target = match &target_id {
                    KeyFor::Connection(id) => KeyTarget::Connection(id),
                    KeyFor::App(id) => KeyTarget::App(id),
                };
                s.add_proxy_key(target, kind, label.as_deref(), &stored, &scope)
            })
            .await?;
        Ok(NewProxyKey { key, record })
    }

    pub async fn proxy_keys(&self) -> EngineResult<Vec<ProxyKey>> {
        Ok(self.store().run(|s| s.proxy_keys()).await?)
    }

    /// Change what key `id` may do: its methods, channels, reads only and expiry.
    pub async fn set_proxy_key_scope(&self, id: &str, scope: KeyScope) -> EngineResult<ProxyKey> {
        check_scope(&scope)?;
        let id = id.to_owned();
        // A running proxy sees the change within a second: it keeps a key's record no
        // longer than that.
        Ok(self
            .store()
            .run(move |s| s.set_proxy_key_scope(&id, &scope))
            .await?)
    }

    pub async fn revoke_proxy_key(&self, id: &str) -> EngineResult<()> {
        let id = id.to_owned();
        Ok(self.store().run(move |s| s.revoke_proxy_key(&id)).await?)
    }

    /// Add the proxy's counts for key `id` since it last said.
    pub async fn count_proxy_use(&self, id: &str, counted: ProxyUse, at: i64) -> EngineResult<()> {
        let id = id.to_owned();
        Ok(self
            .store()
            .run(move |s| s.count_proxy_use(&id, counted, at))
            .await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_credential_names_its_install_after_the_key() {
        let parts = |text: &str| {
            let (key, route) = super::split_credential(&super::Secret::new(text));
            (key.expose().to_owned(), route)
        };
        assert_eq!(parts("xpk-a"), ("xpk-a".into(), None));
        assert_eq!(
            parts("xpk-a:T1"),
            ("xpk-a".into(), Some(("T1".into(), None)))
        );
        assert_eq!(
            parts("xpk-a:E1:U1"),
            ("xpk-a".into(), Some(("E1".into(), Some("U1".into()))))
        );
        assert_eq!(
            parts("xpk-a:T1:U1:x"),
            ("xpk-a".into(), Some(("T1".into(), Some("U1:x".into()))))
        );
    }

    #[test]
    fn keys_are_long_random_and_not_slack_tokens() {
        let (a, b) = (
            crate::hooks::random_secret(super::KEY_PREFIX),
            crate::hooks::random_secret(super::KEY_PREFIX),
        );
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("xpk-") && a.expose().len() == 44);
        assert_eq!(
            crate::slack::TokenType::classify(a.expose()),
            crate::slack::TokenType::Unknown
        );
    }
}
