//! The conversation with authors in Telegram (issue #17 part 1): an author's message that
//! answers the moderators joins the post's thread instead of becoming a submission (a reply
//! to the bot's request for changes, or media, is the new version; other text, a reply to a
//! free message included, is an answer); `/withdraw N`
//! and the Withdraw button; and in the moderation group, "Ask for changes" on a card, whose
//! text a moderator gives as a reply to the bot's prompt.

use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, ForceReply, MaybeInaccessibleMessage, Message, ReplyParameters};
use tracing::instrument;

use super::HandlerResult;
use super::extract::user_id;
use super::group::answer;
use super::intake::reply;
use super::locale::locale_for;
use super::moderators::is_moderator;
use crate::domain::{ActionSource, PostId, UserId};
use crate::i18n::{num, text};
use crate::moderation::conversation::{self, ConversationError, Outgoing};
use crate::services::Services;
use crate::store::{FromAuthor, FromAuthorOutcome, NewPost, Revision, ToAuthorOutcome, WithdrawOutcome};
use crate::telegram::{answer_limited, send_limited};

/// Attaches a private message to the thread of the post it answers, if it answers one: `true`
/// when it was taken (attached, a repeat, or from a banned author — never a submission), `false`
/// when it is a submission. Album parts are always submissions (a revision is one message).
pub(super) async fn take_answer(
    bot: &Bot,
    services: &Services,
    msg: &Message,
    post: &NewPost,
    author: UserId,
    locale: &str,
) -> Result<bool, crate::store::StoreError> {
    if post.media_group_id.is_some() {
        return Ok(false);
    }
    let reply_to = msg.reply_to_message().map(|r| r.id.0);
    let Some((post_id, to_request)) =
        conversation::target(services, msg.chat.id.0, reply_to, chrono::Utc::now()).await?
    else {
        return Ok(false);
    };
    let revision = (to_request || !post.media.is_empty()).then(|| Revision {
        body: post.body.clone(),
        entities: post.entities.clone(),
        media: post.media.clone(),
    });
    let message = FromAuthor { post_id, author, telegram_message_id: msg.id.0, body: post.body.clone(), revision };
    let key = if message.revision.is_some() { "thread-revision-received" } else { "thread-answer-received" };
    match conversation::attach(services, &message).await? {
        FromAuthorOutcome::Attached { .. } => {
            let body = services.i18n.t_args(locale, key, &[("id", num(post_id.0))]);
            reply(bot, services, msg.chat.id, body);
            Ok(true)
        }
        // A repeat of an attached message, or a banned author: not attached, not a submission.
        FromAuthorOutcome::Duplicate | FromAuthorOutcome::Banned => Ok(true),
        // Decided meanwhile: the message is a submission of its own.
        FromAuthorOutcome::Closed { .. } | FromAuthorOutcome::NotFound => Ok(false),
    }
}

/// `/withdraw N` in a private chat.
pub(super) async fn on_withdraw_command(bot: &Bot, services: &Services, msg: &Message, author: UserId, locale: &str) {
    let number = msg
        .text()
        .and_then(|t| t.split_whitespace().nth(1))
        .and_then(|n| n.trim_start_matches(['#', '№']).parse::<i64>().ok());
    let body = match number.filter(|id| *id > 0) {
        Some(id) => withdraw_answer(services, PostId(id), author, locale).await,
        None => services.i18n.t(locale, "withdraw-usage"),
    };
    reply(bot, services, msg.chat.id, body);
}

async fn withdraw_answer(services: &Services, post: PostId, author: UserId, locale: &str) -> String {
    let id = [("id", num(post.0))];
    match conversation::withdraw(services, post, author).await {
        Ok(WithdrawOutcome::Withdrawn { .. }) => services.i18n.t_args(locale, "withdraw-done", &id),
        Ok(WithdrawOutcome::Closed { .. } | WithdrawOutcome::NotFound) => {
            services.i18n.t_args(locale, "withdraw-not-found", &id)
        }
        Err(e) => {
            tracing::error!(error = %e, post_id = post.0, "withdrawal not saved");
            services.i18n.t(locale, "try-later")
        }
    }
}

