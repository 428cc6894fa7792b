//! A classic app's install answer (`oauth.access`), made from the same install's v2 answer.

use serde_json::{Value, json};

/// The same install as a classic app's `oauth.access` answered it: the installing user's
/// token at the top level, the bot's under `bot`, the team beside them. Classic apps never
/// rotated and always got the user's token, so a rotating or bot-only install has no such
/// answer.
pub fn legacy_answer(v2: &Value) -> Result<Value, &'static str> {
    let user = &v2["authed_user"];
    let Some(user_token) = user["access_token"].as_str() else {
        return Err(
            "a classic install always carries the installing user's token: ask for user_scopes too",
        );
    };
    if v2.get("refresh_token").is_some() || user.get("refresh_token").is_some() {
        return Err("classic installs never rotated: use an app without token rotation");
    }
    let mut scopes: Vec<&str> = user["scope"].as_str().unwrap_or("").split(',').collect();
    let mut answer = json!({
        "ok": true,
        "access_token": user_token,
        "user_id": user["id"],
        "team_name": v2["team"]["name"],
        "team_id": v2["team"]["id"],
    });
    if let Some(bot_token) = v2["access_token"].as_str() {
        scopes.push("bot");
        answer["bot"] = json!({"bot_user_id": v2["bot_user_id"], "bot_access_token": bot_token});
    }
    if let Some(hook) = v2.get("incoming_webhook") {
        answer["incoming_webhook"] = hook.clone();
    }
    scopes.retain(|s| !s.is_empty());
    answer["scope"] = scopes.join(",").into();
    Ok(answer)
}
