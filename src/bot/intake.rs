//! Private chats: commands (/start, /help, /status, /language), submissions with their
//! checks (ban, rate limit, pending cap), and author edits.

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
use tokio::sync::OwnedSemaphorePermit;
use tracing::instrument;

use super::HandlerResult;
use super::callback::Action;
use super::extract::{self, Extracted, user_id};
use super::locale::locale_for;
use crate::cache::Ttl;
use crate::domain::{PostId, UserId};
use crate::i18n::{num, text};
use crate::moderation::outage::Waiting;
use crate::runtime::HandledGuard;
use crate::services::Services;
use crate::store::{Admission, AuthorEdit, AuthorEditOutcome, NewPost, Refusal, StoreError, SubmitOutcome};
use crate::telegram::send_limited;

/// Edits one author may make per rate-limit window (`RATE_LIMIT_WINDOW_SECS`); later ones are
/// not applied. Each edit refreshes the card in the group, whose messages Telegram limits to
/// 20 a minute for everyone.
const EDITS_PER_WINDOW: u64 = 10;

/// Queues a plain-text reply (never parsed as markup) in the chat's reply queue: it goes out
/// within Telegram's sending limits without the handler waiting for them.
pub fn reply(bot: &Bot, services: &Services, chat: ChatId, body: String) {
    reply_with(bot, services, chat, body, None);
}

/// [`reply`] with buttons under it.
fn reply_with(bot: &Bot, services: &Services, chat: ChatId, body: String, keyboard: Option<InlineKeyboardMarkup>) {
    let (bot, limiter) = (bot.clone(), services.limiter.clone());
    let send = async move {
        let sent = send_limited(&limiter, &chat.into(), 1, "sendMessage", || {
            let request = bot.send_message(chat, body.clone());
            match &keyboard {
                Some(keyboard) => request.reply_markup(keyboard.clone()).send(),
                None => request.send(),
            }
        })
        .await;
        if let Err(e) = sent {
            tracing::warn!(chat_id = chat.0, error = %e, "reply not delivered");
        }
    };
    // A full queue is logged and counted by the queue: that chat is flooding.
    let _ = services.replies.queue(chat.0, send);
}

/// A refusal of `kind` is told once per rate-limit window per user: a user who keeps sending
/// while refused gets one answer, not one per message. Without a cache, every time.
async fn first_refusal(services: &Services, uid: UserId, kind: &str) -> bool {
    let window = Ttl::from_config(services.config.limits.rate_limit_window);
    match services.cache.incr_window(&format!("told:{kind}:{}", uid.0), window).await {
        Ok((count, _)) => count == 1,
        Err(_) => true,
    }
}

/// A private message, timed into [`crate::metrics::Metrics::handler_latency`] once it holds
/// one of the intake slots (the wait for a slot is queueing, not handling). The slot covers
/// the cache and database work; a submission's receipt is sent after it is given back, so a
/// reply waiting for Telegram's per-chat limit does not hold up other chats' submissions.
pub async fn on_message(bot: Bot, msg: Message, services: Services, update: HandledGuard) -> HandlerResult {
    let slots = services.intake_slots.clone();
    let Ok(slot) = slots.acquire_owned().await else { return Ok(()) }; // never closed
    let started = std::time::Instant::now();
    let metrics = services.metrics.clone();
    let result = handle_message(bot, msg, services, slot, update).await;
    metrics.handler_latency.record(started.elapsed());
    result
}

