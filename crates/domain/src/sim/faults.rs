//! Faults the simulator can be told to inject: delays, 5xx, HTML pages, 429s, dropped connections.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// A slow Slack: wait this long, then handle the request. The work is done even if the
    /// client has given up by then (a refresh still rotates), as on a real server.
    Delay { ms: u64 },
    /// A request lost on the way: never handled, never answered; the client times out.
    Blackhole,
    /// Answer with this HTTP status and a plain-text body, handling nothing.
    Status { status: u16 },
    /// Answer 502 with a proxy's HTML error page, handling nothing.
    Html,
    /// Answer 200 `{"ok":false,"error":CODE}`, handling nothing: Slack refusing the request
    /// for a reason of its own (`invalid_auth`, `internal_error`, …).
    Refuse { error: String },
    /// Answer 429 `ratelimited` with `Retry-After`, handling nothing.
    Ratelimit { retry_after: u64 },
    /// Close the connection without handling the request.
    Drop,
    /// Handle the request (a refresh rotates the tokens), then close the connection
    /// before the answer arrives: the case Slack makes unrecoverable.
    DropAfter,
    /// Handle the request, send the headers and half the body at once and the rest after
    /// this long: a slow network mid-answer. Past the client's timeout, a refresh's new
    /// tokens are lost as with `DropAfter`.
    SlowBody { ms: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// The method it applies to (`oauth.v2.access`, `chat.postMessage`, …); all when absent.
    #[serde(default)]
    pub method: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many requests it applies to.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Default)]
pub struct Faults(Vec<Fault>);

impl Faults {
    pub fn add(&mut self, fault: Fault) {
        if fault.count > 0 {
            self.0.push(fault);
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The first pending fault for `method`, used up by one.
    pub fn take(&mut self, method: &str) -> Option<FaultKind> {
        let index = self
            .0
            .iter()
            .position(|f| f.method.as_deref().is_none_or(|m| m == method))?;
        let fault = &mut self.0[index];
        fault.count -= 1;
        let kind = fault.kind.clone();
        if fault.count == 0 {
            self.0.remove(index);
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_up_in_order_and_by_method() {
        let mut faults = Faults::default();
        let fault: Fault = serde_json::from_str(
            r#"{"kind":"ratelimit","retry_after":2,"method":"chat.postMessage","count":2}"#,
        )
        .unwrap();
        faults.add(fault);
        faults.add(Fault {
            method: None,
            kind: FaultKind::Html,
            count: 1,
        });
        assert_eq!(faults.take("auth.test"), Some(FaultKind::Html));
        assert_eq!(faults.take("auth.test"), None);
        assert_eq!(
            faults.take("chat.postMessage"),
            Some(FaultKind::Ratelimit { retry_after: 2 })
        );
        assert_eq!(
            faults.take("chat.postMessage"),
            Some(FaultKind::Ratelimit { retry_after: 2 })
        );
        assert_eq!(faults.take("chat.postMessage"), None);
    }
}
