//! Builders for realistic Telegram updates, and the fake server's long-polling `getUpdates`.
//!
//! Builders return an update *without* `update_id`; `FakeTelegram::push_update` assigns one
//! (or use [`with_update_id`]). Positive chat ids are private chats, negative ids supergroups.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::json::{self as tg, set, set_text};
use super::state::{Inner, field_i64};

/// `getUpdates` never waits longer than this, whatever `timeout` the client asks for,
/// so tests and shutdown stay quick.
pub const LONG_POLL_CAP: Duration = Duration::from_secs(1);

static CALLBACK_IDS: AtomicU64 = AtomicU64::new(1);

/// Sets an explicit `update_id`.
pub fn with_update_id(mut update: Value, update_id: i64) -> Value {
    set(&mut update, "update_id", update_id);
    update
}

fn user_message(from_user_id: i64, chat_id: i64, message_id: i32, language_code: Option<&str>) -> Value {
    tg::message(&tg::user(from_user_id, language_code), chat_id, message_id)
}

/// The message of an update built here (`message`, `edited_message` or the callback's message).
pub fn message_of(update: &Value) -> Option<&Value> {
    update
        .get("message")
        .or_else(|| update.get("edited_message"))
        .or_else(|| update.get("callback_query").and_then(|c| c.get("message")))
}

/// `{"message": {.., "text": text}}`; a leading `/command` gets its `bot_command` entity.
pub fn text_message(
    from_user_id: i64,
    chat_id: i64,
    message_id: i32,
    text: &str,
    language_code: Option<&str>,
) -> Value {
    let mut message = user_message(from_user_id, chat_id, message_id, language_code);
    set_text(&mut message, "text", text);
    json!({ "message": message })
}

/// `{"edited_message": {.., "text": text, "edit_date": now}}`.
pub fn edited_message(
    from_user_id: i64,
    chat_id: i64,
    message_id: i32,
    text: &str,
    language_code: Option<&str>,
) -> Value {
    let mut message = user_message(from_user_id, chat_id, message_id, language_code);
    set_text(&mut message, "text", text);
    set(&mut message, "edit_date", tg::now());
    json!({ "edited_message": message })
}

/// A media message of `kind` (`photo`, `video`, `animation`, `document`, `audio`, `voice`,
/// `video_note`, `sticker`) with optional caption and album id.
pub fn media_message(
    kind: &str,
    from_user_id: i64,
    chat_id: i64,
    message_id: i32,
    file_id: &str,
    file_unique_id: &str,
    caption: Option<&str>,
    media_group_id: Option<&str>,
) -> Value {
    let mut message = user_message(from_user_id, chat_id, message_id, Some("en"));
    tg::attach_media(&mut message, kind, file_id, file_unique_id);
    if let Some(caption) = caption {
        set_text(&mut message, "caption", caption);
    }
    if let Some(group) = media_group_id {
        set(&mut message, "media_group_id", group);
    }
    json!({ "message": message })
}

/// A photo (two sizes, the largest carries `file_id`), optionally captioned and in an album.
pub fn photo_message(
    from_user_id: i64,
    chat_id: i64,
    message_id: i32,
    file_id: &str,
    file_unique_id: &str,
    caption: Option<&str>,
    media_group_id: Option<&str>,
) -> Value {
    media_message("photo", from_user_id, chat_id, message_id, file_id, file_unique_id, caption, media_group_id)
}

/// A video, optionally captioned and in an album.
pub fn video_message(
    from_user_id: i64,
    chat_id: i64,
    message_id: i32,
    file_id: &str,
    file_unique_id: &str,
    caption: Option<&str>,
    media_group_id: Option<&str>,
) -> Value {
    media_message("video", from_user_id, chat_id, message_id, file_id, file_unique_id, caption, media_group_id)
}

/// A document, optionally captioned and in an album.
pub fn document_message(
    from_user_id: i64,
    chat_id: i64,
    message_id: i32,
    file_id: &str,
    file_unique_id: &str,
    caption: Option<&str>,
    media_group_id: Option<&str>,
) -> Value {
    media_message("document", from_user_id, chat_id, message_id, file_id, file_unique_id, caption, media_group_id)
}

/// An animation (GIF), optionally captioned.
pub fn animation_message(
    from_user_id: i64,
    chat_id: i64,
    message_id: i32,
    file_id: &str,
    file_unique_id: &str,
    caption: Option<&str>,
) -> Value {
    media_message("animation", from_user_id, chat_id, message_id, file_id, file_unique_id, caption, None)
}

/// A voice note.
pub fn voice_message(from_user_id: i64, chat_id: i64, message_id: i32, file_id: &str, file_unique_id: &str) -> Value {
    media_message("voice", from_user_id, chat_id, message_id, file_id, file_unique_id, None, None)
}

/// A regular static sticker.
pub fn sticker_message(from_user_id: i64, chat_id: i64, message_id: i32, file_id: &str, file_unique_id: &str) -> Value {
    media_message("sticker", from_user_id, chat_id, message_id, file_id, file_unique_id, None, None)
}

