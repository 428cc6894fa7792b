//! `files_upload_v2`'s middle step. `files.getUploadURLExternal` answers with an absolute
//! upload URL on another host, which the SDKs POST the bytes to directly (node's with its
//! token, here a proxy key). The proxy hands out a URL of its own instead and streams the
//! bytes on to Slack's, with no credential.

use axum::body::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Upload URLs work for a while at Slack; ours are forgotten after an hour.
const KEPT_FOR: Duration = Duration::from_secs(3600);

/// Where the proxy takes uploads, below its own address.
pub const UPLOAD_PATH: &str = "/upload/";

#[derive(Default)]
pub struct Uploads(Mutex<HashMap<String, (Instant, String)>>);

/// 32 random hex digits: an upload URL is a credential.
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Uploads {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, String)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `body` (a whole `files.getUploadURLExternal` answer) with its `upload_url` pointing
    /// at `base` (the proxy's own `http://HOST`); `None` when there is nothing to rewrite.
    pub fn rewrite(&self, body: &[u8], base: &str) -> Option<Bytes> {
        let mut answer: serde_json::Value = serde_json::from_slice(body).ok()?;
        let original = answer.get("upload_url")?.as_str()?.to_owned();
        let id = random_id();
        answer["upload_url"] = format!("{base}{UPLOAD_PATH}{id}").into();
        let mut kept = self.lock();
        kept.retain(|_, (at, _)| at.elapsed() < KEPT_FOR);
        kept.insert(id, (Instant::now(), original));
        Some(Bytes::from(answer.to_string()))
    }

    /// Slack's upload URL behind one of ours.
    pub fn target(&self, id: &str) -> Option<String> {
        self.lock()
            .get(id)
            .filter(|(at, _)| at.elapsed() < KEPT_FOR)
            .map(|(_, url)| url.clone())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn upload_urls_are_swapped_for_ours_and_found_again() {
        let uploads = super::Uploads::default();
        let body =
            br#"{"ok":true,"upload_url":"https://files.slack.com/upload/v1/abc","file_id":"F1"}"#;
        let rewritten = uploads.rewrite(body, "http://127.0.0.1:8977").unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&rewritten).unwrap();
        let ours = answer["upload_url"].as_str().unwrap();
        let id = ours.strip_prefix("http://127.0.0.1:8977/upload/").unwrap();
        assert_eq!(id.len(), 32);
        assert_eq!(answer["file_id"], "F1");
        assert_eq!(
            uploads.target(id).unwrap(),
            "https://files.slack.com/upload/v1/abc"
        );
        assert!(uploads.target("nope").is_none());
        assert!(
            uploads
                .rewrite(br#"{"ok":false,"error":"x"}"#, "http://h")
                .is_none()
        );
    }
}