#[instrument(skip_all, fields(chat_id = msg.chat.id.0, message_id = msg.id.0, user_id = msg.from.as_ref().map(|u| u.id.0)))]
async fn handle_message(
    bot: Bot,
    msg: Message,
    services: Services,
    slot: OwnedSemaphorePermit,
    update: HandledGuard,
) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else { return Ok(()) };
    let uid = user_id(user);
    let locale = locale_for(&services, uid, user.language_code.as_deref()).await;
    let t = |key: &str| services.i18n.t(locale, key);

    if let Some(command) = msg.text().and_then(command_of) {
        match command {
            "start" => reply(
                &bot,
                &services,
                msg.chat.id,
                services.i18n.t_args(locale, "welcome", &[("name", text(user.first_name.clone()))]),
            ),
            "status" => status(&bot, &msg, &services, uid, locale).await,
            "withdraw" => super::conversation::on_withdraw_command(&bot, &services, &msg, uid, locale).await,
            "language" => {
                let keyboard = InlineKeyboardMarkup::new(vec![vec![
                    InlineKeyboardButton::callback("Русский", Action::Language("ru".into()).encode()),
                    InlineKeyboardButton::callback("English", Action::Language("en".into()).encode()),
                ]]);
                reply_with(&bot, &services, msg.chat.id, t("language-choose"), Some(keyboard));
            }
            _ => reply(&bot, &services, msg.chat.id, t("help")),
        }
        return Ok(());
    }

    let post = match extract::extract(&msg, &services.raw_entities) {
        Some(Extracted::Post(post)) => post,
        Some(Extracted::Unsupported) => {
            if first_refusal(&services, uid, "unsupported").await {
                reply(&bot, &services, msg.chat.id, t("not-supported"));
            }
            return Ok(());
        }
        None => return Ok(()),
    };
    // An answer to the moderators joins its post's thread: not a submission.
    match super::conversation::take_answer(&bot, &services, &msg, &post, uid, locale).await {
        Ok(false) => {}
        Ok(true) => return Ok(()),
        // The database is away: the submission below waits the outage out (and tells the
        // author only past the bound), so the message is not lost; while the outage lasts an
        // answer cannot be told from a submission, and is taken as one.
        Err(e) if e.is_outage() => {
            tracing::warn!(error = %e, "thread lookup failed in an outage; taken as a submission");
        }
        Err(e) => {
            try_later(&bot, &msg, locale, &services, &e);
            return Ok(());
        }
    }
    let (admission, retry_in) = admission(&services, &post, uid).await;
    let forwarded = super::forward::forwarded_from(&msg);
    let submitted =
        crate::moderation::intake::submit_forwarded(&services, &post, admission, Waiting::holding(slot), forwarded)
            .await;
    // Stored (or refused, or failed for good): a redelivery of this update is not needed any
    // more; a receipt that does not go out is made good by the receipts' sweep.
    update.release();
    match submitted {
        Ok(SubmitOutcome::Created(id)) => {
            tracing::info!(post_id = id.0, album = post.media_group_id.is_some(), "submission stored");
            // Albums are receipted once, whole, when they are announced.
            if post.media_group_id.is_none() {
                crate::receipts::queue(&bot, &services, msg.chat.id, locale, id);
            }
            Ok(())
        }
        Ok(SubmitOutcome::AlbumPart(id)) => {
            tracing::debug!(post_id = id.0, "album part joined its post");
            Ok(())
        }
        Ok(SubmitOutcome::Duplicate(id)) => redelivered(&bot, &services, id).await,
        Ok(SubmitOutcome::Refused(refusal)) => {
            tracing::info!(?refusal, "submission refused");
            let kind = match refusal {
                Refusal::Banned => "banned",
                Refusal::RateLimited => "rate-limited",
                Refusal::TooManyPending(_) => "too-many-pending",
            };
            if !first_refusal(&services, uid, kind).await {
                return Ok(());
            }
            let answer = match refusal {
                Refusal::Banned => t("banned"),
                Refusal::RateLimited => {
                    let seconds = i64::try_from(retry_in.max(1)).unwrap_or(i64::MAX);
                    services.i18n.t_args(locale, "rate-limited", &[("seconds", num(seconds))])
                }
                Refusal::TooManyPending(count) => {
                    services.i18n.t_args(locale, "too-many-pending", &[("count", num(count))])
                }
            };
            reply(&bot, &services, msg.chat.id, answer);
            Ok(())
        }
        Err(e) => {
            try_later(&bot, &msg, locale, &services, &e);
            Ok(())
        }
    }
}

/// A redelivered update of a stored submission: the process that stored it may have died
/// before its receipt went out, so a missing receipt is sent now; otherwise nothing.
async fn redelivered(bot: &Bot, services: &Services, id: PostId) -> HandlerResult {
    tracing::info!(post_id = id.0, "redelivered message of a stored submission");
    Ok(crate::receipts::make_good(bot, services, id).await?)
}

/// The command name of `/cmd@bot args`, if the text is a command.
fn command_of(text: &str) -> Option<&str> {
    let word = text.strip_prefix('/')?.split_whitespace().next()?;
    Some(word.split('@').next().unwrap_or(word))
}

/// Tells the user nothing was saved; the error itself was logged where it happened.
fn try_later(bot: &Bot, msg: &Message, locale: &str, services: &Services, error: &StoreError) {
    tracing::error!(error = %error, "submission not stored; user asked to try again");
    reply(bot, services, msg.chat.id, services.i18n.t(locale, "try-later"));
}

