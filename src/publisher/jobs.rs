//! The outbox's jobs, one function each: announce a submission to the moderation group,
//! fingerprint its media, publish it, update its card, tell its author. Content of several
//! messages is resumed after the last part an earlier attempt sent, never sent from the start.

use teloxide::prelude::*;
use teloxide::types::{MessageId, Recipient};
use teloxide::{ApiError, Bot, RequestError};

use super::{JobError, Loaded};
use crate::config::ChannelRef;
use crate::domain::{PostStatus, UserId};
use crate::i18n::{num, text};
use crate::media::MediaError;
use crate::render::{
    ContentPart, Decider, card_keyboard, card_text, compose_post, content_parts, published_parts, reason_text,
    send_part, to_chat,
};
use crate::services::Services;
use crate::store::{AuthorRecord, BACK_IN_REVIEW, OutboxJob, OutboxKind, OutboxResult, PostRecord};
use crate::telegram::{Failure, classify, send_limited};

pub(super) async fn run_job(
    bot: &Bot,
    services: &Services,
    job: &OutboxJob,
    loaded: Option<Loaded>,
) -> Result<OutboxResult, JobError> {
    let Some(post_id) = job.post_id else { return Ok(OutboxResult::Done) };
    let (post, author) = if let Some(Loaded { post, author }) = loaded {
        (post, author)
    } else if let Some(post) = services.store.post(post_id).await? {
        (post, None)
    } else {
        tracing::warn!("job for a post that no longer exists");
        return Ok(OutboxResult::Done);
    };
    match job.kind {
        OutboxKind::Announce => announce(bot, services, &post, author, job).await,
        OutboxKind::Fingerprint => fingerprint(bot, services, &post).await,
        OutboxKind::Publish => publish(bot, services, &post, job).await,
        OutboxKind::UpdateCard => update_card(bot, services, &post, author).await,
        OutboxKind::NotifyAuthor => notify_author(bot, services, &post, job).await,
    }
}

fn channel(services: &Services) -> teloxide::types::Recipient {
    match &services.config.telegram.channel {
        ChannelRef::Id(id) => to_chat(*id),
        ChannelRef::Username(name) => teloxide::types::Recipient::ChannelUsername(name.clone()),
    }
}

async fn decider(services: &Services, post: &PostRecord) -> Option<Decider> {
    let id: UserId = post.decided_by?;
    if id == UserId::SYSTEM {
        // The system's own decisions (the expiry of old pending posts).
        return Some(Decider { name: services.i18n.t(services.i18n.default_locale(), "moderator-system") });
    }
    let name = services.store.moderator_name(id).await.ok().flatten().unwrap_or_else(|| id.to_string());
    Some(Decider { name })
}

/// The card's text and buttons; the author's counts are read unless the batch read them ahead.
async fn render_card(
    services: &Services,
    post: &PostRecord,
    author: Option<AuthorRecord>,
) -> (String, teloxide::types::InlineKeyboardMarkup) {
    let locale = services.i18n.default_locale();
    let author = match author {
        Some(author) => Some(author),
        None => services.store.author(post.author.id).await.ok().flatten(),
    };
    let decided = decider(services, post).await;
    let text = card_text(
        &services.i18n,
        locale,
        post,
        author.as_ref(),
        decided.as_ref(),
        &services.config.schedule,
        &services.config.options,
    );
    let text = super::thread::with_conversation(services, locale, post, text).await;
    (text, card_keyboard(&services.i18n, locale, post))
}

