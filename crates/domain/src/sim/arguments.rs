//! Required arguments of the methods the simulator answers in detail; a call without one
//! gets `invalid_arguments`, as on Slack.

pub fn required(method: &str) -> &'static [&'static str] {
    match method {
        "chat.postMessage"
        | "conversations.info"
        | "conversations.history"
        | "conversations.join" => &["channel"],
        "chat.update" => &["channel", "ts"],
        "users.info" => &["user"],
        "search.messages" => &["query"],
        "reactions.add" => &["channel", "name", "timestamp"],
        "assistant.threads.setStatus" => &["channel_id", "thread_ts", "status"],
        _ => &[],
    }
}
