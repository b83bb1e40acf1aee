//! What Telegram refuses, checked before the fake answers: a wrong token, unknown chats, files,
//! messages and callback queries, texts and captions over their limits (counted in UTF-16 code
//! units, as Telegram counts them), entities outside their text, callback data over 64 bytes,
//! and edits that change nothing. Descriptions are Telegram's own texts, so teloxide maps them
//! to the same `ApiError` variants it would in production.

use serde_json::Value;

use super::answers::{SEND_MEDIA as MEDIA_FIELD, chat_id_of};
use super::state::{State, field_i64, field_json, field_str};

/// Telegram's limits: message text, media caption, callback data (bytes), album size.
pub const MAX_TEXT: usize = 4096;
pub const MAX_CAPTION: usize = 1024;
pub const MAX_CALLBACK_DATA: usize = 64;
pub const MAX_ALBUM: usize = 10;

pub const CHAT_NOT_FOUND: &str = "Bad Request: chat not found";
pub const TEXT_EMPTY: &str = "Bad Request: message text is empty";
pub const TEXT_TOO_LONG: &str = "Bad Request: message is too long";
pub const CAPTION_TOO_LONG: &str = "Bad Request: message caption is too long";
pub const ENTITY_OUT_OF_RANGE: &str = "Bad Request: can't parse entities: entity beyond the end of text";
pub const BUTTON_DATA_INVALID: &str = "Bad Request: BUTTON_DATA_INVALID";
pub const WRONG_FILE_ID: &str = "Bad Request: wrong file identifier/HTTP URL specified";
pub const INVALID_FILE_ID: &str = "Bad Request: wrong file id";
pub const EDIT_NOT_FOUND: &str = "Bad Request: message to edit not found";
pub const DELETE_NOT_FOUND: &str = "Bad Request: message to delete not found";
pub const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content and reply \
                                markup are exactly the same as a current content and reply markup of the message";
pub const QUERY_INVALID: &str = "Bad Request: query is too old and response timeout expired or query id is invalid";
pub const ALBUM_SIZE: &str = "Bad Request: wrong number of messages in the album: 2-10 expected";
pub const UNAUTHORIZED: &str = "Unauthorized";
pub const CONFLICT: &str =
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";

/// Length as Telegram counts it: UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `Err(description)` (HTTP 400) when Telegram would refuse this request.
pub fn check(state: &mut State, method: &str, body: &Value) -> Result<(), &'static str> {
    for field in ["chat_id", "from_chat_id"] {
        if body.get(field).is_some() && !state.chats.contains(&chat_id_of(body, field)) {
            return Err(CHAT_NOT_FOUND);
        }
    }
    keyboard(body)?;
    match method {
        "sendmessage" => text(body, "text", "entities", MAX_TEXT),
        "sendmediagroup" => album(state, body),
        "editmessagetext" => {
            let current = edited(state, body)?;
            text(body, "text", "entities", MAX_TEXT)?;
            unchanged(&current, body, "text", "entities")
        }
        "editmessagecaption" => {
            let current = edited(state, body)?;
            caption(body)?;
            unchanged(&current, body, "caption", "caption_entities")
        }
        "editmessagereplymarkup" => {
            let current = edited(state, body)?;
            if markup_of(&current) == requested_markup(body) { Err(NOT_MODIFIED) } else { Ok(()) }
        }
        "editmessagemedia" => {
            edited(state, body)?;
            let media = field_json(body, "media").unwrap_or(Value::Null);
            known_file(state, media.get("media"), WRONG_FILE_ID)?;
            item_caption(&media)
        }
        "deletemessage" => {
            let key = message_key(body);
            if state.sent.remove(&key).is_some() { Ok(()) } else { Err(DELETE_NOT_FOUND) }
        }
        "answercallbackquery" => {
            let id = field_str(body, "callback_query_id").unwrap_or_default();
            if state.open_callbacks.remove(&id) { Ok(()) } else { Err(QUERY_INVALID) }
        }
        "getfile" => {
            let id = field_str(body, "file_id").unwrap_or_default();
            if state.file_ids.contains(&id) { Ok(()) } else { Err(INVALID_FILE_ID) }
        }
        _ => match MEDIA_FIELD.iter().find(|(m, _)| *m == method) {
            Some((_, field)) => {
                known_file(state, body.get(*field), WRONG_FILE_ID)?;
                caption(body)
            }
            None => Ok(()),
        },
    }
}

/// Text of `field` within `max` UTF-16 units and not empty, its entities inside it.
fn text(body: &Value, field: &str, entities: &str, max: usize) -> Result<(), &'static str> {
    let value = field_str(body, field).unwrap_or_default();
    if value.trim().is_empty() {
        return Err(TEXT_EMPTY);
    }
    if utf16_len(&value) > max {
        return Err(TEXT_TOO_LONG);
    }
    entities_inside(&value, field_json(body, entities).as_ref())
}