/// The checks for this submission: the rate-limit window is counted in the cache (album parts
/// after the first do not count again); the ban list and the pending cap are checked by the
/// store in the same statement that stores the post. Without Redis the rate limit is skipped
/// (logged by the cache); the cap still holds. Also returns the seconds left in the window.
async fn admission(services: &Services, post: &NewPost, uid: UserId) -> (Admission, u64) {
    let limits = &services.config.limits;
    let window = Ttl::from_config(limits.rate_limit_window);
    let mut admission = Admission { rate_limited: false, max_pending: Some(i64::from(limits.max_pending_per_user)) };
    let later_part = match &post.media_group_id {
        // Without Redis we cannot tell the first part: treat parts as later ones rather than
        // refuse half an album (the rate limit is off without Redis anyway).
        Some(group) => !services
            .cache
            .incr_window(&format!("album-seen:{}:{group}", post.source_chat_id), window)
            .await
            .is_ok_and(|(n, _)| n == 1),
        None => false,
    };
    let key = format!("rate:{}", uid.0);
    let counted = if later_part {
        // Read, do not count: a later part is refused only if its first part was.
        services.cache.get(&key).await.map(|v| (v.and_then(|v| v.parse().ok()).unwrap_or(0), 0))
    } else {
        services.cache.incr_window(&key, window).await
    };
    match counted {
        Ok((count, left)) => {
            admission.rate_limited = count > u64::from(limits.rate_limit_max);
            (admission, left)
        }
        Err(_) => (admission, 0),
    }
}

async fn status(bot: &Bot, msg: &Message, services: &Services, uid: UserId, locale: &str) {
    let posts = match services.store.recent_posts_of(uid, 10).await {
        Ok(p) => p,
        Err(e) => return try_later(bot, msg, locale, services, &e),
    };
    if posts.is_empty() {
        return reply(bot, services, msg.chat.id, services.i18n.t(locale, "status-empty"));
    }
    let total = services.store.author(uid).await.ok().flatten().map_or(0, |a| a.approved + a.rejected + a.pending);
    let mut lines = vec![services.i18n.t_args(locale, "status-header", &[("count", num(total))])];
    for p in posts {
        let state = services.i18n.t(locale, &format!("status-{}", p.status.as_str()));
        lines.push(services.i18n.t_args(
            locale,
            "status-line",
            &[
                ("id", num(p.id.0)),
                ("date", text(p.created_at.format("%Y-%m-%d").to_string())),
                ("status", text(state)),
            ],
        ));
    }
    reply(bot, services, msg.chat.id, lines.join("\n"));
}

#[instrument(skip_all, fields(chat_id = msg.chat.id.0, message_id = msg.id.0))]
pub async fn on_edit(bot: Bot, msg: Message, services: Services) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else { return Ok(()) };
    let Some((body, entities)) = extract::edited_text(&msg, &services.raw_entities) else { return Ok(()) };
    let uid = user_id(user);
    let locale = locale_for(&services, uid, user.language_code.as_deref()).await;
    let window = Ttl::from_config(services.config.limits.rate_limit_window);
    if let Ok((count, left)) = services.cache.incr_window(&format!("edits:{}", uid.0), window).await
        && count > EDITS_PER_WINDOW
    {
        tracing::info!(edits = count, "author edit not applied: too many edits in the window");
        if first_refusal(&services, uid, "edits").await {
            let seconds = i64::try_from(left.max(1)).unwrap_or(i64::MAX);
            let body = services.i18n.t_args(locale, "edit-rate-limited", &[("seconds", num(seconds))]);
            reply(&bot, &services, msg.chat.id, body);
        }
        return Ok(());
    }
    let edit = AuthorEdit { source_chat_id: msg.chat.id.0, source_message_id: msg.id.0, body, entities };
    match crate::moderation::intake::author_edit(&services, &edit).await {
        Ok(AuthorEditOutcome::Updated(id)) => {
            reply(&bot, &services, msg.chat.id, services.i18n.t_args(locale, "receipt-edited", &[("id", num(id.0))]));
        }
        Ok(AuthorEditOutcome::TooLate(id)) => {
            reply(&bot, &services, msg.chat.id, services.i18n.t_args(locale, "edit-too-late", &[("id", num(id.0))]));
        }
        Ok(AuthorEditOutcome::Unknown) => {}
        Err(e) => try_later(&bot, &msg, locale, &services, &e),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::command_of;

    #[test]
    fn commands_are_recognised() {
        assert_eq!(command_of("/start"), Some("start"));
        assert_eq!(command_of("/status@PostGateBot now"), Some("status"));
        assert_eq!(command_of("hello /start"), None);
        assert_eq!(command_of("/"), None);
    }
}
