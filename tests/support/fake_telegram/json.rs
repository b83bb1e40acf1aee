//! Telegram JSON shapes shared by the update builders and the fake server's answers.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// Chat id the fake server uses when a request addresses a chat by `@username`.
pub const USERNAME_CHAT_ID: i64 = -1_001_000_000_001;

/// Bot user id used in built updates (matches the test token `123:TEST`); answers use the id
/// from the request's token.
pub const FAKE_BOT_ID: i64 = 123;

/// Current Unix time in seconds.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A human user (`is_bot: false`); `language_code` is omitted when `None`.
pub fn user(id: i64, language_code: Option<&str>) -> Value {
    let mut user = json!({
        "id": id,
        "is_bot": false,
        "first_name": format!("User{id}"),
        "username": format!("user{id}"),
    });
    if let (Some(lang), Some(obj)) = (language_code, user.as_object_mut()) {
        obj.insert("language_code".into(), Value::from(lang));
    }
    user
}

/// The fake bot's own user.
pub fn bot_user(bot_id: i64) -> Value {
    json!({"id": bot_id, "is_bot": true, "first_name": "FakeBot", "username": "fake_postgate_bot"})
}

/// A chat: positive ids are private chats, negative ids supergroups.
pub fn chat(chat_id: i64) -> Value {
    if chat_id > 0 {
        json!({"id": chat_id, "type": "private", "first_name": format!("User{chat_id}")})
    } else {
        json!({"id": chat_id, "type": "supergroup", "title": format!("Chat {chat_id}")})
    }
}

/// The skeleton every message has.
pub fn message(from: &Value, chat_id: i64, message_id: i32) -> Value {
    json!({"message_id": message_id, "date": now(), "chat": chat(chat_id), "from": from})
}

/// Sets `key` on a JSON object (no-op on other values).
pub fn set(target: &mut Value, key: &str, value: impl Into<Value>) {
    if let Some(obj) = target.as_object_mut() {
        obj.insert(key.to_owned(), value.into());
    }
}

/// Text plus `bot_command` entity when the text starts with `/` (as Telegram sends it).
pub fn set_text(message: &mut Value, field: &str, text: &str) {
    set(message, field, text);
    let entities_field = if field == "text" { "entities" } else { "caption_entities" };
    if let Some(obj) = message.as_object_mut() {
        obj.remove(entities_field);
    }
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        let length = command.encode_utf16().count();
        set(message, entities_field, json!([{"type": "bot_command", "offset": 0, "length": length}]));
    }
}

fn file(file_id: &str, file_unique_id: &str) -> Value {
    json!({"file_id": file_id, "file_unique_id": file_unique_id, "file_size": 2048})
}

fn with(mut base: Value, extra: &Value) -> Value {
    if let (Some(obj), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        obj.extend(extra.clone());
    }
    base
}

/// The media field value for a message of `kind`: `photo` is an array of sizes, the rest objects.
/// Kinds: `photo`, `video`, `animation`, `document`, `audio`, `voice`, `video_note`, `sticker`.
pub fn media(kind: &str, file_id: &str, file_unique_id: &str) -> Value {
    let base = file(file_id, file_unique_id);
    match kind {
        "photo" => json!([
            with(
                file(&format!("{file_id}-small"), &format!("{file_unique_id}-small")),
                &json!({"width": 90, "height": 60})
            ),
            with(base, &json!({"width": 1280, "height": 853})),
        ]),
        "video" => with(base, &json!({"width": 1280, "height": 720, "duration": 5, "mime_type": "video/mp4"})),
        "animation" => with(
            base,
            &json!({"width": 320, "height": 240, "duration": 2, "file_name": "anim.mp4", "mime_type": "video/mp4"}),
        ),
        "audio" => with(base, &json!({"duration": 30, "title": "Track", "mime_type": "audio/mpeg"})),
        "voice" => with(base, &json!({"duration": 3, "mime_type": "audio/ogg"})),
        "video_note" => with(base, &json!({"length": 240, "duration": 4})),
        "sticker" => with(
            base,
            &json!({"width": 512, "height": 512, "type": "regular", "is_animated": false, "is_video": false, "emoji": "🙂"}),
        ),
        _ => with(base, &json!({"file_name": "file.bin", "mime_type": "application/octet-stream"})),
    }
}

/// Adds the media field of `kind` to a message (plus the legacy `document` field for animations).
pub fn attach_media(message: &mut Value, kind: &str, file_id: &str, file_unique_id: &str) {
    set(message, kind, media(kind, file_id, file_unique_id));
    if kind == "animation" {
        set(message, "document", media("document", file_id, file_unique_id));
    }
}

/// A `ChatMember` for `getChatMember` / `getChatAdministrators`.
pub fn chat_member(user_id: i64, admin: bool) -> Value {
    if admin {
        json!({
            "user": user(user_id, None),
            "status": "administrator",
            "is_anonymous": false,
            "can_be_edited": false,
            "can_manage_chat": true,
            "can_change_info": true,
            "can_delete_messages": true,
            "can_manage_video_chats": true,
            "can_invite_users": true,
            "can_restrict_members": true,
            "can_promote_members": false,
            "can_pin_messages": true,
        })
    } else {
        json!({"user": user(user_id, None), "status": "member"})
    }
}

/// A `ChatFullInfo` for `getChat`.
pub fn chat_full_info(chat_id: i64) -> Value {
    let mut info = chat(chat_id);
    set(&mut info, "accent_color_id", 0);
    set(&mut info, "max_reaction_count", 11);
    set(
        &mut info,
        "accepted_gift_types",
        json!({"unlimited_gifts": false, "limited_gifts": false, "unique_gifts": false, "premium_subscription": false}),
    );
    info
}
