//! Turning a Telegram message into a submission: text with its entities, or one media item
//! with its caption. The entities are the raw ones the polling listener kept from the update
//! ([`UpdateEntities`]), so links reach the channel as the author wrote them. Pure functions
//! (but for taking the raw entities), tested without Telegram.

use chrono::DateTime;
use teloxide::types::{FileMeta, Message, MessageEntity, User};

use crate::domain::{MediaKind, UserId};
use crate::store::{AuthorProfile, NewMedia, NewPost};
use crate::telegram::entities::UpdateEntities;

/// What a private message amounts to.
#[derive(Debug)]
pub enum Extracted {
    Post(Box<NewPost>),
    /// Stickers, polls, locations, contacts, …: politely refused.
    Unsupported,
}

/// Our id type for a Telegram user.
pub fn user_id(user: &User) -> UserId {
    UserId(i64::try_from(user.id.0).unwrap_or(i64::MAX))
}

/// The author profile of a Telegram user.
pub fn author(user: &User) -> AuthorProfile {
    AuthorProfile {
        id: user_id(user),
        username: user.username.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        language_code: user.language_code.clone(),
    }
}

/// The entities of `msg`'s text or caption `body`: the raw ones its update carried, else
/// (a message that did not come through the polling listener, as in handler tests) teloxide's,
/// whose links it has normalised.
fn entities_of(msg: &Message, raw: &UpdateEntities, body: &str, typed: Option<&[MessageEntity]>) -> serde_json::Value {
    let edit_date = msg.edit_date().map(DateTime::timestamp);
    if let Some(entities) = raw.take(msg.chat.id.0, msg.id.0, edit_date, body) {
        return entities.to_stored();
    }
    if typed.is_some_and(|e| !e.is_empty()) {
        tracing::debug!(chat_id = msg.chat.id.0, message_id = msg.id.0, "no raw entities kept; using teloxide's");
    }
    typed.map_or_else(|| serde_json::json!([]), |e| serde_json::to_value(e).unwrap_or_else(|_| serde_json::json!([])))
}

fn media(kind: MediaKind, file: &FileMeta, message_id: i32, name: Option<&String>, mime: Option<String>) -> NewMedia {
    NewMedia {
        kind,
        file_id: file.id.0.clone(),
        file_unique_id: file.unique_id.0.clone(),
        source_message_id: message_id,
        file_name: name.cloned(),
        mime_type: mime,
        file_size: Some(i64::from(file.size)),
    }
}

/// The media item of a message, if it carries one we accept.
pub fn media_of(msg: &Message) -> Option<NewMedia> {
    let id = msg.id.0;
    if let Some(sizes) = msg.photo() {
        // Telegram lists sizes smallest first; keep the largest.
        return sizes.last().map(|p| media(MediaKind::Photo, &p.file, id, None, Some("image/jpeg".into())));
    }
    if let Some(a) = msg.animation() {
        return Some(media(
            MediaKind::Animation,
            &a.file,
            id,
            a.file_name.as_ref(),
            a.mime_type.as_ref().map(ToString::to_string),
        ));
    }
    if let Some(v) = msg.video() {
        return Some(media(
            MediaKind::Video,
            &v.file,
            id,
            v.file_name.as_ref(),
            v.mime_type.as_ref().map(ToString::to_string),
        ));
    }
    if let Some(d) = msg.document() {
        return Some(media(
            MediaKind::Document,
            &d.file,
            id,
            d.file_name.as_ref(),
            d.mime_type.as_ref().map(ToString::to_string),
        ));
    }
    if let Some(a) = msg.audio() {
        return Some(media(
            MediaKind::Audio,
            &a.file,
            id,
            a.file_name.as_ref(),
            a.mime_type.as_ref().map(ToString::to_string),
        ));
    }
    if let Some(v) = msg.voice() {
        return Some(media(MediaKind::Voice, &v.file, id, None, v.mime_type.as_ref().map(ToString::to_string)));
    }
    None
}

