//! What a moderator reads before deciding, from a card's buttons: the whole text of a cut card
//! ("Show all", after which "Approve" appears), the reasons menu, and the card drawn again when
//! the author changed the post since it was drawn (or it was sent before buttons named a
//! version) — nothing is decided then, the moderator looks again.

use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, ReplyParameters};

use super::HandlerResult;
use super::callback::View;
use super::group::{answer, moderator_name};
use crate::domain::{ContentVersion, PostId};
use crate::render::{Decider, card_keyboard, card_text, reasons_keyboard, review_keyboard, whole_text};
use crate::services::Services;
use crate::store::PostRecord;
use crate::telegram::{answer_limited, send_limited};

/// The post a press is about, if it is still pending at the version the card showed. Otherwise
/// the press is answered (and a changed card drawn again): `None`.
async fn pending_at(
    bot: &Bot,
    q: &CallbackQuery,
    services: &Services,
    card: &Message,
    id: PostId,
    seen: &ContentVersion,
) -> Result<Option<PostRecord>, super::BotError> {
    let locale = services.i18n.default_locale();
    let post = match services.store.post(id).await {
        Ok(Some(post)) => post,
        Ok(None) => {
            answer(bot, services, q, services.i18n.t(locale, "callback-invalid"), true).await?;
            return Ok(None);
        }
        Err(_) => {
            answer(bot, services, q, services.i18n.t(locale, "try-later"), true).await?;
            return Ok(None);
        }
    };
    if post.status.is_awaiting_decision() && post.content_version() == *seen {
        return Ok(Some(post));
    }
    draw(bot, services, card, &post).await?;
    let key = if post.status.is_awaiting_decision() { "post-changed" } else { "callback-invalid" };
    answer(bot, services, q, services.i18n.t(locale, key), true).await?;
    Ok(None)
}

/// Sends the whole text of a cut card as replies to it, then puts "Approve" on the card.
pub(super) async fn show_all(
    bot: &Bot,
    q: &CallbackQuery,
    services: &Services,
    card: &Message,
    id: PostId,
    seen: &ContentVersion,
) -> HandlerResult {
    let Some(post) = pending_at(bot, q, services, card, id, seen).await? else { return Ok(()) };
    let locale = services.i18n.default_locale();
    let chat = card.chat.id;
    for message in whole_text(&services.i18n, locale, &post) {
        send_limited(&services.limiter, &chat.into(), 1, "sendMessage", || {
            bot.send_message(chat, message.clone())
                .reply_parameters(ReplyParameters::new(card.id).allow_sending_without_reply())
                .send()
        })
        .await?;
    }
    tracing::info!(post_id = id.0, "whole text shown");
    set_keyboard(bot, services, card, review_keyboard(&services.i18n, locale, &post, View::Whole)).await?;
    answer_limited(&services.limiter, || bot.answer_callback_query(q.id.clone()).send()).await?;
    Ok(())
}

/// Shows the reason templates (`reasons`), or the main buttons again, on a pending card whose
/// version is still the one it shows.
#[allow(clippy::too_many_arguments)] // the press, its card and what it named
pub(super) async fn switch_keyboard(
    bot: &Bot,
    q: &CallbackQuery,
    services: &Services,
    card: &Message,
    id: PostId,
    seen: &ContentVersion,
    view: View,
    reasons: bool,
) -> HandlerResult {
    let Some(post) = pending_at(bot, q, services, card, id, seen).await? else { return Ok(()) };
    let locale = services.i18n.default_locale();
    let keyboard = if reasons {
        reasons_keyboard(&services.i18n, locale, &post, view)
    } else {
        review_keyboard(&services.i18n, locale, &post, view)
    };
    set_keyboard(bot, services, card, keyboard).await?;
    answer_limited(&services.limiter, || bot.answer_callback_query(q.id.clone()).send()).await?;
    Ok(())
}

/// A button of a card sent before buttons named a version: the card is drawn again as the post
/// is now, and the moderator is asked to look again.
pub(super) async fn look_again(
    bot: &Bot,
    q: &CallbackQuery,
    services: &Services,
    card: &Message,
    id: PostId,
) -> HandlerResult {
    tracing::info!(post_id = id.0, "button without a version (a card from before versions); card shown again");
    refresh_card(bot, services, card, id).await?;
    answer(bot, services, q, services.i18n.t(services.i18n.default_locale(), "post-changed"), true).await
}

/// Draws a post's card again as the post is now (nothing when it is gone or unreadable: the
/// outbox's card update follows every change anyway).
pub(super) async fn refresh_card(bot: &Bot, services: &Services, card: &Message, id: PostId) -> HandlerResult {
    match services.store.post(id).await {
        Ok(Some(post)) => draw(bot, services, card, &post).await,
        Ok(None) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, post_id = id.0, "could not read the post to draw its card again");
            Ok(())
        }
    }
}

async fn set_keyboard(
    bot: &Bot,
    services: &Services,
    card: &Message,
    keyboard: teloxide::types::InlineKeyboardMarkup,
) -> HandlerResult {
    let edited = send_limited(&services.limiter, &card.chat.id.into(), 1, "editMessageReplyMarkup", || {
        bot.edit_message_reply_markup(card.chat.id, card.id).reply_markup(keyboard.clone()).send()
    })
    .await;
    // The keyboard may already be the one asked for (a double press): the press is still answered.
    match edited {
        Ok(_) | Err(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Draws the card again as the post is now (text, links, buttons of the current version).
async fn draw(bot: &Bot, services: &Services, card: &Message, post: &PostRecord) -> HandlerResult {
    let locale = services.i18n.default_locale();
    let author = services.store.author(post.author.id).await.ok().flatten();
    let decider = match post.decided_by {
        Some(id) => Some(Decider { name: moderator_name(services, Some(id)).await }),
        None => None,
    };
    let text = card_text(
        &services.i18n,
        locale,
        post,
        author.as_ref(),
        decider.as_ref(),
        &services.config.schedule,
        &services.config.options,
    );
    let keyboard = card_keyboard(&services.i18n, locale, post);
    let edited = send_limited(&services.limiter, &card.chat.id.into(), 1, "editMessageText", || {
        bot.edit_message_text(card.chat.id, card.id, text.clone()).reply_markup(keyboard.clone()).send()
    })
    .await;
    match edited {
        Ok(_) | Err(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
