//! What moderators and the channel see: the moderation card (plain text, never parsed as
//! markup), its buttons, and the post content sent as Telegram media (albums as albums) with
//! the author's entities as their update had them.

use teloxide::prelude::*;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, Recipient};
use teloxide::{Bot, RequestError};

pub mod callback;

use crate::domain::text::{MAX_TEXT, prefix_utf16, utf16_len};
use crate::domain::{MediaKind, PostStatus, ReasonKind, RejectReason};
use crate::i18n::{I18n, num, text};
use crate::limiter::Limiter;
use crate::store::{AuthorRecord, MediaRecord, PostRecord};
use crate::telegram::entities::Entities;
use crate::telegram::requests::{
    AlbumItem, MediaFields, SendAlbumRaw, SendAnimationRaw, SendAudioRaw, SendDocumentRaw, SendPhotoRaw, SendText,
    SendVideoRaw, SendVoiceRaw, Sent, request,
};
use crate::telegram::send_limited;
use callback::Action;

/// The localized text of a stored reason.
pub fn reason_text(i18n: &I18n, locale: &str, reason: &RejectReason) -> String {
    match reason.kind() {
        ReasonKind::Template(name) => i18n.t(locale, &format!("reject-reason-{name}")),
        ReasonKind::Custom(text) => text.to_owned(),
    }
}

/// Who decided, as shown on a card.
pub struct Decider {
    pub name: String,
}

/// The moderation card for a post.
pub fn card_text(
    i18n: &I18n,
    locale: &str,
    post: &PostRecord,
    author: Option<&AuthorRecord>,
    decider: Option<&Decider>,
) -> String {
    let mut lines = vec![i18n.t_args(locale, "card-title", &[("id", num(post.id.0))])];
    let username = post.author.username.as_deref().map(|u| format!("@{u}")).unwrap_or_default();
    lines.push(i18n.t_args(
        locale,
        "card-author",
        &[("name", text(post.author.display_name())), ("username", text(username)), ("user_id", num(post.author.id.0))],
    ));
    if let Some(a) = author {
        lines.push(i18n.t_args(
            locale,
            "card-history",
            &[("approved", num(a.approved)), ("rejected", num(a.rejected))],
        ));
    }
    if post.edited_by_author {
        lines.push(i18n.t(locale, "card-edited"));
    }
    if let Some(original) = post.duplicate_of {
        lines.push(i18n.t_args(locale, "card-duplicate", &[("id", num(original.0))]));
    }
    if !post.media.is_empty() {
        let kinds: Vec<&str> = post.media.iter().map(|m| m.kind.as_str()).collect();
        lines.push(format!("📎 {}", kinds.join(", ")));
    }
    let head = lines.join("\n");
    let mut lines = Vec::new();
    let moderator = text(decider_name(decider));
    let time = text(decided_time(post));
    let verdict = match post.status {
        PostStatus::Pending => None,
        PostStatus::Rejected => {
            let reason = post.reject_reason.as_ref().map(|r| reason_text(i18n, locale, r)).unwrap_or_default();
            Some(i18n.t_args(
                locale,
                "card-decided-rejected",
                &[("moderator", moderator), ("time", time), ("reason", text(reason))],
            ))
        }
        PostStatus::Approved | PostStatus::Published | PostStatus::PublishFailed => {
            Some(i18n.t_args(locale, "card-decided-approved", &[("moderator", moderator), ("time", time)]))
        }
    };
    if let Some(line) = verdict {
        lines.push(String::new());
        lines.push(line);
    }
    // A rejection that banned the author says so: the card is refreshed right after it.
    if post.status == PostStatus::Rejected && author.is_some_and(|a| a.banned) {
        let (moderator, time) = (text(decider_name(decider)), text(decided_time(post)));
        lines.push(i18n.t_args(locale, "card-decided-banned", &[("moderator", moderator), ("time", time)]));
    }
    if post.status == PostStatus::PublishFailed {
        let error = post.publish_error.clone().unwrap_or_default();
        lines.push(i18n.t_args(locale, "card-publish-failed", &[("error", text(error))]));
    }
    let tail: String = lines.iter().flat_map(|l| ["\n", l.as_str()]).collect();
    fit_card(i18n, locale, &head, &post.body, &tail)
}

fn decider_name(decider: Option<&Decider>) -> String {
    decider.map_or_else(|| "?".to_owned(), |d| d.name.clone())
}

fn decided_time(post: &PostRecord) -> String {
    post.decided_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// Head, body and tail of a card within Telegram's 4,096 UTF-16 units: a body that does not
/// fit is cut at a character boundary, and a line says how much of it is shown.
fn fit_card(i18n: &I18n, locale: &str, head: &str, body: &str, tail: &str) -> String {
    if body.is_empty() {
        return format!("{head}{tail}");
    }
    let whole = format!("{head}\n\n{body}{tail}");
    if utf16_len(&whole) <= MAX_TEXT {
        return whole;
    }
    let total = body.chars().count();
    let count = |n: usize| num(i64::try_from(n).unwrap_or(i64::MAX));
    let cut_line = |shown: usize| i18n.t_args(locale, "card-cut", &[("shown", count(shown)), ("total", count(total))]);
    // Measured with the widest number the line can hold, so the real line is never longer.
    let frame = utf16_len(head) + utf16_len(&cut_line(total)) + utf16_len(tail) + "\n\n…\n\n".len();
    let shown_body = prefix_utf16(body, MAX_TEXT.saturating_sub(frame));
    let card = format!("{head}\n\n{shown_body}…\n\n{}{tail}", cut_line(shown_body.chars().count()));
    prefix_utf16(&card, MAX_TEXT).to_owned()
}

fn button(i18n: &I18n, locale: &str, key: &str, action: &Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(i18n.t(locale, key), action.encode())
}

/// The buttons a card shows in its current state (none once decided for good).
pub fn card_keyboard(i18n: &I18n, locale: &str, post: &PostRecord) -> InlineKeyboardMarkup {
    let id = post.id;
    match post.status {
        PostStatus::Pending => InlineKeyboardMarkup::new(vec![
            vec![
                button(i18n, locale, "button-approve", &Action::Approve(id)),
                button(i18n, locale, "button-reject", &Action::RejectMenu(id)),
            ],
            vec![button(i18n, locale, "button-ban", &Action::Ban(id))],
        ]),
        PostStatus::PublishFailed => {
            InlineKeyboardMarkup::new(vec![vec![button(i18n, locale, "button-retry", &Action::RetryPublish(id))]])
        }
        _ => InlineKeyboardMarkup::new(Vec::<Vec<InlineKeyboardButton>>::new()),
    }
}

/// The reason templates, one per row, and a way back.
pub fn reasons_keyboard(i18n: &I18n, locale: &str, post: &PostRecord) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = RejectReason::TEMPLATES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let label = i18n.t(locale, &format!("reject-reason-{name}"));
            vec![InlineKeyboardButton::callback(label, Action::Reject(post.id, i).encode())]
        })
        .collect();
    rows.push(vec![button(i18n, locale, "button-back", &Action::Back(post.id))]);
    InlineKeyboardMarkup::new(rows)
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
    let entities = Entities::from_stored(&post.entities);
    let body = post.body.as_str();
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
