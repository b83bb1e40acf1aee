//! The signed/anonymous toggle under a receipt: its button (showing the current choice and
//! carrying the other), and its press — only the post's author may, and only while the post is
//! not published; the receipt's keyboard is then edited to show the new choice.

use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, MaybeInaccessibleMessage};
use tracing::instrument;

use super::HandlerResult;
use super::callback::Action;
use super::extract::user_id;
use super::group::answer;
use super::locale::locale_for;
use crate::domain::PostId;
use crate::i18n::{I18n, num};
use crate::services::Services;
use crate::store::SignedOutcome;
use crate::telegram::send_limited;

/// The toggle: one button showing `signed`, whose press asks for the other choice.
pub fn signed_keyboard(i18n: &I18n, locale: &str, post: PostId, signed: bool) -> InlineKeyboardMarkup {
    let label = i18n.t(locale, if signed { "signed-toggle-signed" } else { "signed-toggle-anonymous" });
    InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(label, Action::Signed(post, !signed).encode())]])
}

/// A press of the toggle: the store checks it is the author's and still in time; the answer
/// says what the post will be, and the receipt's button shows it.
#[instrument(skip_all, fields(post_id = post.0, signed))]
pub(super) async fn on_toggle(
    bot: &Bot,
    q: &CallbackQuery,
    services: &Services,
    post: PostId,
    signed: bool,
) -> HandlerResult {
    let presser = user_id(&q.from);
    let locale = locale_for(services, presser, q.from.language_code.as_deref()).await;
    let i18n = &services.i18n;
    let id = [("id", num(post.0))];
    let outcome = crate::moderation::options::author_sets_signed(services, post, presser, signed).await;
    let (message, alert) = match &outcome {
        Ok(SignedOutcome::Changed { signed }) => {
            (i18n.t_args(locale, if *signed { "signed-now-signed" } else { "signed-now-anonymous" }, &id), false)
        }
        Ok(SignedOutcome::NotAuthor) => {
            tracing::warn!("signed toggle pressed by someone other than the author; nothing changed");
            (i18n.t(locale, "signed-not-yours"), true)
        }
        Ok(SignedOutcome::TooLate { status }) => {
            tracing::info!(%status, "signed toggle pressed too late; nothing changed");
            (i18n.t_args(locale, "signed-too-late", &id), true)
        }
        Ok(SignedOutcome::NotFound) => (i18n.t(locale, "callback-invalid"), true),
        Err(e) => {
            tracing::error!(error = %e, "signed choice not saved");
            (i18n.t(locale, "try-later"), true)
        }
    };
    answer(bot, services, q, message, alert).await?;
    if let (Ok(SignedOutcome::Changed { signed }), Some(MaybeInaccessibleMessage::Regular(receipt))) =
        (&outcome, q.message.as_ref())
    {
        let keyboard = signed_keyboard(i18n, locale, post, *signed);
        send_limited(&services.limiter, &receipt.chat.id.into(), 1, "editMessageReplyMarkup", || {
            bot.edit_message_reply_markup(receipt.chat.id, receipt.id).reply_markup(keyboard.clone()).send()
        })
        .await?;
    }
    Ok(())
}