fn caption(body: &Value) -> Result<(), &'static str> {
    let value = field_str(body, "caption").unwrap_or_default();
    if utf16_len(&value) > MAX_CAPTION {
        return Err(CAPTION_TOO_LONG);
    }
    entities_inside(&value, field_json(body, "caption_entities").as_ref())
}

/// An album item's caption (items carry `caption` and `caption_entities` as JSON).
fn item_caption(item: &Value) -> Result<(), &'static str> {
    let value = item.get("caption").and_then(Value::as_str).unwrap_or_default();
    if utf16_len(value) > MAX_CAPTION {
        return Err(CAPTION_TOO_LONG);
    }
    entities_inside(value, item.get("caption_entities"))
}

fn entities_inside(text: &str, entities: Option<&Value>) -> Result<(), &'static str> {
    let len = utf16_len(text);
    for entity in entities.and_then(Value::as_array).into_iter().flatten() {
        let offset = entity.get("offset").and_then(Value::as_i64).unwrap_or(-1);
        let length = entity.get("length").and_then(Value::as_i64).unwrap_or(0);
        let end = usize::try_from(offset.saturating_add(length)).unwrap_or(usize::MAX);
        if offset < 0 || length <= 0 || end > len {
            return Err(ENTITY_OUT_OF_RANGE);
        }
    }
    Ok(())
}

fn album(state: &State, body: &Value) -> Result<(), &'static str> {
    let items = field_json(body, "media").and_then(|v| v.as_array().cloned()).unwrap_or_default();
    if !(2..=MAX_ALBUM).contains(&items.len()) {
        return Err(ALBUM_SIZE);
    }
    for item in &items {
        known_file(state, item.get("media"), WRONG_FILE_ID)?;
        item_caption(item)?;
    }
    Ok(())
}

/// A file id must be one the fake knows; uploads (`attach://…`) and URLs are always accepted.
fn known_file(state: &State, media: Option<&Value>, refusal: &'static str) -> Result<(), &'static str> {
    match media.and_then(Value::as_str) {
        Some(id) if id.starts_with("attach://") || id.contains("://") => Ok(()),
        Some(id) if state.file_ids.contains(id) => Ok(()),
        _ => Err(refusal),
    }
}

fn keyboard(body: &Value) -> Result<(), &'static str> {
    let Some(markup) = field_json(body, "reply_markup") else { return Ok(()) };
    let buttons = markup.get("inline_keyboard").and_then(Value::as_array).into_iter().flatten();
    for button in buttons.filter_map(Value::as_array).flatten() {
        if button.get("callback_data").and_then(Value::as_str).is_some_and(|d| d.len() > MAX_CALLBACK_DATA) {
            return Err(BUTTON_DATA_INVALID);
        }
    }
    Ok(())
}

fn message_key(body: &Value) -> (i64, i32) {
    let id = field_i64(body, "message_id").and_then(|i| i32::try_from(i).ok()).unwrap_or(0);
    (chat_id_of(body, "chat_id"), id)
}

/// The message an edit targets, as the fake last left it (inline messages are not tracked).
fn edited(state: &State, body: &Value) -> Result<Value, &'static str> {
    if body.get("inline_message_id").is_some() {
        return Ok(Value::Null);
    }
    state.sent.get(&message_key(body)).cloned().ok_or(EDIT_NOT_FOUND)
}

/// An inline keyboard with rows, or `None` (no markup and an empty keyboard are the same).
fn markup_of(message: &Value) -> Option<Value> {
    message.get("reply_markup").filter(|m| has_rows(m)).cloned()
}

fn requested_markup(body: &Value) -> Option<Value> {
    field_json(body, "reply_markup").filter(has_rows)
}

fn has_rows(markup: &Value) -> bool {
    markup.get("inline_keyboard").and_then(Value::as_array).is_some_and(|rows| !rows.is_empty())
}

/// "message is not modified": same text, entities and keyboard as the message has.
fn unchanged(current: &Value, body: &Value, field: &str, entities: &str) -> Result<(), &'static str> {
    if current.is_null() {
        return Ok(());
    }
    let none = Value::Array(Vec::new());
    let same_text =
        current.get(field).and_then(Value::as_str).unwrap_or_default() == field_str(body, field).unwrap_or_default();
    let same_entities = current.get(entities).unwrap_or(&none) == &field_json(body, entities).unwrap_or(none.clone());
    let same_markup = markup_of(current) == requested_markup(body);
    if same_text && same_entities && same_markup { Err(NOT_MODIFIED) } else { Ok(()) }
}
