//! Private chats: commands (/start, /help, /status, /language), submissions with their
//! checks (ban, rate limit, pending cap), and author edits.

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
use tracing::instrument;

use super::callback::Action;
use super::extract::{self, Extracted, user_id};
use super::locale::locale_for;
use super::{BotError, HandlerResult};
use crate::cache::Ttl;
use crate::domain::UserId;
use crate::i18n::{num, text};
use crate::services::Services;
use crate::store::{AuthorEdit, AuthorEditOutcome, NewPost, SubmitOutcome};
use crate::telegram::with_flood_retry;

/// Sends a plain-text reply (never parsed as markup), obeying flood limits.
pub async fn reply(bot: &Bot, chat: ChatId, body: String) -> HandlerResult {
    with_flood_retry("sendMessage", || bot.send_message(chat, body.clone()).send()).await?;
    Ok(())
}

#[instrument(skip_all, fields(chat_id = msg.chat.id.0, message_id = msg.id.0, user_id = msg.from.as_ref().map(|u| u.id.0)))]
pub async fn on_message(bot: Bot, msg: Message, services: Services) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else { return Ok(()) };
    let uid = user_id(user);
    let locale = locale_for(&services, uid, user.language_code.as_deref()).await;
    let t = |key: &str| services.i18n.t(locale, key);

    if let Some(command) = msg.text().and_then(command_of) {
        return match command {
            "start" => {
                reply(
                    &bot,
                    msg.chat.id,
                    services.i18n.t_args(locale, "welcome", &[("name", text(user.first_name.clone()))]),
                )
                .await
            }
            "status" => status(&bot, &msg, &services, uid, locale).await,
            "language" => {
                let keyboard = InlineKeyboardMarkup::new(vec![vec![
                    InlineKeyboardButton::callback("Русский", Action::Language("ru".into()).encode()),
                    InlineKeyboardButton::callback("English", Action::Language("en".into()).encode()),
                ]]);
                with_flood_retry("sendMessage", || {
                    bot.send_message(msg.chat.id, t("language-choose")).reply_markup(keyboard.clone()).send()
                })
                .await?;
                Ok(())
            }
            _ => reply(&bot, msg.chat.id, t("help")).await,
        };
    }

    let post = match extract::extract(&msg) {
        Some(Extracted::Post(post)) => post,
        Some(Extracted::Unsupported) => return reply(&bot, msg.chat.id, t("not-supported")).await,
        None => return Ok(()),
    };
    match services.store.ban_of(uid).await {
        Ok(Some(_)) => return reply(&bot, msg.chat.id, t("banned")).await,
        Ok(None) => {}
        Err(e) => return try_later(&bot, &msg, locale, &services, e.into()).await,
    }
    if let Some(refusal) = check_limits(&services, &post, uid, locale).await {
        return reply(&bot, msg.chat.id, refusal).await;
    }
    match services.store.submit(&post).await {
        Ok(SubmitOutcome::Created(id)) => {
            tracing::info!(post_id = id.0, album = post.media_group_id.is_some(), "submission stored");
            services.outbox_wake.notify_one();
            // Albums are receipted once, whole, when they are announced.
            if post.media_group_id.is_none() {
                reply(&bot, msg.chat.id, services.i18n.t_args(locale, "receipt", &[("id", num(id.0))])).await?;
            }
            Ok(())
        }
        Ok(SubmitOutcome::AlbumPart(id)) => {
            tracing::debug!(post_id = id.0, "album part joined its post");
            Ok(())
        }
        Ok(SubmitOutcome::Duplicate(id)) => {
            tracing::info!(post_id = id.0, "redelivered message ignored");
            Ok(())
        }
        Err(e) => try_later(&bot, &msg, locale, &services, e.into()).await,
    }
}

/// The command name of `/cmd@bot args`, if the text is a command.
fn command_of(text: &str) -> Option<&str> {
    let word = text.strip_prefix('/')?.split_whitespace().next()?;
    Some(word.split('@').next().unwrap_or(word))
}

/// Tells the user nothing was saved; the error itself was logged where it happened.
async fn try_later(bot: &Bot, msg: &Message, locale: &str, services: &Services, error: BotError) -> HandlerResult {
    tracing::error!(error = %error, "submission not stored; user asked to try again");
    reply(bot, msg.chat.id, services.i18n.t(locale, "try-later")).await
}

/// Per-user rate limit and pending cap. Album parts after the first do not count again.
/// Without Redis the rate limit is skipped (logged by the cache); the cap still holds.
async fn check_limits(services: &Services, post: &NewPost, uid: UserId, locale: &str) -> Option<String> {
    let limits = &services.config.limits;
    let window = Ttl::from_config(limits.rate_limit_window);
    if let Some(group) = &post.media_group_id {
        let first_part = services
            .cache
            .incr_window(&format!("album-seen:{}:{group}", post.source_chat_id), window)
            .await
            // Without Redis we cannot tell the first part: let parts through rather than refuse
            // half an album (the rate limit is off without Redis anyway).
            .is_ok_and(|(n, _)| n == 1);
        if !first_part {
            return None;
        }
    }
    if let Ok((count, left)) = services.cache.incr_window(&format!("rate:{}", uid.0), window).await
        && count > u64::from(limits.rate_limit_max)
    {
        let seconds = i64::try_from(left.max(1)).unwrap_or(i64::MAX);
        return Some(services.i18n.t_args(locale, "rate-limited", &[("seconds", num(seconds))]));
    }
    match services.store.pending_count_of(uid).await {
        Ok(pending) if pending >= i64::from(limits.max_pending_per_user) => {
            Some(services.i18n.t_args(locale, "too-many-pending", &[("count", num(pending))]))
        }
        _ => None,
    }
}

async fn status(bot: &Bot, msg: &Message, services: &Services, uid: UserId, locale: &str) -> HandlerResult {
    let posts = match services.store.recent_posts_of(uid, 10).await {
        Ok(p) => p,
        Err(e) => return try_later(bot, msg, locale, services, e.into()).await,
    };
    if posts.is_empty() {
        return reply(bot, msg.chat.id, services.i18n.t(locale, "status-empty")).await;
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
    reply(bot, msg.chat.id, lines.join("\n")).await
}

#[instrument(skip_all, fields(chat_id = msg.chat.id.0, message_id = msg.id.0))]
pub async fn on_edit(bot: Bot, msg: Message, services: Services) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else { return Ok(()) };
    let Some((body, entities)) = extract::edited_text(&msg) else { return Ok(()) };
    let locale = locale_for(&services, user_id(user), user.language_code.as_deref()).await;
    let edit = AuthorEdit { source_chat_id: msg.chat.id.0, source_message_id: msg.id.0, body, entities };
    match services.store.author_edit(&edit).await {
        Ok(AuthorEditOutcome::Updated(id)) => {
            services.outbox_wake.notify_one();
            reply(&bot, msg.chat.id, services.i18n.t_args(locale, "receipt-edited", &[("id", num(id.0))])).await
        }
        Ok(AuthorEditOutcome::TooLate(id)) => {
            reply(&bot, msg.chat.id, services.i18n.t_args(locale, "edit-too-late", &[("id", num(id.0))])).await
        }
        Ok(AuthorEditOutcome::Unknown) => Ok(()),
        Err(e) => try_later(&bot, &msg, locale, &services, e.into()).await,
    }
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
