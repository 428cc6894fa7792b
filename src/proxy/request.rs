//! Reading an app's request: its proxy key, from wherever a Slack client may put it (the
//! `Authorization` header, the query, a form, JSON or multipart body), cut out of the
//! bytes so that the rest reaches Slack exactly as sent; and its arguments, for the
//! failed-call log.

use super::credential::{self, Found, Unreadable};
use crate::engine::Passthrough;
use crate::engine::{Arguments, ProxyRequest};
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
    /// Two different credentials in one request: which one is meant is not guessed.
    TwoCredentials,
    /// A JSON body that is not one JSON object: where its credential is cannot be told.
    UnreadableJson,
    /// A multipart body whose parts cannot be found.
    UnreadableForm,
}

impl Unusable {
    pub fn code(self) -> &'static str {
        match self {
            Unusable::NotAuthed => "not_authed",
            Unusable::SlackToken | Unusable::TwoCredentials => "invalid_auth",
            Unusable::UnreadableJson => "invalid_json",
            Unusable::UnreadableForm => "invalid_form_data",
        }
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// The `boundary` parameter of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// The credentials a body carries, and the body without them.
fn body_credentials(kind: &str, content_type: &str, body: &[u8]) -> Result<Found, Unusable> {
    if body.is_empty() {
        return Ok(Found::default());
    }
    if kind.starts_with("application/x-www-form-urlencoded") {
        Ok(credential::form_fields(body))
    } else if kind.starts_with("application/json") {
        credential::json_members(body).map_err(|Unreadable| Unusable::UnreadableJson)
    } else if kind.starts_with("multipart/form-data") {
        let boundary = boundary(content_type).ok_or(Unusable::UnreadableForm)?;
        credential::multipart_parts(body, boundary).map_err(|Unreadable| Unusable::UnreadableForm)
    } else {
        Ok(Found::default())
    }
}

/// A form's fields or a JSON object's members, for the failed-call log.
fn arguments(kind: &str, body: &[u8]) -> Vec<(String, String)> {
    if kind.starts_with("application/x-www-form-urlencoded") {
        url::form_urlencoded::parse(body).into_owned().collect()
    } else if kind.starts_with("application/json") {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(fields)) => fields
                .into_iter()
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k, text)
                })
                .collect(),
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    }
}

/// Every argument of a request, from its query and its body, for a scoped key: given twice
/// (in one place or in both) or in a body xox cannot read, they are unclear, and a scoped
/// key's request is refused rather than guessed at.
fn every_argument(query: Option<&str>, kind: &str, content_type: &str, body: &[u8]) -> Arguments {
    let mut all: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let from_body = if body.is_empty() {
        Ok(Vec::new())
    } else if kind.starts_with("application/x-www-form-urlencoded") {
        Ok(url::form_urlencoded::parse(body).into_owned().collect())
    } else if kind.starts_with("application/json") {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(_)) => Ok(arguments(kind, body)),
            _ => Err("a JSON body that is not one object".to_owned()),
        }
    } else if kind.starts_with("multipart/form-data") {
        boundary(content_type)
            .and_then(|b| credential::multipart_fields(body, b).ok())
            .ok_or_else(|| "a multipart body whose parts cannot be read".to_owned())
    } else {
        Err(format!(
            "a body of type {:?}, which xox does not read",
            crate::engine::text::one_line(kind)
        ))
    };
    match from_body {
        Ok(fields) => all.extend(fields),
        Err(why) => return Arguments::Unreadable(why),
    }
    let mut names: Vec<&str> = all.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
        return Arguments::Unreadable(format!(
            "{} is given twice",
            crate::engine::text::one_line(twice[0])
        ));
    }
    Arguments::Read(all)
}

/// `method`'s request as the app sent it, its credential cut out of it.
pub fn read(
    method: &str,
    get: bool,
    headers: &HeaderMap,
    query: Option<String>,
    body: Bytes,
) -> Result<ProxyRequest, Unusable> {
    let content_type = header_text(headers, header::CONTENT_TYPE);
    let kind = content_type.as_deref().unwrap_or("").to_ascii_lowercase();
    let mut keys: Vec<String> = header_text(headers, header::AUTHORIZATION)
        .as_deref()
        .and_then(credential::bearer)
        .map(str::to_owned)
        .into_iter()
        .collect();
    let in_query = credential::form_fields(query.as_deref().unwrap_or("").as_bytes());
    keys.extend(in_query.values);
    let query = match in_query.edited {
        // What the query was without its `token` fields: only those bytes went.
        Some(edited) => Some(String::from_utf8(edited).unwrap_or_default()),
        None => query,
    };
    let in_body = body_credentials(&kind, content_type.as_deref().unwrap_or(""), &body)?;
    keys.extend(in_body.values);
    let body = in_body.edited.map_or(body, Bytes::from);
    let key = keys.first().cloned().ok_or(Unusable::NotAuthed)?;
    if keys.iter().any(|k| *k != key) {
        return Err(Unusable::TwoCredentials);
    }
    if key.is_empty() {
        return Err(Unusable::NotAuthed);
    }
    if TokenType::classify(&key) != TokenType::Unknown {
        return Err(Unusable::SlackToken);
    }
    let mut params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    params.extend(arguments(&kind, &body));
    let arguments = every_argument(
        query.as_deref(),
        &kind,
        content_type.as_deref().unwrap_or(""),
        &body,
    );
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
        arguments,
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
    fn the_bearer_header_is_read_and_slack_tokens_or_nothing_are_refused() {
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

    #[test]
    fn every_argument_is_read_from_query_and_body_or_the_request_is_unclear() {
        let form = "application/x-www-form-urlencoded";
        assert_eq!(
            every_argument(Some("a=1"), form, form, b"channel=C1"),
            Arguments::Read(vec![
                ("a".into(), "1".into()),
                ("channel".into(), "C1".into())
            ])
        );
        let twice = every_argument(Some("channel=C1"), form, form, b"channel=C2");
        assert_eq!(
            twice,
            Arguments::Unreadable("channel is given twice".into())
        );
        let multipart = "multipart/form-data; boundary=XX";
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\nC9\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nbytes\r\n--XX--\r\n";
        assert_eq!(
            every_argument(None, multipart, multipart, body),
            Arguments::Read(vec![
                ("channel".into(), "C9".into()),
                ("file".into(), String::new())
            ])
        );
        assert!(matches!(
            every_argument(None, "text/plain", "text/plain", b"channel=C1"),
            Arguments::Unreadable(_)
        ));
        assert!(matches!(
            every_argument(None, "application/json", "application/json", b"[1]"),
            Arguments::Unreadable(_)
        ));
        assert_eq!(
            every_argument(None, "", "", b""),
            Arguments::Read(Vec::new())
        );
    }
}