/// A callback query pressed by `from_user_id` on the bot's message (`chat_id`, `message_id`).
pub fn callback_query(from_user_id: i64, data: &str, chat_id: i64, message_id: i32) -> Value {
    let id = CALLBACK_IDS.fetch_add(1, Ordering::Relaxed);
    let mut message = tg::message(&tg::bot_user(tg::FAKE_BOT_ID), chat_id, message_id);
    set(&mut message, "text", "Choose:");
    json!({
        "callback_query": {
            "id": format!("cbq-{id}"),
            "from": tg::user(from_user_id, Some("en")),
            "chat_instance": format!("ci{chat_id}"),
            "data": data,
            "message": message,
        }
    })
}

/// `getUpdates`: confirms by `offset`, returns up to `limit` queued updates, and when there are
/// none waits for a push up to `timeout` seconds (capped at [`LONG_POLL_CAP`]) or shutdown.
/// `None` when a newer `getUpdates` arrived meanwhile: Telegram ends the older of two pollers
/// with 409 Conflict.
pub async fn get_updates(inner: &Inner, body: &Value) -> Option<Value> {
    let offset = field_i64(body, "offset");
    let limit = usize::try_from(field_i64(body, "limit").unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    let wait = Duration::from_secs(u64::try_from(field_i64(body, "timeout").unwrap_or(0)).unwrap_or(0));
    let deadline = tokio::time::Instant::now() + wait.min(LONG_POLL_CAP);
    let generation = {
        let mut state = inner.lock();
        state.poll_generation += 1;
        if let Some(offset) = offset {
            state.confirm(offset);
        }
        state.poll_generation
    };
    inner.updates_changed.notify_waiters();
    loop {
        let notified = inner.updates_changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let batch: Vec<Value> = {
            let state = inner.lock();
            if state.poll_generation != generation {
                return None;
            }
            match offset {
                // Negative offset: the last |offset| updates, nothing confirmed.
                Some(o) if o < 0 => {
                    let n = usize::try_from(o.unsigned_abs()).unwrap_or(usize::MAX);
                    state.updates.iter().skip(state.updates.len().saturating_sub(n)).take(limit).cloned().collect()
                }
                _ => state.updates.iter().take(limit).cloned().collect(),
            }
        };
        if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
            return Some(json!({"ok": true, "result": batch}));
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {}
            () = inner.cancel.cancelled() => return Some(json!({"ok": true, "result": []})),
        }
    }
}

// ---- first-run setup ----

/// A channel as Telegram describes it in updates and `getChat` (`username` without `@`).
pub fn channel_chat(chat_id: i64, title: &str, username: Option<&str>) -> Value {
    let mut chat = json!({"id": chat_id, "type": "channel", "title": title});
    if let Some(name) = username {
        set(&mut chat, "username", name);
    }
    chat
}

/// `getChat`'s answer for a channel (a `ChatFullInfo`: the chat with the fields Telegram always
/// adds to it).
pub fn channel_full_info(chat_id: i64, title: &str, username: Option<&str>) -> Value {
    let mut chat = channel_chat(chat_id, title, username);
    set(&mut chat, "max_reaction_count", 11);
    let gifts =
        json!({"unlimited_gifts": false, "limited_gifts": false, "unique_gifts": false, "premium_subscription": false});
    set(&mut chat, "accepted_gift_types", gifts);
    set(&mut chat, "accent_color_id", 0);
    chat
}

/// The bot's membership in a channel as `getChatMember` reports it: an administrator with or
/// without "Post messages", or (`None`) a plain member.
pub fn bot_in_channel(bot_id: i64, can_post: Option<bool>) -> Value {
    let user = json!({"id": bot_id, "is_bot": true, "first_name": "FakeBot", "username": "fake_postgate_bot"});
    match can_post {
        None => json!({"user": user, "status": "member"}),
        Some(can_post) => json!({
            "user": user, "status": "administrator", "can_be_edited": false, "is_anonymous": false,
            "can_manage_chat": true, "can_delete_messages": false, "can_manage_video_chats": false,
            "can_restrict_members": true, "can_promote_members": false, "can_change_info": true,
            "can_invite_users": true, "can_post_stories": false, "can_edit_stories": false,
            "can_delete_stories": false, "can_post_messages": can_post, "can_edit_messages": false,
        }),
    }
}

/// `{"my_chat_member": …}`: `by_user_id` made the bot an administrator of a channel.
pub fn bot_added_to_channel(by_user_id: i64, bot_id: i64, channel: &Value, can_post: bool) -> Value {
    json!({"my_chat_member": {
        "chat": channel,
        "from": tg::user(by_user_id, None),
        "date": tg::now(),
        "old_chat_member": {"user": bot_in_channel(bot_id, None)["user"].clone(), "status": "left"},
        "new_chat_member": bot_in_channel(bot_id, Some(can_post)),
    }})
}

/// The service message a basic group gets when it becomes the supergroup `to`.
pub fn group_migrated(from_user_id: i64, group_id: i64, message_id: i32, to: i64) -> Value {
    let mut message = tg::message(&tg::user(from_user_id, None), group_id, message_id);
    set(&mut message, "chat", json!({"id": group_id, "type": "group", "title": format!("Chat {group_id}")}));
    set(&mut message, "migrate_to_chat_id", to);
    json!({ "message": message })
}
