//! Secret encryption: XChaCha20-Poly1305 with a fresh random nonce and the row's identity as AAD.

use super::error::{StoreError, StoreResult};
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::Mac;
use std::sync::OnceLock;
use zeroize::Zeroizing;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Sealed blobs start with a format byte so that the scheme can change later.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;

pub struct Cipher {
    aead: XChaCha20Poly1305,
    /// The master key, for the digest key.
    key: Zeroizing<[u8; 32]>,
    /// Keys the token digests; derived from the master key so that the same key never
    /// serves two algorithms. Derived when first needed: `xox token` reads without it.
    digest_key: OnceLock<Zeroizing<Vec<u8>>>,
}

impl Cipher {
    pub fn new(key: &[u8; 32]) -> Cipher {
        Cipher {
            aead: XChaCha20Poly1305::new(key.into()),
            key: Zeroizing::new(*key),
            digest_key: OnceLock::new(),
        }
    }

    /// A keyed digest of a token (HMAC-SHA256): equal tokens give equal digests, so a
    /// unique index can keep one token in one place, yet without the key a digest says
    /// nothing about the token, and no one can test a guess against it.
    pub fn digest(&self, token: &str) -> Vec<u8> {
        let digest_key = self.digest_key.get_or_init(|| {
            let mut derive =
                HmacSha256::new_from_slice(self.key.as_slice()).expect("HMAC takes any key length");
            derive.update(b"xox token digest key v1");
            Zeroizing::new(derive.finalize().into_bytes().to_vec())
        });
        let mut mac = HmacSha256::new_from_slice(digest_key).expect("HMAC takes any key length");
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Encrypt `plain` bound to `aad`, the identity of the row and column it is stored in,
    /// so that a ciphertext copied into another row fails to open instead of being trusted.
    pub fn seal(&self, aad: &str, plain: &[u8]) -> Vec<u8> {
        // 192-bit random nonces: collisions are negligible without any counter state.
        let nonce = XNonce::generate();
        let sealed = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: aad.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut blob = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        blob.push(FORMAT_V1);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        blob
    }

    pub fn open(&self, aad: &str, blob: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
        let fail = || StoreError::Decrypt {
            what: aad.to_owned(),
        };
        if blob.len() < 1 + NONCE_LEN || blob[0] != FORMAT_V1 {
            return Err(fail());
        }
        let nonce = XNonce::try_from(&blob[1..1 + NONCE_LEN]).map_err(|_| fail())?;
        self.aead
            .decrypt(
                &nonce,
                Payload {
                    msg: &blob[1 + NONCE_LEN..],
                    aad: aad.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| fail())
    }

    pub fn open_string(&self, aad: &str, blob: &[u8]) -> StoreResult<Zeroizing<String>> {
        let bytes = self.open(aad, blob)?;
        String::from_utf8(bytes.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| StoreError::Decrypt {
                what: aad.to_owned(),
            })
    }

    /// A sealed secret, opened.
    pub fn open_secret(&self, aad: &str, blob: &[u8]) -> StoreResult<crate::slack::Secret> {
        Ok(crate::slack::Secret::new(
            self.open_string(aad, blob)?.as_str(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_uses_fresh_nonces() {
        let c = Cipher::new(&[7; 32]);
        let a = c.seal("token:c1:bot:access", b"xoxb-secret");
        let b = c.seal("token:c1:bot:access", b"xoxb-secret");
        assert_ne!(a, b);
        assert_eq!(
            &c.open("token:c1:bot:access", &a).unwrap()[..],
            b"xoxb-secret"
        );
        assert!(!a.windows(11).any(|w| w == b"xoxb-secret"));
    }

    #[test]
    fn digests_are_keyed_and_stable() {
        let (c, other) = (Cipher::new(&[7; 32]), Cipher::new(&[8; 32]));
        assert_eq!(c.digest("xoxb-1"), c.digest("xoxb-1"));
        assert_ne!(c.digest("xoxb-1"), c.digest("xoxb-2"));
        assert_ne!(c.digest("xoxb-1"), other.digest("xoxb-1"));
        assert_eq!(c.digest("xoxb-1").len(), 32);
    }

    #[test]
    fn wrong_aad_key_or_tampering_fails() {
        let c = Cipher::new(&[7; 32]);
        let blob = c.seal("token:c1:bot:access", b"xoxb-secret");
        assert!(c.open("token:c2:bot:access", &blob).is_err());
        assert!(
            Cipher::new(&[8; 32])
                .open("token:c1:bot:access", &blob)
                .is_err()
        );
        let mut tampered = blob.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(c.open("token:c1:bot:access", &tampered).is_err());
        assert!(c.open("token:c1:bot:access", &blob[..10]).is_err());
        assert!(c.open("token:c1:bot:access", &[]).is_err());
    }
}
