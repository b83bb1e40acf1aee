//! The outbox's messages to authors from the conversation (issue #17 part 1): a moderator's
//! request or message, framed in the author's language and quoting the submission, with the
//! Withdraw button under a request. Telegram's answer is recorded on the thread: `sent` with
//! the message id (the author's reply finds the post by it), or `undelivered` when the author
//! blocked the bot or left — never tried again.

use teloxide::prelude::*;
use teloxide::{ApiError, Bot, RequestError};

use super::JobError;
use crate::domain::PostId;
use crate::render::thread::{quote_of, to_author_text, withdraw_keyboard};
use crate::render::to_chat;
use crate::services::Services;
use crate::store::{DeliveryResult, OutboxJob, OutboxResult, PostRecord, ThreadKind};
use crate::telegram::{Failure, classify, send_limited};

/// The thread message a `notify_author` job sends, if it is one.
pub(super) fn thread_message_of(job: &OutboxJob) -> Option<i64> {
    job.payload.get("thread_message").and_then(serde_json::Value::as_i64)
}

/// Records a thread message the worker gave up on as undelivered (other jobs: nothing).
pub(super) async fn give_up(services: &Services, job: &OutboxJob, error: &str) {
    let Some(message) = thread_message_of(job) else { return };
    let result = DeliveryResult::Undelivered { error: error.to_owned() };
    if let Err(e) = services.store.thread_delivered(message, &result).await {
        tracing::error!(error = %e, thread_message = message, "cannot mark the message to the author undelivered");
    }
}

/// Sends one thread message to the post's author and records how it went.
pub(super) async fn send_thread_message(
    bot: &Bot,
    services: &Services,
    post: &PostRecord,
    message: i64,
) -> Result<OutboxResult, JobError> {
    let thread = services.store.thread(post.id).await?;
    let Some(item) = thread.iter().find(|m| m.id == message) else {
        tracing::warn!(thread_message = message, "thread message no longer exists");
        return Ok(OutboxResult::Done);
    };
    if item.telegram_message_id.is_some() {
        return Ok(OutboxResult::Done); // sent by an earlier attempt whose completion was lost
    }
    let locale = super::jobs::author_locale(services, post).await;
    let i18n = &services.i18n;
    let body = to_author_text(i18n, locale, post.id, item.kind, &quote_of(post), &item.body);
    let keyboard = (item.kind == ThreadKind::Request).then(|| withdraw_keyboard(i18n, locale, post.id));
    let chat = ChatId(post.source_chat_id);
    let sent = send_limited(&services.limiter, &to_chat(post.source_chat_id), 1, "sendMessage", || {
        let request = bot.send_message(chat, body.clone());
        match &keyboard {
            Some(keyboard) => request.reply_markup(keyboard.clone()).send(),
            None => request.send(),
        }
    })
    .await;
    let result = match sent {
        Ok(sent) => DeliveryResult::Sent { telegram_message_id: sent.id.0 },
        Err(e @ RequestError::Api(ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::ChatNotFound)) => {
            tracing::info!(error = %e, "the author cannot be reached (blocked the bot or left): undelivered");
            DeliveryResult::Undelivered { error: e.to_string() }
        }
        Err(e) if classify(&e) == Failure::Permanent => {
            tracing::warn!(error = %e, "Telegram refused the message to the author: undelivered");
            DeliveryResult::Undelivered { error: e.to_string() }
        }
        Err(e) => return Err(e.into()),
    };
    record(services, post.id, message, &result).await?;
    Ok(OutboxResult::Done)
}

async fn record(services: &Services, post: PostId, message: i64, result: &DeliveryResult) -> Result<(), JobError> {
    let store = &services.store;
    super::patiently(services, "the message's delivery", || store.thread_delivered(message, result)).await?;
    tracing::debug!(post_id = post.0, thread_message = message, "delivery recorded");
    Ok(())
}

/// The card's text with its line about the conversation (the open request, or the author's
/// answer), within Telegram's limit; as it was when the thread cannot be read.
pub(super) async fn with_conversation(services: &Services, locale: &str, post: &PostRecord, card: String) -> String {
    let thread = match services.store.thread(post.id).await {
        Ok(thread) => thread,
        Err(e) => {
            tracing::warn!(error = %e, post_id = post.id.0, "cannot read the thread for the card; drawn without it");
            return card;
        }
    };
    match crate::render::thread::card_line(&services.i18n, locale, post, &thread) {
        Some(line) => {
            let whole = format!("{card}\n\n{line}");
            crate::domain::text::prefix_utf16(&whole, crate::domain::text::MAX_TEXT).to_owned()
        }
        None => card,
    }
}
