//! The Web API methods the simulator serves, with their scopes and accepted token kinds.

/// One simulated method. Scope lists are alternatives: any one of them is enough, and a
/// `missing_scope` answer lists them all in `needed`, as Slack does.
pub struct SimMethod {
    pub name: &'static str,
    pub bot_scopes: Option<&'static [&'static str]>,
    pub user_scopes: Option<&'static [&'static str]>,
    /// Required arguments; a missing one answers `invalid_arguments`.
    pub required: &'static [&'static str],
}

macro_rules! methods {
    ($($name:literal => bot $bot:expr, user $user:expr, required $req:expr;)*) => {
        pub const METHODS: &[SimMethod] = &[
            $(SimMethod { name: $name, bot_scopes: $bot, user_scopes: $user, required: $req },)*
        ];
    };
}

const NONE: Option<&[&str]> = None;
const CONVERSATIONS_READ: &[&str] = &["channels:read", "groups:read", "im:read", "mpim:read"];
const CONVERSATIONS_HISTORY: &[&str] = &[
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
];

methods! {
    "chat.postMessage" => bot Some(&["chat:write"]), user Some(&["chat:write"]), required &["channel"];
    "chat.update" => bot Some(&["chat:write"]), user Some(&["chat:write"]), required &["channel", "ts"];
    "conversations.list" => bot Some(CONVERSATIONS_READ), user Some(CONVERSATIONS_READ), required &[];
    "conversations.info" => bot Some(CONVERSATIONS_READ), user Some(CONVERSATIONS_READ), required &["channel"];
    "conversations.history" => bot Some(CONVERSATIONS_HISTORY), user Some(CONVERSATIONS_HISTORY), required &["channel"];
    "conversations.join" => bot Some(&["channels:join"]), user Some(&["channels:write"]), required &["channel"];
    "users.list" => bot Some(&["users:read"]), user Some(&["users:read"]), required &[];
    "users.info" => bot Some(&["users:read"]), user Some(&["users:read"]), required &["user"];
    "users.profile.set" => bot NONE, user Some(&["users.profile:write"]), required &[];
    "search.messages" => bot NONE, user Some(&["search:read"]), required &["query"];
    "stars.add" => bot NONE, user Some(&["stars:write"]), required &[];
    "reactions.add" => bot Some(&["reactions:write"]), user Some(&["reactions:write"]), required &["channel", "name", "timestamp"];
    "team.info" => bot Some(&["team:read"]), user Some(&["team:read"]), required &[];
    "assistant.threads.setStatus" => bot Some(&["chat:write"]), user NONE, required &["channel_id", "thread_ts", "status"];
    "apps.connections.open" => bot NONE, user NONE, required &[];
}

pub fn find(name: &str) -> Option<&'static SimMethod> {
    METHODS.iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_only_methods_have_no_bot_scopes() {
        let search = find("search.messages").unwrap();
        assert!(search.bot_scopes.is_none());
        assert_eq!(search.user_scopes.unwrap(), &["search:read"]);
        assert!(find("nope.nope").is_none());
    }
}
