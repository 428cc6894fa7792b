//! PKCE (S256): a random code verifier and its challenge, base64url(SHA-256), no padding.

use super::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The challenge Slack compares the verifier against. S256 is the only method Slack takes.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `bytes` random bytes as base64url text: a verifier (32 bytes make the 43 characters
/// RFC 7636 asks for at least), or an OAuth `state`.
pub fn random_url_token(bytes: usize) -> Secret {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw).expect("the OS provides randomness");
    Secret::new(URL_SAFE_NO_PAD.encode(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_slacks_documented_test_vector() {
        assert_eq!(
            challenge("secretpassword"),
            "ldMBaaWcQYtSATMV_IG8mf3wp7A6EW80arYoSW80ntU"
        );
    }

    #[test]
    fn verifiers_are_long_enough_url_safe_and_fresh() {
        let a = random_url_token(32);
        assert_eq!(a.expose().len(), 43);
        assert!(
            a.expose()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(a, random_url_token(32));
    }
}
