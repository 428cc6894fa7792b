use super::*;
use proptest::prelude::*;

fn edited(found: &Found) -> String {
    String::from_utf8(found.edited.clone().expect("something was cut")).unwrap()
}

#[test]
fn a_form_loses_its_token_fields_and_nothing_else() {
    let found = form_fields(b"x=%E9&flag&token=xpk-1&n=1");
    assert_eq!(found.values, ["xpk-1"]);
    assert_eq!(edited(&found), "x=%E9&flag&n=1");

    let found = form_fields(b"token=KA&a=1&token=KB");
    assert_eq!(found.values, ["KA", "KB"]);
    assert_eq!(edited(&found), "a=1");

    let found = form_fields(b"a=1&token=K&token=K");
    assert_eq!(edited(&found), "a=1");

    // Spelled another way, it is still the credential.
    let found = form_fields(b"tok%65n=K&b=%2B");
    assert_eq!(found.values, ["K"]);
    assert_eq!(edited(&found), "b=%2B");

    assert_eq!(form_fields(b"a=1&&b=2"), Found::default());
    assert_eq!(form_fields(b""), Found::default());
}

#[test]
fn a_json_object_loses_its_token_members_and_keeps_every_byte_else() {
    let body = br#"{ "n": 123456789012345678901,  "token" : "xpk-1" , "z":[1,{"token":"inner"}], "s":"a\"b" }"#;
    let found = json_members(body).unwrap();
    assert_eq!(found.values, ["xpk-1"]);
    assert_eq!(
        edited(&found),
        r#"{ "n": 123456789012345678901,  "z":[1,{"token":"inner"}], "s":"a\"b" }"#
    );

    let found = json_members(br#"{"token":"K","a":1}"#).unwrap();
    assert_eq!(edited(&found), r#"{"a":1}"#);
    let found = json_members(br#"{"a":1,"token":"K"}"#).unwrap();
    assert_eq!(edited(&found), r#"{"a":1}"#);
    let found = json_members(br#"{"token":"K"}"#).unwrap();
    assert_eq!(edited(&found), "{}");
    let found = json_members(br#"{"a":1,"token":"K","token":"L","b":2}"#).unwrap();
    assert_eq!(found.values, ["K", "L"]);
    assert_eq!(edited(&found), r#"{"a":1,"b":2}"#);
    // An escaped name is the same name.
    let found = json_members(br#"{"\u0074oken":"K","a":true}"#).unwrap();
    assert_eq!(found.values, ["K"]);
    assert_eq!(edited(&found), r#"{"a":true}"#);

    assert_eq!(json_members(br#"{"a":null}"#).unwrap(), Found::default());
    for unreadable in [
        &br#"{"token":5}"#[..],
        br#"{"a":"#,
        br#"[{"token":"K"}]"#,
        br#"{"a":1} {"token":"K"}"#,
        br#"{"a" 1}"#,
        b"",
    ] {
        assert_eq!(
            json_members(unreadable),
            Err(Unreadable),
            "{}",
            String::from_utf8_lossy(unreadable)
        );
    }
}

#[test]
fn a_multipart_body_loses_its_token_part_whole() {
    let part = |name: &str, value: &str| {
        format!("--XB\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    };
    let file = "--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\u{1}\u{2}--X\r\n";
    let body = format!(
        "{}{}{file}--XB--\r\n",
        part("channel", "C1"),
        part("token", "xpk-1")
    );
    let found = multipart_parts(body.as_bytes(), "XB").unwrap();
    assert_eq!(found.values, ["xpk-1"]);
    assert_eq!(
        edited(&found),
        format!("{}{file}--XB--\r\n", part("channel", "C1"))
    );
    let none = format!("{}--XB--\r\n", part("channel", "C1"));
    assert_eq!(
        multipart_parts(none.as_bytes(), "XB").unwrap(),
        Found::default()
    );
    assert_eq!(multipart_parts(b"no parts here", "XB"), Err(Unreadable));
}

#[test]
fn the_bearer_scheme_is_read_in_any_case() {
    assert_eq!(bearer("Bearer xpk-1"), Some("xpk-1"));
    assert_eq!(bearer("bearer xpk-1"), Some("xpk-1"));
    assert_eq!(bearer("BEARER  xpk-1 "), Some("xpk-1"));
    assert_eq!(bearer("Basic dXNlcjpwYXNz"), None);
    assert_eq!(bearer("Bearer "), None);
    assert_eq!(bearer("Bearerxpk-1"), None);
}

proptest! {
    /// Whatever else a form holds, cutting its `token` fields leaves the other fields'
    /// bytes, in their order, joined as before.
    #[test]
    fn cutting_tokens_from_any_form_keeps_the_rest_exactly(
        fields in proptest::collection::vec(
            (prop_oneof![Just("token".to_owned()), "[a-z%0-9+]{0,6}"], "[a-zA-Z0-9%+=.~-]{0,8}"),
            0..8,
        )
    ) {
        let text: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let joined = text.join("&");
        let found = form_fields(joined.as_bytes());
        let rest: Vec<&String> = fields
            .iter()
            .zip(&text)
            .filter(|((k, _), _)| decode_form(k.as_bytes()) != "token")
            .map(|(_, t)| t)
            .collect();
        let expected = rest.iter().map(|t| t.as_str()).collect::<Vec<_>>().join("&");
        match found.edited {
            Some(edited) => prop_assert_eq!(String::from_utf8(edited).unwrap(), expected),
            None => prop_assert_eq!(joined, expected),
        }
    }

    /// JSON objects of any shape: the cut text is still JSON, equal to the object without
    /// its `token` members, and nothing panics on any input.
    #[test]
    fn cutting_tokens_from_any_json_object_keeps_it_json(
        value in proptest::collection::btree_map("[a-z]{1,3}|token", any::<i64>().prop_map(|n| n.to_string()), 0..6),
        junk in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut object = serde_json::Map::new();
        for (k, v) in &value {
            object.insert(k.clone(), serde_json::Value::String(v.clone()));
        }
        let text = serde_json::Value::Object(object.clone()).to_string();
        let found = json_members(text.as_bytes()).unwrap();
        let cut = found.edited.unwrap_or_else(|| text.clone().into_bytes());
        object.remove("token");
        let reparsed: serde_json::Value = serde_json::from_slice(&cut).unwrap();
        prop_assert_eq!(reparsed, serde_json::Value::Object(object));
        let _ = json_members(&junk);
        let _ = multipart_parts(&junk, "b");
        let _ = form_fields(&junk);
    }
}
