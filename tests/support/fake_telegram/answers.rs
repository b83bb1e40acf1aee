//! Default successful `result`s of the fake Bot API, one arm per supported method.

use serde_json::{Value, json};

use super::json::{self as tg, set};
use super::state::{State, field_i64, field_json, field_str};

/// Methods answered with plain `true`.
const TRUE_METHODS: &[&str] = &[
    "deletewebhook",
    "setwebhook",
    "close",
    "logout",
    "answercallbackquery",
    "answerinlinequery",
    "deletemessage",
    "deletemessages",
    "banchatmember",
    "unbanchatmember",
    "restrictchatmember",
    "promotechatmember",
    "approvechatjoinrequest",
    "declinechatjoinrequest",
    "sendchataction",
    "setmessagereaction",
    "pinchatmessage",
    "unpinchatmessage",
    "unpinallchatmessages",
    "leavechat",
    "setmycommands",
    "deletemycommands",
    "setmydescription",
    "setmyshortdescription",
    "setmyname",
    "setchatmenubutton",
];

/// Media kinds by send method.
pub const SEND_MEDIA: &[(&str, &str)] = &[
    ("sendphoto", "photo"),
    ("sendvideo", "video"),
    ("sendanimation", "animation"),
    ("senddocument", "document"),
    ("sendaudio", "audio"),
    ("sendvoice", "voice"),
    ("sendvideonote", "video_note"),
    ("sendsticker", "sticker"),
];

/// `file_path` that `getFile` reports for a file id.
pub fn file_path_for(file_id: &str) -> String {
    format!("files/{file_id}")
}

/// Bytes served for a `file_path` nobody configured.
pub fn default_file_bytes(file_path: &str) -> Vec<u8> {
    format!("fake telegram file {file_path}\n").into_bytes()
}

/// The chat a request addresses: numeric ids as-is, `@username` → [`tg::USERNAME_CHAT_ID`].
pub fn chat_id_of(body: &Value, field: &str) -> i64 {
    match body.get(field) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(tg::USERNAME_CHAT_ID),
        _ => 0,
    }
}

/// The `result` for a known method, or `None` when the method is unknown.
pub fn answer(state: &mut State, bot_id: i64, method: &str, body: &Value) -> Option<Value> {
    if let Some(result) = state.overrides.get(method) {
        return Some(result.clone());
    }
    if TRUE_METHODS.contains(&method) {
        return Some(Value::Bool(true));
    }
    if let Some((_, kind)) = SEND_MEDIA.iter().find(|(m, _)| *m == method) {
        return Some(send(state, bot_id, body, Some(kind)));
    }
    let result = match method {
        "getme" => json!({
            "id": bot_id, "is_bot": true, "first_name": "FakeBot", "username": "fake_postgate_bot",
            "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false,
        }),
        "sendmessage" => send(state, bot_id, body, None),
        "sendmediagroup" => send_media_group(state, bot_id, body),
        "copymessage" => json!({ "message_id": state.next_message_id(chat_id_of(body, "chat_id")) }),
        "copymessages" | "forwardmessages" => {
            let chat_id = chat_id_of(body, "chat_id");
            let count = field_json(body, "message_ids").and_then(|v| v.as_array().map(Vec::len)).unwrap_or(0);
            (0..count).map(|_| json!({ "message_id": state.next_message_id(chat_id) })).collect()
        }
        "forwardmessage" => forward(state, bot_id, body),
        "editmessagetext" | "editmessagecaption" | "editmessagereplymarkup" | "editmessagemedia" => {
            edit(state, bot_id, method, body)
        }
        "getchatadministrators" => state.admins.iter().map(|&id| tg::chat_member(id, true)).collect(),
        "getchatmember" => {
            let user_id = field_i64(body, "user_id").unwrap_or(0);
            tg::chat_member(user_id, state.admins.contains(&user_id))
        }
        "getchatmembercount" => Value::from(2),
        "getfile" => {
            let file_id = field_str(body, "file_id").unwrap_or_default();
            let path = file_path_for(&file_id);
            let size = state.files.get(&path).map_or_else(|| default_file_bytes(&path).len(), Vec::len);
            json!({"file_id": file_id, "file_unique_id": format!("u-{file_id}"), "file_size": size, "file_path": path})
        }
        "getchat" => tg::chat_full_info(chat_id_of(body, "chat_id")),
        "getwebhookinfo" => {
            json!({"url": "", "has_custom_certificate": false, "pending_update_count": state.updates.len()})
        }
        "getmycommands" => json!([]),
        _ => return None,
    };
    Some(result)
}

/// A file id for the media a request sent: a reused `file_id` is echoed, uploads
/// (`attach://…`) and URLs get a generated id.
fn media_file_id(state: &mut State, kind: &str, media: Option<&Value>) -> String {
    match media.and_then(Value::as_str) {
        Some(id) if !id.starts_with("attach://") && !id.contains("://") => id.to_owned(),
        _ => {
            state.generated_files += 1;
            let id = format!("fake-{kind}-{}", state.generated_files);
            state.file_ids.insert(id.clone());
            id
        }
    }
}

/// Echoes an inline keyboard (the only markup a `Message` carries); other markup is dropped.
fn apply_markup(message: &mut Value, body: &Value) {
    match field_json(body, "reply_markup") {
        Some(markup) if markup.get("inline_keyboard").is_some() => set(message, "reply_markup", markup),
        _ => {
            if let Some(obj) = message.as_object_mut() {
                obj.remove("reply_markup");
            }
        }
    }
}

