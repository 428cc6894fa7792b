//! Turn an HTTP answer (status, headers, body bytes) into Slack's `ok` payload or a typed error.

use super::error::{ApiError, CallError, TransportError};
use super::error_code::ErrorCode;
use super::scopes::Scopes;

/// A successful (`"ok": true`) Slack answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub body: serde_json::Value,
    pub token_scopes: Option<Scopes>,
    pub accepted_scopes: Option<Scopes>,
    /// Slack's `warning`, when an ok call still had something to say.
    pub warning: Option<String>,
}

/// The headers of an answer that matter to us, already read out of whatever HTTP type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerHeaders {
    pub content_type: Option<String>,
    pub oauth_scopes: Option<String>,
    pub accepted_oauth_scopes: Option<String>,
    pub retry_after: Option<String>,
}

/// Parse one answer. Pure: no I/O, never panics, whatever the bytes.
pub fn parse_answer(
    method: &str,
    status: u16,
    headers: &AnswerHeaders,
    body: &[u8],
) -> Result<ApiResponse, CallError> {
    let retry_after = headers
        .retry_after
        .as_deref()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let token_scopes = headers.oauth_scopes.as_deref().map(Scopes::parse);
    let accepted_scopes = headers.accepted_oauth_scopes.as_deref().map(Scopes::parse);

    let json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .filter(serde_json::Value::is_object);
    let Some(json) = json else {
        if status == 429 {
            // A rate limit is a rate limit whatever the body looks like.
            return Err(api_error(
                method,
                ErrorCode::Ratelimited,
                status,
                serde_json::Value::Null,
                (token_scopes, accepted_scopes, retry_after),
            ));
        }
        return Err(CallError::Transport(TransportError::NotJson {
            status,
            what: describe_non_json(headers.content_type.as_deref(), body),
        }));
    };

    let ok = json.get("ok").and_then(serde_json::Value::as_bool);
    if ok == Some(true) && status < 400 {
        let warning = json
            .get("warning")
            .and_then(serde_json::Value::as_str)
            .map(super::error_code::printable_code);
        return Ok(ApiResponse {
            body: json,
            token_scopes,
            accepted_scopes,
            warning,
        });
    }
    let code = match json.get("error").and_then(serde_json::Value::as_str) {
        Some(code) => ErrorCode::parse(code),
        None if status == 429 => ErrorCode::Ratelimited,
        None => ErrorCode::Other(format!("http_{status}")),
    };
    Err(api_error(
        method,
        code,
        status,
        json,
        (token_scopes, accepted_scopes, retry_after),
    ))
}

fn api_error(
    method: &str,
    code: ErrorCode,
    status: u16,
    body: serde_json::Value,
    (token_scopes, accepted_scopes, retry_after): (Option<Scopes>, Option<Scopes>, Option<u64>),
) -> CallError {
    let scope_field = |name: &str| body.get(name).and_then(|v| v.as_str()).map(Scopes::parse);
    CallError::Api(Box::new(ApiError {
        method: method.to_owned(),
        needed: scope_field("needed"),
        provided: scope_field("provided"),
        code,
        http_status: status,
        token_scopes,
        accepted_scopes,
        retry_after,
        body,
    }))
}

