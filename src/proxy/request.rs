//! Reading an app's request: its proxy key (Bearer header, or a `token` form or JSON field,
//! which is taken out of the body) and its arguments, for the failed-call log.

use crate::engine::Passthrough;
use crate::engine::ProxyRequest;
use crate::engine::{Secret, TokenType};
use axum::body::Bytes;
use axum::http::{HeaderMap, header};

/// Why a request is answered here without reaching Slack, in Slack's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// No credential at all.
    NotAuthed,
    /// A Slack token where a proxy key belongs: the proxy relays for its keys only.
    SlackToken,
}

impl Unusable {
    pub fn code(self) -> &'static str {
        match self {
            Unusable::NotAuthed => "not_authed",
            Unusable::SlackToken => "invalid_auth",
        }
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// `method`'s request as the app sent it, its credential moved out of it.
pub fn read(
    method: &str,
    get: bool,
    headers: &HeaderMap,
    query: Option<String>,
    body: Bytes,
) -> Result<ProxyRequest, Unusable> {
    let content_type = header_text(headers, header::CONTENT_TYPE);
    let kind = content_type.as_deref().unwrap_or("").to_ascii_lowercase();
    let bearer = header_text(headers, header::AUTHORIZATION)
        .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_owned()));
    let mut params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .filter(|(k, _)| k != "token")
            .collect();
    let mut body_key = None;
    let body = if kind.starts_with("application/x-www-form-urlencoded") {
        let mut form: Vec<(String, String)> =
            url::form_urlencoded::parse(&body).into_owned().collect();
        if let Some(i) = form.iter().position(|(k, _)| k == "token") {
            body_key = Some(form.remove(i).1);
        }
        let rewritten = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        params.extend(form);
        Bytes::from(rewritten)
    } else if kind.starts_with("application/json") {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(serde_json::Value::Object(mut fields)) => {
                if let Some(serde_json::Value::String(key)) = fields.remove("token") {
                    body_key = Some(key);
                }
                params.extend(fields.iter().map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), text)
                }));
                Bytes::from(serde_json::Value::Object(fields).to_string())
            }
            _ => body,
        }
    } else {
        body
    };
    let key = bearer
        .or(body_key)
        .filter(|k| !k.is_empty())
        .ok_or(Unusable::NotAuthed)?;
    if TokenType::classify(&key) != TokenType::Unknown {
        return Err(Unusable::SlackToken);
    }
    Ok(ProxyRequest {
        method: method.to_owned(),
        key: Secret::new(key),
        request: Passthrough {
            get,
            query: query.filter(|q| !q.is_empty()),
            content_type,
            user_agent: header_text(headers, header::USER_AGENT),
            body,
        },
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn a_token_field_is_taken_out_of_forms_and_json() {
        let form = headers(&[(header::CONTENT_TYPE, "application/x-www-form-urlencoded")]);
        let r = read(
            "chat.postMessage",
            false,
            &form,
            None,
            Bytes::from_static(b"channel=C1&token=xpk-abc&text=hi"),
        )
        .unwrap();
        assert_eq!(r.key.expose(), "xpk-abc");
        assert_eq!(r.request.body, &b"channel=C1&text=hi"[..]);
        assert_eq!(
            r.params,
            [
                ("channel".into(), "C1".into()),
                ("text".into(), "hi".into())
            ]
        );

        let json = headers(&[(header::CONTENT_TYPE, "application/json; charset=utf-8")]);
        let r = read(
            "chat.postMessage",
            false,
            &json,
            None,
            Bytes::from_static(br#"{"token":"xpk-j","channel":"C1","n":2}"#),
        )
        .unwrap();
        assert_eq!(r.key.expose(), "xpk-j");
        assert!(!String::from_utf8_lossy(&r.request.body).contains("xpk-j"));
        assert!(r.params.contains(&("n".into(), "2".into())));
    }

    #[test]
    fn the_bearer_header_wins_and_slack_tokens_or_nothing_are_refused() {
        let bearer = headers(&[(header::AUTHORIZATION, "Bearer xpk-h")]);
        let r = read("auth.test", true, &bearer, Some("a=1".into()), Bytes::new()).unwrap();
        assert_eq!(r.key.expose(), "xpk-h");
        assert_eq!(r.params, [("a".into(), "1".into())]);
        let slack = headers(&[(header::AUTHORIZATION, "Bearer xoxb-1-2-3")]);
        assert_eq!(
            read("auth.test", true, &slack, None, Bytes::new()).err(),
            Some(Unusable::SlackToken)
        );
        assert_eq!(
            read("auth.test", true, &HeaderMap::new(), None, Bytes::new()).err(),
            Some(Unusable::NotAuthed)
        );
    }
}
