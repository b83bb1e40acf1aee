//! Where a forwarded submission came from, as a flag for a second look shows it: a channel or
//! group by its `@username` or title, a user by `@username` or name, a hidden user by the name
//! Telegram gives.

use teloxide::types::{Chat, Message, MessageOrigin, User};

/// The origin of a forwarded message; `None` when it was not forwarded.
pub fn forwarded_from(msg: &Message) -> Option<String> {
    Some(match msg.forward_origin()? {
        MessageOrigin::User { sender_user, .. } => user_name(sender_user),
        MessageOrigin::HiddenUser { sender_user_name, .. } => sender_user_name.clone(),
        MessageOrigin::Chat { sender_chat, .. } => chat_name(sender_chat),
        MessageOrigin::Channel { chat, .. } => chat_name(chat),
    })
}

fn user_name(user: &User) -> String {
    user.username.as_ref().map_or_else(|| user.full_name(), |u| format!("@{u}"))
}

fn chat_name(chat: &Chat) -> String {
    match (chat.username(), chat.title()) {
        (Some(username), _) => format!("@{username}"),
        (None, Some(title)) => title.to_owned(),
        (None, None) => chat.id.0.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(origin: Option<serde_json::Value>) -> Message {
        let mut raw = json!({
            "message_id": 5, "date": 1_700_000_000, "text": "hi",
            "chat": { "id": 10, "type": "private", "first_name": "A" },
            "from": { "id": 10, "is_bot": false, "first_name": "A" }
        });
        if let Some(origin) = origin {
            raw["forward_origin"] = origin;
        }
        serde_json::from_value(raw).unwrap()
    }

    #[test]
    fn channels_users_and_hidden_users() {
        let channel = json!({ "type": "channel", "date": 1, "message_id": 3,
            "chat": { "id": -100_123, "type": "channel", "title": "Новости", "username": "news_ch" } });
        assert_eq!(forwarded_from(&message(Some(channel))).as_deref(), Some("@news_ch"));
        let titled = json!({ "type": "channel", "date": 1, "message_id": 3,
            "chat": { "id": -100_124, "type": "channel", "title": "Закрытый канал" } });
        assert_eq!(forwarded_from(&message(Some(titled))).as_deref(), Some("Закрытый канал"));
        let user = json!({ "type": "user", "date": 1,
            "sender_user": { "id": 7, "is_bot": false, "first_name": "Иван", "last_name": "Петров" } });
        assert_eq!(forwarded_from(&message(Some(user))).as_deref(), Some("Иван Петров"));
        let hidden = json!({ "type": "hidden_user", "date": 1, "sender_user_name": "Скрытый" });
        assert_eq!(forwarded_from(&message(Some(hidden))).as_deref(), Some("Скрытый"));
        assert_eq!(forwarded_from(&message(None)), None);
    }
}