/// A short, safe description of a body that is not JSON: an HTML page's title, or its kind.
/// The body itself is never echoed, since a proxy page could carry anything.
fn describe_non_json(content_type: Option<&str>, body: &[u8]) -> String {
    if body.iter().all(u8::is_ascii_whitespace) {
        return "an empty body".to_owned();
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let lower = text.to_ascii_lowercase();
    let is_html = content_type.is_some_and(|c| c.contains("html"))
        || lower.contains("<html")
        || lower.contains("<!doctype");
    if !is_html {
        return "a body that is not JSON".to_owned();
    }
    let title = lower.find("<title>").and_then(|start| {
        let rest = &text[start + 7..];
        rest.to_ascii_lowercase()
            .find("</title>")
            .map(|end| rest[..end].trim().to_owned())
    });
    match title {
        Some(t) if !t.is_empty() => {
            let clean: String = t.chars().filter(|c| !c.is_control()).take(80).collect();
            format!("an HTML page (\"{clean}\")")
        }
        _ => "an HTML page".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> AnswerHeaders {
        AnswerHeaders::default()
    }

    #[test]
    fn ok_answer_carries_scopes_and_warning() {
        let h = AnswerHeaders {
            oauth_scopes: Some("chat:write, users:read".into()),
            accepted_oauth_scopes: Some("chat:write".into()),
            ..headers()
        };
        let r = parse_answer(
            "chat.postMessage",
            200,
            &h,
            br#"{"ok":true,"warning":"superfluous_charset"}"#,
        )
        .unwrap();
        assert_eq!(r.token_scopes.unwrap().to_csv(), "chat:write,users:read");
        assert_eq!(r.accepted_scopes.unwrap().to_csv(), "chat:write");
        assert_eq!(r.warning.as_deref(), Some("superfluous_charset"));
    }

    #[test]
    fn missing_scope_carries_needed_and_provided() {
        let body = br#"{"ok":false,"error":"missing_scope","needed":"groups:history","provided":"channels:history,reactions:read"}"#;
        let err = parse_answer("conversations.history", 200, &headers(), body).unwrap_err();
        let api = err.api().unwrap();
        assert_eq!(api.code, ErrorCode::MissingScope);
        assert_eq!(api.needed.as_ref().unwrap().to_csv(), "groups:history");
        assert_eq!(
            api.provided.as_ref().unwrap().to_csv(),
            "channels:history,reactions:read"
        );
        let line = err.to_string();
        assert!(line.contains("missing_scope"), "{line}");
        assert!(line.contains("needed: groups:history"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn rate_limit_reads_retry_after_even_without_json() {
        let h = AnswerHeaders {
            retry_after: Some("30".into()),
            ..headers()
        };
        let err = parse_answer("chat.postMessage", 429, &h, b"Too Many Requests").unwrap_err();
        let api = err.api().unwrap();
        assert_eq!(api.code, ErrorCode::Ratelimited);
        assert_eq!(api.retry_after, Some(30));
        assert!(err.is_transient());
    }

    #[test]
    fn html_error_page_is_a_transport_error_with_its_title() {
        let h = AnswerHeaders {
            content_type: Some("text/html".into()),
            ..headers()
        };
        let body =
            b"<html><head><title>502 Bad Gateway</title></head><body>xoxb-secret</body></html>";
        let err = parse_answer("auth.test", 502, &h, body).unwrap_err();
        let line = err.to_string();
        assert_eq!(
            line,
            "Slack answered HTTP 502 with an HTML page (\"502 Bad Gateway\") instead of JSON"
        );
        assert!(err.is_transient());
    }

    #[test]
    fn empty_and_junk_bodies_are_transport_errors() {
        for (body, what) in [
            (&b""[..], "an empty body"),
            (&b"\xff\xfe garbage"[..], "a body that is not JSON"),
            (&b"[1,2,3]"[..], "a body that is not JSON"),
            (&b"{\"ok\":tr"[..], "a body that is not JSON"),
        ] {
            let err = parse_answer("auth.test", 200, &headers(), body).unwrap_err();
            assert!(err.to_string().contains(what), "{err}");
        }
    }

    #[test]
    fn error_without_code_names_the_status() {
        let err = parse_answer("auth.test", 500, &headers(), br#"{"ok":false}"#).unwrap_err();
        assert_eq!(err.api().unwrap().code.as_str(), "http_500");
        assert!(err.is_transient());
    }

    #[test]
    fn ok_true_with_error_status_is_not_success() {
        let err = parse_answer("auth.test", 503, &headers(), br#"{"ok":true}"#).unwrap_err();
        assert_eq!(err.api().unwrap().http_status, 503);
    }
}
