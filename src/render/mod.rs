//! What moderators and the channel see: the moderation card and its buttons ([`card`]), and
//! the post content sent as Telegram media (albums as albums) with the author's entities as
//! their update had them.

use teloxide::prelude::*;
use teloxide::types::{ChatId, MessageId, Recipient};
use teloxide::{Bot, RequestError};

pub mod callback;
mod card;
pub mod flags;
mod links;
mod published;
#[cfg(test)]
mod published_tests;
pub mod stale;
pub mod thread;
mod when;

pub use card::{Decider, card_is_cut, card_keyboard, card_text, reasons_keyboard, review_keyboard, whole_text};
pub use links::{HiddenLink, hidden_links};
pub use published::{Composed, LeftOut, compose, compose_post, signature_line};
pub use when::when_text;

use crate::domain::{MediaKind, ReasonKind, RejectReason};
use crate::i18n::I18n;
use crate::limiter::Limiter;
use crate::store::{MediaRecord, PostRecord};
use crate::telegram::entities::Entities;
use crate::telegram::requests::{
    AlbumItem, MediaFields, SendAlbumRaw, SendAnimationRaw, SendAudioRaw, SendDocumentRaw, SendPhotoRaw, SendText,
    SendVideoRaw, SendVoiceRaw, Sent, request,
};
use crate::telegram::send_limited;

/// The localized text of a stored reason.
pub fn reason_text(i18n: &I18n, locale: &str, reason: &RejectReason) -> String {
    match reason.kind() {
        ReasonKind::Template(name) => i18n.t(locale, &format!("reject-reason-{name}")),
        ReasonKind::Custom(text) => text.to_owned(),
    }
}

fn album_item(m: &MediaRecord, caption: Option<(&str, &Entities)>) -> AlbumItem {
    let (caption, caption_entities) = match caption {
        Some((c, e)) if !c.is_empty() => (c.to_owned(), e.clone()),
        _ => (String::new(), Entities::default()),
    };
    AlbumItem { kind: AlbumItem::kind_of(m.kind), media: m.file_id.clone(), caption, caption_entities }
}

/// One message of a post's content: the whole album, the text, or one media item (with the
/// post's caption on the first). Posts whose media Telegram cannot group are several parts.
/// Entities are the post's as stored: the author's, as their update had them.
pub enum ContentPart<'a> {
    Album(Vec<AlbumItem>),
    Text(&'a str, Entities),
    Media(&'a MediaRecord, String, Entities),
}

/// The messages that make up a post's content, in the order they are sent.
pub fn content_parts(post: &PostRecord) -> Vec<ContentPart<'_>> {
    content_parts_with(post, &post.body, Entities::from_stored(&post.entities))
}

/// The messages of a post as the channel gets them: its media with the text [`compose`]d for
/// publication (signature and footer added) in place of the author's own.
pub fn published_parts<'a>(post: &'a PostRecord, composed: &'a Composed) -> Vec<ContentPart<'a>> {
    content_parts_with(post, &composed.text, composed.entities.clone())
}

fn content_parts_with<'a>(post: &'a PostRecord, body: &'a str, entities: Entities) -> Vec<ContentPart<'a>> {
    let kinds: Vec<MediaKind> = post.media.iter().map(|m| m.kind).collect();
    if MediaKind::valid_album(&kinds) {
        let items =
            post.media.iter().enumerate().map(|(i, m)| album_item(m, (i == 0).then_some((body, &entities)))).collect();
        return vec![ContentPart::Album(items)];
    }
    if post.media.is_empty() {
        return vec![ContentPart::Text(body, entities)];
    }
    // One item, or items Telegram cannot group: each on its own, the caption on the first.
    let mut first = Some((body.to_owned(), entities));
    post.media
        .iter()
        .map(|m| {
            let (caption, ents) = first.take().unwrap_or_default();
            ContentPart::Media(m, caption, ents)
        })
        .collect()
}

/// Sends one part to a chat; returns the ids of the messages sent, first first. The requests
/// carry the entities as stored (see `telegram::requests`), not re-serialised by teloxide.
pub async fn send_part(
    bot: &Bot,
    limiter: &Limiter,
    chat: &Recipient,
    part: &ContentPart<'_>,
) -> Result<Vec<MessageId>, RequestError> {
    match part {
        ContentPart::Album(items) => {
            let weight = u32::try_from(items.len()).unwrap_or(u32::MAX);
            let sent = send_limited(limiter, chat, weight, "sendMediaGroup", || {
                request(bot, SendAlbumRaw { chat_id: chat.clone(), media: items.clone() }).send()
            })
            .await?;
            Ok(sent.into_iter().map(Sent::id).collect())
        }
        ContentPart::Text(body, entities) => {
            let sent = send_limited(limiter, chat, 1, "sendMessage", || {
                let text = SendText { chat_id: chat.clone(), text: (*body).to_owned(), entities: entities.clone() };
                request(bot, text).send()
            })
            .await?;
            Ok(vec![sent.id()])
        }
        ContentPart::Media(m, caption, entities) => {
            let fields =
                MediaFields { chat_id: chat.clone(), caption: caption.clone(), caption_entities: entities.clone() };
            Ok(vec![send_one(bot, limiter, chat, m, &fields).await?])
        }
    }
}

async fn send_one(
    bot: &Bot,
    limiter: &Limiter,
    chat: &Recipient,
    m: &MediaRecord,
    fields: &MediaFields,
) -> Result<MessageId, RequestError> {
    // Every single-media method takes the same chat, caption and entities, and the file id.
    macro_rules! send {
        ($payload:ident, $name:literal) => {
            send_limited(limiter, chat, 1, $name, || {
                request(bot, $payload { fields: fields.clone(), file_id: m.file_id.clone() }).send()
            })
            .await?
        };
    }
    let sent = match m.kind {
        MediaKind::Photo => send!(SendPhotoRaw, "sendPhoto"),
        MediaKind::Video => send!(SendVideoRaw, "sendVideo"),
        MediaKind::Animation => send!(SendAnimationRaw, "sendAnimation"),
        MediaKind::Document => send!(SendDocumentRaw, "sendDocument"),
        MediaKind::Audio => send!(SendAudioRaw, "sendAudio"),
        MediaKind::Voice => send!(SendVoiceRaw, "sendVoice"),
    };
    Ok(sent.id())
}

/// The chat id of a Telegram user or group as a recipient.
pub fn to_chat(id: i64) -> Recipient {
    Recipient::Id(ChatId(id))
}