/// Sends the parts of a post's content that an earlier attempt did not (recording each one
/// sent, when more follow), so a failure part-way resumes instead of sending the first parts
/// twice. `more_after` says whether the job sends something after the last part; the last
/// part's id is then recorded too, else it is saved with the job's completion. Returns the
/// first message id of every part, first part first.
async fn send_content_resuming(
    bot: &Bot,
    services: &Services,
    job: &OutboxJob,
    chat: &Recipient,
    parts: &[ContentPart<'_>],
    more_after: bool,
) -> Result<Vec<i32>, JobError> {
    let mut sent = job.sent_parts();
    if !sent.is_empty() {
        tracing::info!(already_sent = sent.len(), parts = parts.len(), "resuming after the parts already sent");
    }
    for (i, part) in parts.iter().enumerate().skip(sent.len()) {
        let ids = send_part(bot, &services.limiter, chat, part).await?;
        sent.push(ids.first().map_or(0, |id| id.0));
        if i + 1 < parts.len() || more_after {
            record_progress(services, job, &sent).await?;
        }
    }
    Ok(sent)
}

/// Records that the job is about to send (see [`crate::store::Store::begin_outbox_send`]):
/// after a crash mid-send, its next attempt flags the post as maybe shown twice.
async fn begin_send(services: &Services, job: &OutboxJob) -> Result<(), JobError> {
    let store = &services.store;
    let again = super::patiently(services, "the send intent", || store.begin_outbox_send(job)).await?;
    if again {
        tracing::warn!("an earlier attempt died mid-send: this one may repeat its message (flagged on the post)");
    }
    Ok(())
}

/// Records the parts sent (what is not recorded is sent again by the next run).
async fn record_progress(services: &Services, job: &OutboxJob, sent: &[i32]) -> Result<(), JobError> {
    let store = &services.store;
    Ok(super::patiently(services, "the parts sent", || store.record_outbox_progress(job, sent)).await?)
}

/// Media (if any) then the card with buttons, in the moderation group; then the receipt for
/// albums, which are receipted once, whole. The card's message id is stored with the job's
/// completion (one commit). A card Telegram refuses for good is recorded on the post
/// ([`OutboxResult::CardFailed`]), never counted as sent.
async fn announce(
    bot: &Bot,
    services: &Services,
    post: &PostRecord,
    author: Option<AuthorRecord>,
    job: &OutboxJob,
) -> Result<OutboxResult, JobError> {
    let group = services.config.telegram.moderation_group_id;
    begin_send(services, job).await?;
    if !post.media.is_empty() {
        // Media Telegram refuses for good must not keep the card from the moderators.
        let parts = content_parts(post);
        match send_content_resuming(bot, services, job, &to_chat(group), &parts, true).await {
            Err(JobError::Telegram(e)) if classify(&e) == Failure::Permanent => {
                tracing::warn!(error = %e, "media refused by Telegram; sending the card alone");
            }
            other => drop(other?),
        }
    }
    let (body, keyboard) = render_card(services, post, author).await;
    let card = send_limited(&services.limiter, &to_chat(group), 1, "sendMessage", || {
        bot.send_message(ChatId(group), body.clone()).reply_markup(keyboard.clone()).send()
    })
    .await;
    let result = match card {
        Ok(card) => OutboxResult::Announced { card_message_id: card.id.0 },
        Err(e) if classify(&e) == Failure::Permanent => {
            tracing::error!(error = %e, "Telegram refused the card; the console shows it as failed");
            OutboxResult::CardFailed { error: e.to_string() }
        }
        Err(e) => return Err(e.into()),
    };
    if job.payload.get("receipt").and_then(serde_json::Value::as_bool) == Some(true) && post.receipt_sent_at.is_none() {
        let locale = author_locale(services, post).await;
        // Logged there; a receipt that did not go out is sent by the receipts' sweep.
        let _ = crate::receipts::send(bot, services, ChatId(post.source_chat_id), locale, post.id, post.signed).await;
    }
    Ok(result)
}

/// Downloads and hashes each media item (off the async workers; temp files removed) and
/// flags the post when an earlier post has the same file.
async fn fingerprint(bot: &Bot, services: &Services, post: &PostRecord) -> Result<OutboxResult, JobError> {
    for item in post.media.iter().filter(|m| m.sha256.is_none()) {
        match services.media.fingerprint(bot, &item.file_id).await {
            Ok(fp) => {
                if let Some(original) = services.store.set_media_hash(post.id, item.position, &fp.sha256).await? {
                    tracing::info!(original = original.0, "media seen before");
                    services.outbox_wake.notify_one();
                }
            }
            Err(MediaError::TooLarge { size, max }) => {
                tracing::info!(size, max, position = item.position, "media too large to fingerprint; skipped");
            }
            Err(MediaError::Telegram(e)) => return Err(e.into()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(OutboxResult::Done)
}

async fn publish(bot: &Bot, services: &Services, post: &PostRecord, job: &OutboxJob) -> Result<OutboxResult, JobError> {
    if post.status != PostStatus::Approved {
        tracing::info!(status = %post.status, "post no longer waits for publishing");
        return Ok(OutboxResult::Done);
    }
    // Every part is recorded as it goes out, the last one too: a run after a crash or a lost
    // completion finds the post already in the channel and only records it.
    begin_send(services, job).await?;
    // The text as the console's preview showed it: the signature and footer added.
    let composed = compose_post(post, &services.config.options);
    if !composed.left_out.is_empty() {
        tracing::warn!(left_out = ?composed.left_out, limit = composed.limit, "published without what would not fit");
    }
    let parts = published_parts(post, &composed);
    let ids = send_content_resuming(bot, services, job, &channel(services), &parts, true).await?;
    let first = ids.first().copied().unwrap_or(0);
    tracing::info!(channel_message_id = first, "published");
    Ok(OutboxResult::Published { channel_message_id: first })
}

async fn update_card(
    bot: &Bot,
    services: &Services,
    post: &PostRecord,
    author: Option<AuthorRecord>,
) -> Result<OutboxResult, JobError> {
    let Some(card) = post.moderation_message_id else { return Ok(OutboxResult::Done) };
    let (body, keyboard) = render_card(services, post, author).await;
    let group = ChatId(services.config.telegram.moderation_group_id);
    let edited = send_limited(&services.limiter, &group.into(), 1, "editMessageText", || {
        bot.edit_message_text(group, MessageId(card), body.clone()).reply_markup(keyboard.clone()).send()
    })
    .await;
    match edited {
        Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(OutboxResult::Done),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn author_locale(services: &Services, post: &PostRecord) -> &'static str {
    crate::bot::locale::locale_for(services, post.author.id, post.author.language_code.as_deref()).await
}

async fn notify_author(
    bot: &Bot,
    services: &Services,
    post: &PostRecord,
    job: &OutboxJob,
) -> Result<OutboxResult, JobError> {
    if let Some(message) = super::thread::thread_message_of(job) {
        return super::thread::send_thread_message(bot, services, post, message).await;
    }
    let locale = author_locale(services, post).await;
    let i18n = &services.i18n;
    let id = ("id", num(post.id.0));
    let back_in_review = job.payload.get("notice").and_then(serde_json::Value::as_str) == Some(BACK_IN_REVIEW);
    let message = match post.status {
        // A rejection was undone after its notice went out (and nothing was decided since).
        PostStatus::Pending if back_in_review => i18n.t_args(locale, "back-in-review", &[id]),
        _ if back_in_review => return Ok(OutboxResult::Done),
        PostStatus::Published => match (services.config.telegram.channel.public_username(), post.channel_message_id) {
            (Some(name), Some(mid)) => {
                i18n.t_args(locale, "published-link", &[id, ("link", text(format!("https://t.me/{name}/{mid}")))])
            }
            _ => i18n.t_args(locale, "published", &[id]),
        },
        PostStatus::Approved if post.scheduled_at.is_some() => {
            let at = post.scheduled_at.unwrap_or_default();
            let when = crate::render::when_text(i18n, locale, &services.config.schedule, at);
            i18n.t_args(locale, "scheduled", &[id, ("when", text(when))])
        }
        PostStatus::Rejected => {
            let reason = post.reject_reason.as_ref().map(|r| reason_text(i18n, locale, r)).unwrap_or_default();
            i18n.t_args(locale, "rejected", &[id, ("reason", text(reason))])
        }
        _ => return Ok(OutboxResult::Done),
    };
    let author = to_chat(post.source_chat_id);
    match send_limited(&services.limiter, &author, 1, "sendMessage", || {
        bot.send_message(ChatId(post.source_chat_id), message.clone()).send()
    })
    .await
    {
        Ok(_) => Ok(OutboxResult::Done),
        Err(RequestError::Api(ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::ChatNotFound)) => {
            tracing::info!("author cannot be reached (blocked the bot or left)");
            Ok(OutboxResult::Done)
        }
        Err(e) => Err(e.into()),
    }
}