/// The text (or caption) and entities of a message the bot sent, exactly as it sent them.
fn set_sent_text(message: &mut Value, body: &Value, field: &str, entities: &str) {
    set(message, field, field_str(body, field).unwrap_or_default());
    match field_json(body, entities).filter(|e| e.as_array().is_some_and(|a| !a.is_empty())) {
        Some(list) => set(message, entities, list),
        None => {
            if let Some(obj) = message.as_object_mut() {
                obj.remove(entities);
            }
        }
    }
}

fn store(state: &mut State, message: Value) -> Value {
    let chat_id = message.pointer("/chat/id").and_then(Value::as_i64).unwrap_or(0);
    let id = message.get("message_id").and_then(Value::as_i64).and_then(|i| i32::try_from(i).ok()).unwrap_or(0);
    state.sent.insert((chat_id, id), message.clone());
    message
}

fn new_message(state: &mut State, bot_id: i64, chat_id: i64) -> Value {
    let message_id = state.next_message_id(chat_id);
    tg::message(&tg::bot_user(bot_id), chat_id, message_id)
}

/// `sendMessage` (kind `None`) and the single-media send methods.
fn send(state: &mut State, bot_id: i64, body: &Value, kind: Option<&str>) -> Value {
    let mut message = new_message(state, bot_id, chat_id_of(body, "chat_id"));
    match kind {
        None => set_sent_text(&mut message, body, "text", "entities"),
        Some(kind) => {
            let file_id = media_file_id(state, kind, body.get(kind));
            tg::attach_media(&mut message, kind, &file_id, &format!("u-{file_id}"));
            if body.get("caption").is_some() {
                set_sent_text(&mut message, body, "caption", "caption_entities");
            }
        }
    }
    apply_markup(&mut message, body);
    store(state, message)
}

fn send_media_group(state: &mut State, bot_id: i64, body: &Value) -> Value {
    let chat_id = chat_id_of(body, "chat_id");
    let items = field_json(body, "media").and_then(|v| v.as_array().cloned()).unwrap_or_default();
    state.media_groups += 1;
    let group = format!("fake-album-{}", state.media_groups);
    let mut messages = Vec::with_capacity(items.len());
    for item in &items {
        let kind = item.get("type").and_then(Value::as_str).unwrap_or("photo");
        let file_id = media_file_id(state, kind, item.get("media"));
        let mut message = new_message(state, bot_id, chat_id);
        tg::attach_media(&mut message, kind, &file_id, &format!("u-{file_id}"));
        if item.get("caption").is_some() {
            set_sent_text(&mut message, item, "caption", "caption_entities");
        }
        set(&mut message, "media_group_id", group.as_str());
        messages.push(store(state, message));
    }
    Value::Array(messages)
}

/// A copy of the forwarded message when the fake bot sent it, else a text placeholder.
fn forward(state: &mut State, bot_id: i64, body: &Value) -> Value {
    let from_chat = chat_id_of(body, "from_chat_id");
    let source_id = field_i64(body, "message_id").and_then(|i| i32::try_from(i).ok()).unwrap_or(0);
    let chat_id = chat_id_of(body, "chat_id");
    let message_id = state.next_message_id(chat_id);
    let mut message = match state.sent.get(&(from_chat, source_id)) {
        Some(original) => original.clone(),
        None => json!({"text": "(forwarded message)"}),
    };
    set(&mut message, "message_id", message_id);
    set(&mut message, "date", tg::now());
    set(&mut message, "chat", tg::chat(chat_id));
    set(&mut message, "from", tg::bot_user(bot_id));
    store(state, message)
}

/// Edits a message the fake bot sent (or a stand-in for one it does not know); inline messages
/// answer `true` like Telegram.
fn edit(state: &mut State, bot_id: i64, method: &str, body: &Value) -> Value {
    if body.get("inline_message_id").is_some() {
        return Value::Bool(true);
    }
    let chat_id = chat_id_of(body, "chat_id");
    let message_id = field_i64(body, "message_id").and_then(|i| i32::try_from(i).ok()).unwrap_or(0);
    let mut message = state.sent.get(&(chat_id, message_id)).cloned().unwrap_or_else(|| {
        let mut stand_in = tg::message(&tg::bot_user(bot_id), chat_id, message_id);
        if method == "editmessagetext" || method == "editmessagereplymarkup" {
            set(&mut stand_in, "text", "(original text)");
        } else {
            tg::attach_media(&mut stand_in, "photo", "fake-photo-original", "u-fake-photo-original");
        }
        stand_in
    });
    match method {
        "editmessagetext" => set_sent_text(&mut message, body, "text", "entities"),
        "editmessagecaption" => set_sent_text(&mut message, body, "caption", "caption_entities"),
        "editmessagemedia" => {
            let media = field_json(body, "media").unwrap_or(Value::Null);
            let kind = media.get("type").and_then(Value::as_str).unwrap_or("photo").to_owned();
            if let Some(obj) = message.as_object_mut() {
                for old in ["photo", "video", "animation", "document", "audio", "caption", "caption_entities"] {
                    obj.remove(old);
                }
            }
            let file_id = media_file_id(state, &kind, media.get("media"));
            tg::attach_media(&mut message, &kind, &file_id, &format!("u-{file_id}"));
            if media.get("caption").is_some() {
                set_sent_text(&mut message, &media, "caption", "caption_entities");
            }
        }
        _ => {}
    }
    apply_markup(&mut message, body);
    set(&mut message, "edit_date", tg::now());
    store(state, message)
}
