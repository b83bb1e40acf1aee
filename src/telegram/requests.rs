//! Bot API requests teloxide's typed payloads cannot make exactly: `getUpdates` answered with
//! each update as JSON, and the sends of a post's content, whose entities go out as the
//! JSON values the author's update carried ([`Entities`]). They go through teloxide's
//! `JsonRequest`, so errors map to the same `RequestError`s (429 `retry_after` included) as
//! every other call.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use teloxide::Bot;
use teloxide::requests::{JsonRequest, Payload};
use teloxide::types::{AllowedUpdate, MessageId, Recipient};

use super::entities::Entities;
use crate::domain::MediaKind;

/// `getUpdates`, answered with every update as plain JSON. (Not as `RawValue`s: teloxide reads
/// the answer through an untagged enum, which buffers it, and a buffered `RawValue` cannot be
/// read. JSON values keep every string and number as sent, which is what matters.)
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetUpdatesRaw {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<AllowedUpdate>>,
}

impl Payload for GetUpdatesRaw {
    type Output = Vec<serde_json::Value>;
    const NAME: &'static str = "GetUpdates";

    fn timeout_hint(&self) -> Option<Duration> {
        self.timeout.map(|t| Duration::from_secs(u64::from(t)))
    }
}

/// What a send answers that we read: the message id (the rest of the message is not parsed, so
/// a field teloxide does not know cannot turn a delivered message into an error and a resend).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Sent {
    message_id: i32,
}

impl Sent {
    pub fn id(self) -> MessageId {
        MessageId(self.message_id)
    }
}

/// `sendMessage` with raw entities.
#[derive(Debug, Clone, Serialize)]
pub struct SendText {
    pub chat_id: Recipient,
    pub text: String,
    #[serde(skip_serializing_if = "Entities::is_empty")]
    pub entities: Entities,
}

impl Payload for SendText {
    type Output = Sent;
    const NAME: &'static str = "SendMessage";
}

/// A single-media send (`sendPhoto`, `sendVideo`, …) of a known file id with a raw-entity
/// caption. The file goes in the field named after the kind.
#[derive(Debug, Clone, Serialize)]
pub struct MediaFields {
    pub chat_id: Recipient,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub caption: String,
    #[serde(skip_serializing_if = "Entities::is_empty")]
    pub caption_entities: Entities,
}

macro_rules! media_payload {
    ($($name:ident, $method:literal, $field:literal;)*) => {$(
        #[doc = concat!("`", $method, "` of a file id, caption entities raw.")]
        #[derive(Debug, Clone, Serialize)]
        pub struct $name {
            #[serde(flatten)]
            pub fields: MediaFields,
            #[serde(rename = $field)]
            pub file_id: String,
        }

        impl Payload for $name {
            type Output = Sent;
            const NAME: &'static str = $method;
        }
    )*};
}

media_payload! {
    SendPhotoRaw, "SendPhoto", "photo";
    SendVideoRaw, "SendVideo", "video";
    SendAnimationRaw, "SendAnimation", "animation";
    SendDocumentRaw, "SendDocument", "document";
    SendAudioRaw, "SendAudio", "audio";
    SendVoiceRaw, "SendVoice", "voice";
}

/// One item of an album: a known file id, and on the first the post's caption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlbumItem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub media: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub caption: String,
    #[serde(skip_serializing_if = "Entities::is_empty")]
    pub caption_entities: Entities,
}

impl AlbumItem {
    /// The `InputMedia` type of an album item of this kind (only these four can be grouped).
    pub fn kind_of(kind: MediaKind) -> &'static str {
        match kind {
            MediaKind::Video => "video",
            MediaKind::Document => "document",
            MediaKind::Audio => "audio",
            _ => "photo",
        }
    }
}

/// `sendMediaGroup` of known file ids.
#[derive(Debug, Clone, Serialize)]
pub struct SendAlbumRaw {
    pub chat_id: Recipient,
    pub media: Vec<AlbumItem>,
}

impl Payload for SendAlbumRaw {
    type Output = Vec<Sent>;
    const NAME: &'static str = "SendMediaGroup";
}

/// A request for `payload` on `bot`'s client, token and API server.
pub fn request<P>(bot: &Bot, payload: P) -> JsonRequest<P>
where
    P: Payload + Serialize,
{
    JsonRequest::new(bot.clone(), payload)
}

#[cfg(test)]
mod tests {
    use teloxide::types::ChatId;

    use super::*;

    #[test]
    fn media_sends_name_the_file_field_after_their_kind_and_omit_what_is_empty() {
        let fields = MediaFields {
            chat_id: Recipient::Id(ChatId(-5)),
            caption: String::new(),
            caption_entities: Entities::default(),
        };
        let body = serde_json::to_value(SendVoiceRaw { fields, file_id: "f".into() }).unwrap();
        assert_eq!(body, serde_json::json!({ "chat_id": -5, "voice": "f" }));
        assert_eq!(SendVoiceRaw::NAME, "SendVoice");
    }
}