/// Extracts a submission from a private message (its raw entities taken from `raw`); `None`
/// when it has no sender.
pub fn extract(msg: &Message, raw: &UpdateEntities) -> Option<Extracted> {
    let user = msg.from.as_ref()?;
    let (body, entities, items) = if let Some(text) = msg.text() {
        (text.to_owned(), entities_of(msg, raw, text, msg.entities()), Vec::new())
    } else if let Some(item) = media_of(msg) {
        let caption = msg.caption().unwrap_or_default();
        (caption.to_owned(), entities_of(msg, raw, caption, msg.caption_entities()), vec![item])
    } else {
        return Some(Extracted::Unsupported);
    };
    Some(Extracted::Post(Box::new(NewPost {
        author: author(user),
        source_chat_id: msg.chat.id.0,
        source_message_id: msg.id.0,
        media_group_id: msg.media_group_id().map(|g| g.0.clone()),
        body,
        entities,
        media: items,
    })))
}

/// The new text (or caption) and entities of an edited message (raw entities from `raw`).
pub fn edited_text(msg: &Message, raw: &UpdateEntities) -> Option<(String, serde_json::Value)> {
    if let Some(text) = msg.text() {
        return Some((text.to_owned(), entities_of(msg, raw, text, msg.entities())));
    }
    media_of(msg).map(|_| {
        let caption = msg.caption().unwrap_or_default();
        (caption.to_owned(), entities_of(msg, raw, caption, msg.caption_entities()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(extra: &serde_json::Value) -> Message {
        let mut m = serde_json::json!({
            "message_id": 10, "date": 1_700_000_000,
            "chat": { "id": 42, "type": "private", "first_name": "Аня" },
            "from": { "id": 42, "is_bot": false, "first_name": "Аня", "language_code": "ru" }
        });
        m.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(m).unwrap()
    }

    #[test]
    fn text_keeps_entities() {
        let msg = message(&serde_json::json!({
            "text": "hello bold", "entities": [{ "type": "bold", "offset": 6, "length": 4 }]
        }));
        let Some(Extracted::Post(post)) = extract(&msg, &UpdateEntities::default()) else { panic!("not a post") };
        assert_eq!(post.body, "hello bold");
        assert_eq!(post.entities[0]["type"], "bold");
        assert!(post.media.is_empty());
        assert_eq!(post.author.id, UserId(42));
    }

    #[test]
    fn photo_takes_the_largest_size_and_caption() {
        let msg = message(&serde_json::json!({
            "caption": "look", "media_group_id": "g1",
            "photo": [
                { "file_id": "small", "file_unique_id": "s", "width": 90, "height": 90, "file_size": 100 },
                { "file_id": "big", "file_unique_id": "b", "width": 1280, "height": 1280, "file_size": 9000 }
            ]
        }));
        let Some(Extracted::Post(post)) = extract(&msg, &UpdateEntities::default()) else { panic!("not a post") };
        assert_eq!(post.body, "look");
        assert_eq!(post.media_group_id.as_deref(), Some("g1"));
        assert_eq!(post.media[0].file_id, "big");
        assert_eq!(post.media[0].kind, MediaKind::Photo);
        assert_eq!(post.media[0].file_size, Some(9000));
    }

    #[test]
    fn stickers_are_unsupported() {
        let msg = message(&serde_json::json!({
            "sticker": { "file_id": "st", "file_unique_id": "u", "type": "regular", "width": 512, "height": 512,
                         "is_animated": false, "is_video": false }
        }));
        assert!(matches!(extract(&msg, &UpdateEntities::default()), Some(Extracted::Unsupported)));
    }
}

/// Entities through the whole path: the update's JSON, the polling listener's table,
/// extraction, what is stored, and the channel request. Compared as serialised JSON text.
#[cfg(test)]
mod round_trips {
    use serde_json::{Value, json};
    use teloxide::types::{ChatId, Recipient, Update, UpdateKind};

    use super::*;
    use crate::telegram::entities::{Entities, RawUpdate};
    use crate::telegram::requests::{MediaFields, SendPhotoRaw, SendText};

    fn update(kind: &str, fields: &Value) -> String {
        let mut m = json!({
            "message_id": 10, "date": 1_700_000_000,
            "chat": { "id": 42, "type": "private", "first_name": "Аня" },
            "from": { "id": 42, "is_bot": false, "first_name": "Аня" }
        });
        if kind == "edited_message" {
            m["edit_date"] = 1_700_000_100.into();
        }
        m.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        json!({ "update_id": 7, kind: m }).to_string()
    }

    /// The body and stored entities the listener and extraction make of an update's text.
    fn through(text: &str) -> (String, Value) {
        let table = UpdateEntities::default();
        table.record(serde_json::from_str::<RawUpdate>(text).unwrap());
        let update: Update = serde_json::from_str(text).unwrap();
        match update.kind {
            UpdateKind::Message(m) => {
                let Some(Extracted::Post(post)) = extract(&m, &table) else { panic!("not a post") };
                (post.body, post.entities)
            }
            UpdateKind::EditedMessage(m) => edited_text(&m, &table).unwrap(),
            other => panic!("unexpected update {other:?}"),
        }
    }

    fn chat() -> Recipient {
        Recipient::Id(ChatId(-100))
    }

    /// `text` with `entities` as a message, an edit and a photo caption: each reaches the
    /// channel request with the same text and the same entities.
    fn assert_published_as_received(text: &str, entities: &Value) {
        for kind in ["message", "edited_message"] {
            let (body, stored) = through(&update(kind, &json!({ "text": text, "entities": entities })));
            let request = SendText { chat_id: chat(), text: body, entities: Entities::from_stored(&stored) };
            let sent = serde_json::to_value(request).unwrap();
            assert_eq!(sent["text"], text, "{kind}");
            assert_eq!(sent["entities"].to_string(), entities.to_string(), "{kind}");
        }
        let photo = json!([{ "file_id": "p", "file_unique_id": "u", "width": 9, "height": 9 }]);
        let (body, stored) =
            through(&update("message", &json!({ "caption": text, "caption_entities": entities, "photo": photo })));
        let fields = MediaFields { chat_id: chat(), caption: body, caption_entities: Entities::from_stored(&stored) };
        let sent = serde_json::to_value(SendPhotoRaw { fields, file_id: "p".into() }).unwrap();
        assert_eq!(sent["caption"], text);
        assert_eq!(sent["caption_entities"].to_string(), entities.to_string(), "caption");
    }

    fn utf16(s: &str) -> usize {
        s.encode_utf16().count()
    }

    fn link(text: &str, part: &str, url: &str) -> Value {
        let at = text.find(part).unwrap();
        json!({ "offset": utf16(&text[..at]), "length": utf16(part), "type": "text_link", "url": url })
    }

    #[test]
    fn a_cyrillic_path_is_not_percent_encoded() {
        let text = "Санкт-Петербург в Википедии";
        let url = "https://ru.wikipedia.org/wiki/Санкт-Петербург";
        assert_published_as_received(text, &json!([link(text, "Санкт-Петербург", url)]));
    }

    #[test]
    fn an_idn_host_is_not_turned_into_punycode() {
        let text = "пример ссылки";
        assert_published_as_received(text, &json!([link(text, "пример", "https://пример.рф/путь")]));
    }

    #[test]
    fn already_encoded_and_bare_host_urls_stay_as_written() {
        let text = "Санкт и канал";
        let encoded = "https://ru.wikipedia.org/wiki/%D0%A1%D0%B0%D0%BD%D0%BA%D1%82";
        let entities = json!([link(text, "Санкт", encoded), link(text, "канал", "https://t.me")]);
        assert_published_as_received(text, &entities);
    }

    #[test]
    fn query_strings_with_ampersands_and_spaces_stay_as_written() {
        let text = "поиск";
        let url = "https://example.com/search?q=Санкт Петербург&lang=ru&x=a+b#раздел";
        assert_published_as_received(text, &json!([link(text, "поиск", url)]));
    }

    #[test]
    fn mentions_custom_emoji_and_code_pass_through() {
        let text = "Пётр 🙂 код";
        let entities = json!([
            { "offset": 0, "length": 4, "type": "text_mention",
              "user": { "id": 99, "is_bot": false, "first_name": "Пётр", "username": "petr" } },
            { "offset": 5, "length": 2, "type": "custom_emoji", "custom_emoji_id": "5368324170671202286" },
            { "offset": 8, "length": 3, "type": "pre", "language": "rust" },
            link(text, "Пётр", "https://пример.рф/люди/Пётр")
        ]);
        assert_published_as_received(text, &entities);
    }

    #[test]
    fn utf16_offsets_after_emoji_are_kept() {
        let text = "👋🏽 Привет, 𝕏! Ссылка";
        let entities = json!([
            { "offset": utf16("👋🏽 "), "length": utf16("Привет"), "type": "bold" },
            link(text, "Ссылка", "https://пример.рф/emoji/👋")
        ]);
        assert_eq!(entities[0]["offset"], 5, "two surrogate pairs and a space");
        assert_published_as_received(text, &entities);
    }
}
