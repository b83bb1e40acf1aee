//! Turning a Telegram message into a submission: text with its entities, or one media item
//! with its caption. Pure functions, tested without Telegram.

use teloxide::types::{FileMeta, Message, MessageEntity, User};

use crate::domain::{MediaKind, UserId};
use crate::store::{AuthorProfile, NewMedia, NewPost};

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

fn entities_json(entities: Option<&[MessageEntity]>) -> serde_json::Value {
    entities
        .map_or_else(|| serde_json::json!([]), |e| serde_json::to_value(e).unwrap_or_else(|_| serde_json::json!([])))
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

/// Extracts a submission from a private message; `None` when it has no sender.
pub fn extract(msg: &Message) -> Option<Extracted> {
    let user = msg.from.as_ref()?;
    let (body, entities, items) = if let Some(text) = msg.text() {
        (text.to_owned(), entities_json(msg.entities()), Vec::new())
    } else if let Some(item) = media_of(msg) {
        (msg.caption().unwrap_or_default().to_owned(), entities_json(msg.caption_entities()), vec![item])
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

/// The new text (or caption) and entities of an edited message.
pub fn edited_text(msg: &Message) -> Option<(String, serde_json::Value)> {
    if let Some(text) = msg.text() {
        return Some((text.to_owned(), entities_json(msg.entities())));
    }
    media_of(msg).map(|_| (msg.caption().unwrap_or_default().to_owned(), entities_json(msg.caption_entities())))
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
        let Some(Extracted::Post(post)) = extract(&msg) else { panic!("not a post") };
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
        let Some(Extracted::Post(post)) = extract(&msg) else { panic!("not a post") };
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
        assert!(matches!(extract(&msg), Some(Extracted::Unsupported)));
    }
}