/// The Withdraw button under a request for changes, pressed in the author's own chat.
#[instrument(skip_all, fields(post_id = post.0, user_id = q.from.id.0))]
pub(super) async fn on_withdraw_button(
    bot: &Bot,
    q: &CallbackQuery,
    services: &Services,
    post: PostId,
) -> HandlerResult {
    let author = user_id(&q.from);
    let locale = locale_for(services, author, q.from.language_code.as_deref()).await;
    let own_chat = matches!(q.message.as_ref(), Some(MaybeInaccessibleMessage::Regular(m))
        if m.chat.is_private() && m.chat.id.0 == author.0);
    if !own_chat {
        return answer(bot, services, q, services.i18n.t(locale, "callback-invalid"), true).await;
    }
    let body = withdraw_answer(services, post, author, locale).await;
    answer(bot, services, q, body, false).await
}

/// "Ask for changes" on a card (a moderator, checked by the caller): the bot asks for the
/// text as a reply to its prompt.
pub(super) async fn on_ask_button(
    bot: &Bot,
    q: &CallbackQuery,
    services: &Services,
    card: &Message,
    post: PostId,
) -> HandlerResult {
    let locale = services.i18n.default_locale();
    let prompt = services.i18n.t_args(locale, "ask-changes-prompt", &[("id", num(post.0))]);
    answer_limited(&services.limiter, || bot.answer_callback_query(q.id.clone()).send()).await?;
    send_limited(&services.limiter, &card.chat.id.into(), 1, "sendMessage", || {
        bot.send_message(card.chat.id, prompt.clone())
            .reply_parameters(ReplyParameters::new(card.id).allow_sending_without_reply())
            // Not `selective`: it would single out the card's sender, the bot itself.
            .reply_markup(ForceReply::new())
            .send()
    })
    .await?;
    Ok(())
}

/// The post a prompt of [`on_ask_button`] is about: the first `#N` / `№N` of the bot's text.
fn prompted_post(prompt: &Message) -> Option<PostId> {
    if !prompt.from.as_ref().is_some_and(|u| u.is_bot) {
        return None;
    }
    let text = prompt.text()?;
    let start = text.find(['#', '№'])?;
    let rest = &text[start..];
    let digits: String = rest.chars().skip(1).take_while(char::is_ascii_digit).collect();
    digits.parse::<i64>().ok().filter(|id| *id > 0).map(PostId)
}

/// Whether a group message answers an "Ask for changes" prompt.
pub(super) fn is_ask_reply(msg: &Message) -> bool {
    msg.text().is_some() && msg.reply_to_message().is_some_and(|p| prompted_post(p).is_some())
}

/// A moderator's reply to an "Ask for changes" prompt: the request goes to the author.
#[instrument(skip_all, fields(chat_id = msg.chat.id.0, user_id = msg.from.as_ref().map(|u| u.id.0)))]
pub(super) async fn on_ask_reply(bot: Bot, msg: Message, services: Services) -> HandlerResult {
    let (Some(from), Some(post)) = (msg.from.as_ref(), msg.reply_to_message().and_then(prompted_post)) else {
        return Ok(());
    };
    let locale = services.i18n.default_locale();
    let moderator = user_id(from);
    let said = if is_moderator(&bot, &services, moderator).await {
        let out = Outgoing {
            post,
            moderator,
            source: ActionSource::Telegram,
            body: msg.text().unwrap_or_default().to_owned(),
            request: true,
        };
        match conversation::send(&services, &out).await {
            Ok(ToAuthorOutcome::Queued { .. }) => {
                services.i18n.t_args(locale, "ask-changes-sent", &[("id", num(post.0))])
            }
            Ok(ToAuthorOutcome::NotOpen { .. } | ToAuthorOutcome::NotFound) => {
                services.i18n.t(locale, "schedule-not-waiting")
            }
            Err(ConversationError::Store(e)) => {
                tracing::error!(error = %e, post_id = post.0, "request for changes not saved");
                services.i18n.t(locale, "try-later")
            }
            Err(e) => services.i18n.t_args(locale, "ask-changes-refused", &[("reason", text(e.to_string()))]),
        }
    } else {
        services.i18n.t(locale, "not-a-moderator")
    };
    send_limited(&services.limiter, &msg.chat.id.into(), 1, "sendMessage", || {
        bot.send_message(msg.chat.id, said.clone())
            .reply_parameters(ReplyParameters::new(msg.id).allow_sending_without_reply())
            .send()
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_prompted_post_is_the_first_number() {
        let prompt: teloxide::types::Message = serde_json::from_value(serde_json::json!({
            "message_id": 5, "date": 1_700_000_000, "text": "✏️ №12: ответьте #7",
            "chat": {"id": -100, "type": "supergroup", "title": "Mods"},
            "from": {"id": 1, "is_bot": true, "first_name": "Bot"}
        }))
        .unwrap();
        assert_eq!(super::prompted_post(&prompt), Some(crate::domain::PostId(12)));
    }
}
