//! A shared file's private URLs (`url_private`, `url_private_download`) need a token to
//! read. In an answer an app gets through the proxy they are swapped for the proxy's own,
//! which the app reads with its key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;

/// The MAC of a file URL handed out for `connection_id`, under `key`.
fn mac(key: &[u8], connection_id: &str, url: &str) -> Hmac<sha2::Sha256> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(connection_id.as_bytes());
    mac.update(b"\0");
    mac.update(url.as_bytes());
    mac
}

/// How many bytes of the MAC a URL carries: 128 bits.
const MAC_BYTES: usize = 16;

/// `CONNECTION/URL/MAC`: where the proxy serves `url` for `connection_id`, signed with
/// `key` so that only URLs it handed out are fetched with a token.
pub fn signed_path(key: &[u8], connection_id: &str, url: &str) -> String {
    let tag = mac(key, connection_id, url).finalize().into_bytes();
    let hex: String = tag[..MAC_BYTES]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{connection_id}/{}/{hex}", URL_SAFE_NO_PAD.encode(url))
}

/// The URL a signed path stands for, if its MAC is right (checked in constant time).
pub fn verified_url(key: &[u8], connection_id: &str, encoded: &str, sent: &str) -> Option<String> {
    let url = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
    if sent.len() != MAC_BYTES * 2 {
        return None;
    }
    let tag = (0..sent.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(sent.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    mac(key, connection_id, &url)
        .verify_truncated_left(&tag)
        .ok()
        .map(|()| url)
}

/// The fields whose URLs need a token.
const PRIVATE: [&str; 2] = ["url_private", "url_private_download"];

/// Whether `body` may hold a private URL at all: a look at the bytes, so that an answer
/// without one is never parsed.
pub fn may_hold_private_urls(body: &[u8]) -> bool {
    body.windows(11).any(|w| w == b"url_private")
}

/// Replace every private URL in `value`, however deep, with what `swap` makes of it; how
/// many were replaced.
pub fn swap_private_urls(value: &mut Value, swap: &mut dyn FnMut(&str) -> String) -> usize {
    match value {
        Value::Object(fields) => fields
            .iter_mut()
            .map(|(name, field)| match field {
                Value::String(url) if PRIVATE.contains(&name.as_str()) => {
                    *url = swap(url);
                    1
                }
                other => swap_private_urls(other, swap),
            })
            .sum(),
        Value::Array(items) => items.iter_mut().map(|i| swap_private_urls(i, swap)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_a_path_signed_for_its_install_is_verified() {
        let key = b"store key";
        let path = signed_path(key, "c1", "https://files.slack.com/a");
        let parts: Vec<&str> = path.split('/').collect();
        assert_eq!(parts[0], "c1");
        let url = verified_url(key, "c1", parts[1], parts[2]);
        assert_eq!(url.as_deref(), Some("https://files.slack.com/a"));
        assert_eq!(verified_url(key, "c2", parts[1], parts[2]), None);
        assert_eq!(verified_url(b"other", "c1", parts[1], parts[2]), None);
        let forged = URL_SAFE_NO_PAD.encode("https://evil.example/");
        assert_eq!(verified_url(key, "c1", &forged, parts[2]), None);
        assert_eq!(verified_url(key, "c1", parts[1], &parts[2][..30]), None);
        assert_eq!(verified_url(key, "c1", parts[1], "zz"), None);
    }

    #[test]
    fn every_private_url_is_swapped_and_nothing_else() {
        let mut answer = json!({
            "ok": true,
            "messages": [{"files": [{"url_private": "https://files.slack.com/a",
                                     "url_private_download": "https://files.slack.com/a/download",
                                     "permalink": "https://x.slack.com/files/a"}]}],
            "file": {"url_private": "https://files.slack.com/b", "url_private": "dup"},
        });
        let swapped = swap_private_urls(&mut answer, &mut |url| format!("proxy:{url}"));
        assert_eq!(swapped, 3);
        let file = &answer["messages"][0]["files"][0];
        assert_eq!(file["url_private"], "proxy:https://files.slack.com/a");
        assert_eq!(file["permalink"], "https://x.slack.com/files/a");
    }
}
