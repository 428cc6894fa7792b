//! Slack's request signature (`v0`): how an app knows a request came from Slack. Checked
//! before anything else is done with a request, in constant time.

use super::secret::Secret;
use hmac::{Hmac, KeyInit, Mac};

/// How far a request's timestamp may be from now: Slack's own advice, five minutes.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

/// Why a request is not taken as Slack's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureRefusal {
    /// No `X-Slack-Signature` or `X-Slack-Request-Timestamp`.
    Missing,
    /// Headers that are not a `v0=` hex signature and a Unix time.
    Malformed,
    /// A timestamp more than five minutes from now: perhaps a replay.
    Stale,
    /// The signature does not match the body under the app's signing secret.
    Wrong,
}

impl SignatureRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureRefusal::Missing => "unsigned",
            SignatureRefusal::Malformed => "malformed_signature",
            SignatureRefusal::Stale => "stale_timestamp",
            SignatureRefusal::Wrong => "bad_signature",
        }
    }
}

/// The `v0` signature of `body` sent at `timestamp`: HMAC-SHA256 of `v0:{timestamp}:{body}`
/// in lower-case hex. What Slack signs its requests with, and what xox signs its hooks'
/// POSTs with, so that a receiver checks either with the same code.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

fn hex_digits(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Check a request's `X-Slack-Request-Timestamp` and `X-Slack-Signature` against its
/// raw body, at `now`.
pub fn verify(
    secret: &Secret,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureRefusal> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureRefusal::Missing);
    };
    let at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureRefusal::Malformed)?;
    let sent = signature
        .trim()
        .strip_prefix("v0=")
        .and_then(hex_digits)
        .filter(|d| d.len() == 32)
        .ok_or(SignatureRefusal::Malformed)?;
    if (now - at).abs() > MAX_SKEW_SECS {
        return Err(SignatureRefusal::Stale);
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"v0:");
    mac.update(timestamp.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&sent).map_err(|_| SignatureRefusal::Wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const AT: i64 = 1531420618;

    fn check(
        ts: Option<&str>,
        sig: Option<&str>,
        body: &str,
        now: i64,
    ) -> Result<(), SignatureRefusal> {
        let secret = Secret::new("8f742231b10e8888abcd99yyyzzz85a5");
        verify(&secret, ts, sig, body.as_bytes(), now)
    }

    #[test]
    fn slacks_example_passes() {
        assert_eq!(
            check(Some("1531420618"), Some(SIGNATURE), BODY, AT + 10),
            Ok(())
        );
    }

    #[test]
    fn each_fault_has_its_refusal() {
        use SignatureRefusal::*;
        let ts = Some("1531420618");
        assert_eq!(check(None, Some(SIGNATURE), BODY, AT), Err(Missing));
        assert_eq!(check(ts, None, BODY, AT), Err(Missing));
        assert_eq!(
            check(Some("soon"), Some(SIGNATURE), BODY, AT),
            Err(Malformed)
        );
        assert_eq!(check(ts, Some("v1=abcd"), BODY, AT), Err(Malformed));
        assert_eq!(check(ts, Some("v0=zz"), BODY, AT), Err(Malformed));
        assert_eq!(check(ts, Some(SIGNATURE), BODY, AT + 301), Err(Stale));
        assert_eq!(
            check(ts, Some(SIGNATURE), &format!("{BODY}x"), AT),
            Err(Wrong)
        );
        let other = SIGNATURE.replace("a2114", "a2115");
        assert_eq!(check(ts, Some(&other), BODY, AT), Err(Wrong));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(ts in ".{0,24}", sig in ".{0,80}", body in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = verify(&Secret::new("s"), Some(&ts), Some(&sig), &body, 0);
        }
    }
}
