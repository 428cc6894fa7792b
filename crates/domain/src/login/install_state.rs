//! The `state` of an install begun on an app's public page, kept nowhere: it carries its
//! expiry and a nonce, sealed with a keyed digest (the store's key) over the app and the
//! browser's cookie, so only the browser that began it can finish it, and a flood of
//! install pages writes nothing. The PKCE verifier is derived from the nonce the same way.
//! Each state is spent once (the caller keeps its nonce as seen).

use crate::slack::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// The key states are sealed with: derived from the store's key, so every host of a
/// fleet makes and checks the same seals.
pub struct StateKey(zeroize::Zeroizing<Vec<u8>>);

impl StateKey {
    pub fn new(key: Vec<u8>) -> StateKey {
        StateKey(zeroize::Zeroizing::new(key))
    }

    fn mac(&self, text: &str) -> Vec<u8> {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// Why a state brought back is not one to finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRefusal {
    /// Not made here, or for another app or browser.
    Unknown,
    Expired,
    /// No cookie came with it: another browser, or one that lost it.
    NoBrowser,
}

fn seal(key: &StateKey, app_id: &str, at: i64, nonce: &str, browser: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.mac(&format!("install-state|{app_id}|{at}|{nonce}|{browser}")))
}

/// A state for an install of `app_id` by the browser holding `browser`, good until
/// `expires_at`, and the nonce it carries (what the PKCE verifier is derived from).
pub fn make_state(
    key: &StateKey,
    app_id: &str,
    browser: &Secret,
    expires_at: i64,
) -> (Secret, String) {
    let nonce = crate::slack::pkce::random_url_token(16);
    let sealed = seal(key, app_id, expires_at, nonce.expose(), browser.expose());
    let state = Secret::new(format!("{expires_at}.{}.{sealed}", nonce.expose()));
    (state, nonce.expose().to_owned())
}

/// The state's nonce, when the state was made here for `app_id` and this browser, and
/// has not expired by `now`.
pub fn check_state(
    key: &StateKey,
    app_id: &str,
    state: &str,
    browser: Option<&Secret>,
    now: i64,
) -> Result<String, StateRefusal> {
    let mut parts = state.splitn(3, '.');
    let (Some(at), Some(nonce), Some(sealed)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(StateRefusal::Unknown);
    };
    let at: i64 = at.parse().map_err(|_| StateRefusal::Unknown)?;
    let browser = browser.ok_or(StateRefusal::NoBrowser)?;
    let expected = seal(key, app_id, at, nonce, browser.expose());
    if !bool::from(expected.as_bytes().ct_eq(sealed.as_bytes())) {
        return Err(StateRefusal::Unknown);
    }
    if at < now {
        return Err(StateRefusal::Expired);
    }
    Ok(nonce.to_owned())
}

/// The PKCE verifier of the install whose state carries `nonce`: 43 URL-safe characters.
pub fn verifier(key: &StateKey, nonce: &str) -> Secret {
    Secret::new(URL_SAFE_NO_PAD.encode(key.mac(&format!("install-verifier|{nonce}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_its_browser_and_app_finish_a_state_in_time() {
        let mac = StateKey::new(b"test key".to_vec());
        let browser = Secret::new("cookie-1");
        let (state, made) = make_state(&mac, "a1", &browser, 1000);
        let nonce = check_state(&mac, "a1", state.expose(), Some(&browser), 900).unwrap();
        assert_eq!(nonce, made);
        assert_eq!(verifier(&mac, &nonce).expose().len(), 43);
        let check = |app: &str, state: &str, browser: Option<&Secret>, now: i64| {
            check_state(&mac, app, state, browser, now)
        };
        assert_eq!(
            check("a1", state.expose(), Some(&browser), 1001),
            Err(StateRefusal::Expired)
        );
        assert_eq!(
            check("a2", state.expose(), Some(&browser), 900),
            Err(StateRefusal::Unknown)
        );
        let other = Secret::new("cookie-2");
        assert_eq!(
            check("a1", state.expose(), Some(&other), 900),
            Err(StateRefusal::Unknown)
        );
        assert_eq!(
            check("a1", state.expose(), None, 900),
            Err(StateRefusal::NoBrowser)
        );
        // A later expiry written into the state breaks its seal.
        let stretched = state.expose().replacen("1000", "9000", 1);
        assert_eq!(
            check("a1", &stretched, Some(&browser), 900),
            Err(StateRefusal::Unknown)
        );
        for junk in ["", "forged", "1.2", "x.y.z"] {
            assert_eq!(
                check("a1", junk, Some(&browser), 0),
                Err(StateRefusal::Unknown),
                "{junk}"
            );
        }
    }
}
