//! Shared files through the proxy. A private URL in an answer is swapped for the proxy's
//! own, signed for the install it came to, so that no key can make xox send a token to a
//! URL of its choosing; a GET of one, with a key of that install, is streamed from Slack
//! with the install's live token.

use super::proxy_keys::split_credential;
use super::proxying::key_install;
use super::{Engine, EngineResult};
use crate::calls::default_kind;
use crate::rotation::DEFAULT_WINDOW;
use crate::slack::Secret;
use crate::slack::file_urls::{
    may_hold_private_urls, signed_path, swap_private_urls, verified_url,
};
use crate::slack::passthrough::Streaming;
use crate::store::now_unix;
use bytes::Bytes;

/// Where the proxy serves shared files, below its own address.
pub const FILE_PATH: &str = "/files/";

/// What a GET of a proxy file URL came to.
pub enum PrivateFile {
    /// Refused here: no key of the file's install, or a URL xox did not hand out.
    Refused,
    /// Slack's answer, streaming.
    Streaming(Streaming),
    /// Slack could not be reached.
    Unreachable(String),
}

impl Engine {
    /// The key file URLs are signed with: the store's, so that every proxy on it (a fleet)
    /// serves the URLs any of them handed out.
    async fn file_key(&self) -> EngineResult<Vec<u8>> {
        if let Some(key) = self.file_key.get() {
            return Ok(key.clone());
        }
        let key = self
            .store()
            .read(|s| Ok::<_, crate::store::StoreError>(s.keyed_digest("xox: private file urls")))
            .await?;
        Ok(self.file_key.get_or_init(|| key).clone())
    }

    /// `body` (a whole Web API answer) with each private file URL swapped for the proxy's
    /// own below `base`, for the install `connection_id`; `None` when it has none.
    pub async fn swap_file_urls(
        &self,
        connection_id: &str,
        body: &[u8],
        base: &str,
    ) -> EngineResult<Option<Bytes>> {
        if !may_hold_private_urls(body) {
            return Ok(None);
        }
        let Ok(mut answer) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Ok(None);
        };
        let key = self.file_key().await?;
        let swapped = swap_private_urls(&mut answer, &mut |url| {
            format!("{base}{FILE_PATH}{}", signed_path(&key, connection_id, url))
        });
        Ok((swapped > 0).then(|| Bytes::from(answer.to_string())))
    }

    /// A GET of a proxy file URL (`CONNECTION/URL/MAC`) by an app holding `credential`:
    /// streamed from Slack with the install's live token, its `Range` and conditional
    /// `headers` passed on.
    pub async fn private_file(
        &self,
        credential: &Secret,
        path: (&str, &str, &str),
        headers: &[(String, String)],
    ) -> EngineResult<PrivateFile> {
        let (connection_id, encoded, mac) = path;
        let key = self.file_key().await?;
        let Some(url) = verified_url(&key, connection_id, encoded, mac) else {
            return Ok(PrivateFile::Refused);
        };
        let (key, route) = split_credential(credential);
        let found = self
            .store()
            .read(move |s| key_install(s, &key, &route))
            .await?;
        // Only a key of the install the URL was handed out for reads the file.
        let connection = match found {
            Some((key, id)) if id == connection_id && !key.scope.expired(now_unix()) => {
                self.connection(&id).await?
            }
            _ => return Ok(PrivateFile::Refused),
        };
        let kind = default_kind(&connection, None)?;
        let token = self
            .usable_token(&connection.id, Some(kind), DEFAULT_WINDOW)
            .await?
            .token;
        Ok(
            match self.http()?.private_file(&url, &token, headers).await {
                Ok(answer) => PrivateFile::Streaming(answer),
                Err(e) => PrivateFile::Unreachable(e.to_string()),
            },
        )
    }
}
