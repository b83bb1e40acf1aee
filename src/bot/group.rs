//! Button presses: moderation actions on cards in the moderation group (moderators only),
//! and in the presser's own private chat the language choice (nowhere else) and the
//! signed/anonymous toggle under a receipt (`options.rs`).

use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, MaybeInaccessibleMessage, ReplyParameters};
use tracing::instrument;

use super::HandlerResult;
use super::callback::{Action, View};
use super::extract::user_id;
use super::locale::locale_for;
use super::moderators::is_moderator;
use super::review;
use crate::domain::{ActionSource, RejectReason, Seen, UserId};
use crate::i18n::{AVAILABLE, text};
use crate::moderation::ModerationError;
use crate::moderation::outage::Waiting;
use crate::runtime::HandledGuard;
use crate::services::Services;
use crate::store::{DecideOutcome, Decision, DecisionKind, ModeratorProfile};
use crate::telegram::{answer_limited, send_limited};

pub(super) async fn answer(
    bot: &Bot,
    services: &Services,
    q: &CallbackQuery,
    message: String,
    alert: bool,
) -> HandlerResult {
    answer_limited(&services.limiter, || {
        bot.answer_callback_query(q.id.clone()).text(message.clone()).show_alert(alert).send()
    })
    .await?;
    Ok(())
}

/// [`answer`] beside the handler: the dispatcher worker goes on to the next press while this
/// one's answer takes its round trip (a worker answering its presses one after another left a
/// thousand presses at 80 ms answered up to 1.3 s late). A failure is logged.
fn answer_apart(bot: &Bot, services: &Services, q: &CallbackQuery, message: String, alert: bool) {
    let (bot, task_services, q) = (bot.clone(), services.clone(), q.clone());
    services.replies.send_apart(async move {
        if let Err(e) = answer(&bot, &task_services, &q, message, alert).await {
            tracing::warn!(error = %e, "could not answer a press");
        }
    });
}

#[instrument(skip_all, fields(user_id = q.from.id.0, data = q.data.as_deref().unwrap_or("")))]
pub async fn on_callback(bot: Bot, q: CallbackQuery, services: Services, update: HandledGuard) -> HandlerResult {
    let group_locale = services.i18n.default_locale();
    let Some(action) = q.data.as_deref().and_then(Action::parse) else {
        tracing::warn!("unknown or malformed callback data");
        return answer(&bot, &services, &q, services.i18n.t(group_locale, "callback-invalid"), true).await;
    };
    if let Some(handled) = private_button(&bot, &q, &services, &action).await {
        return handled;
    }
    let Some(post_id) = action.post() else { return Ok(()) };
    let Some(MaybeInaccessibleMessage::Regular(card)) = q.message.as_ref() else {
        return answer(&bot, &services, &q, services.i18n.t(group_locale, "callback-invalid"), true).await;
    };
    let in_group = card.chat.id.0 == services.config.telegram.moderation_group_id;
    if !in_group || !is_moderator(&bot, &services, user_id(&q.from)).await {
        tracing::warn!(in_group, "moderation button pressed by a non-moderator; nothing changed");
        return answer(&bot, &services, &q, services.i18n.t(group_locale, "not-a-moderator"), true).await;
    }
    let moderator = record_moderator(&services, &q.from).await;
    if let Action::AskChanges(post) = action {
        return super::conversation::on_ask_button(&bot, &q, &services, card, post).await;
    } else if super::schedule::is_schedule_button(&action) {
        return super::schedule::on_button(&bot, &q, &services, action, moderator).await;
    }
    let reasons = matches!(action, Action::RejectMenu(..));
    let kind = match action {
        Action::RejectMenu(id, seen, view) | Action::Back(id, seen, view) => {
            return review::switch_keyboard(&bot, &q, &services, card, id, &seen, view, reasons).await;
        }
        Action::ShowAll(id, seen) => return review::show_all(&bot, &q, &services, card, id, &seen).await,
        Action::Stale(id) => return review::look_again(&bot, &q, &services, card, id).await,
        Action::Approve(_, seen, View::Card) => DecisionKind::ApproveSeen { seen: Seen::Card(seen), edited_body: None },
        Action::Approve(_, seen, View::Whole) => {
            DecisionKind::ApproveSeen { seen: Seen::Version(seen), edited_body: None }
        }
        Action::Reject(post, index) => {
            let Some(reason) = RejectReason::template_at(index) else {
                tracing::warn!(post_id = post.0, index, "reason button out of range");
                return answer(&bot, &services, &q, services.i18n.t(group_locale, "callback-invalid"), true).await;
            };
            DecisionKind::Reject { reason, ban_author: false }
        }
        Action::Ban(_) => DecisionKind::Reject { reason: RejectReason::rules(), ban_author: true },
        Action::RetryPublish(_) => DecisionKind::RetryPublish,
        _ => return Ok(()), // the language, signed and schedule buttons are handled above
    };
    let decision = Decision { post_id, moderator, source: ActionSource::Telegram, kind };
    let pressed = update.taken_at().unwrap_or_else(std::time::Instant::now);
    let (decided, answered_saving) = decide_saying_saving(&bot, &services, &q, &decision, pressed).await;
    // Saved (or refused): the press no longer holds the offset back, and the listener takes
    // in the next presses while this one is answered.
    update.release();
    let message = match &decided {
        Ok(DecideOutcome::Decided { .. }) => services.i18n.t(group_locale, "decision-saved"),
        Ok(DecideOutcome::AlreadyDecided { by, .. }) => {
            let name = moderator_name(&services, *by).await;
            services.i18n.t_args(group_locale, "already-decided", &[("moderator", text(name))])
        }
        Ok(DecideOutcome::ClaimedByOther { by, .. }) => {
            let name = moderator_name(&services, Some(*by)).await;
            services.i18n.t_args(group_locale, "claimed-by-other", &[("moderator", text(name))])
        }
        Ok(DecideOutcome::Changed { .. }) => services.i18n.t(group_locale, "post-changed"),
        Ok(DecideOutcome::NotFound) => services.i18n.t(group_locale, "callback-invalid"),
        Err(ModerationError::NotShownWhole) => services.i18n.t(group_locale, "show-all-first"),
        Err(ModerationError::Unreachable(e)) => {
            tracing::error!(error = %e, post_id = post_id.0, "decision not saved: the database stayed unreachable");
            services.i18n.t(group_locale, "decision-unreachable")
        }
        Err(e) => {
            tracing::error!(error = %e, post_id = post_id.0, "decision not saved");
            services.i18n.t(group_locale, "try-later")
        }
    };
    if matches!(decided, Err(ModerationError::NotShownWhole)) && !answered_saving {
        return answer(&bot, &services, &q, message, true).await;
    }
    if matches!(decided, Ok(DecideOutcome::Changed { .. })) {
        // The author changed the post since this card was drawn: the moderator looks again.
        tracing::info!(post_id = post_id.0, "approval of a version the author changed since; card shown again");
        review::refresh_card(&bot, &services, card, post_id).await?;
        if !answered_saving {
            return answer(&bot, &services, &q, message, true).await;
        }
    } else if !answered_saving {
        answer_apart(&bot, &services, &q, message, false);
        return Ok(());
    }
    // The press was answered "saving…": a decision shows on the card (its update job); anything
    // else is said under the card.
    if matches!(decided, Ok(DecideOutcome::Decided { .. })) {
        return Ok(());
    }
    send_limited(&services.limiter, &card.chat.id.into(), 1, "sendMessage", || {
        bot.send_message(card.chat.id, message.clone())
            .reply_parameters(ReplyParameters::new(card.id).allow_sending_without_reply())
            .send()
    })
    .await?;
    Ok(())
}

/// Records who pressed (for "decided by" lines and the audit log); their id.
async fn record_moderator(services: &Services, from: &teloxide::types::User) -> UserId {
    let moderator = user_id(from);
    let profile = ModeratorProfile {
        id: moderator,
        display_name: from.full_name(),
        username: from.username.clone(),
        source: if services.config.telegram.moderator_ids.contains(&moderator.0) { "config" } else { "group_admin" },
    };
    if let Err(e) = crate::moderation::intake::upsert_moderator(services, &profile).await {
        tracing::warn!(error = %e, "could not record the moderator's name");
    }
    moderator
}

/// The buttons of private chats (a language, a withdrawal, the receipt's signed/anonymous toggle),
/// pressed by their chat's user:
/// handled here, or `None` for the moderation group's buttons.
async fn private_button(bot: &Bot, q: &CallbackQuery, services: &Services, action: &Action) -> Option<HandlerResult> {
    match action {
        Action::Language(locale) => Some(choose_language(bot, q, services, locale).await),
        Action::Signed(post, signed) => Some(super::options::on_toggle(bot, q, services, *post, *signed).await),
        Action::Withdraw(post) => Some(super::conversation::on_withdraw_button(bot, q, services, *post).await),
        _ => None,
    }
}

/// Telegram shows a spinner on a pressed button until the press is answered: a decision not
/// saved this long after the press reached the bot is answered "saving…" at once (the rest of
/// the second is the answer's own round trip), and its result shows on the card.
const ANSWER_WITHIN: Duration = Duration::from_millis(700);

/// Decides; if the decision has to wait out a database outage, or is not saved by
/// [`ANSWER_WITHIN`] after `pressed`, the press is answered "saving…" at once — then `true`.
async fn decide_saying_saving(
    bot: &Bot,
    services: &Services,
    q: &CallbackQuery,
    decision: &Decision,
    pressed: std::time::Instant,
) -> (Result<DecideOutcome, ModerationError>, bool) {
    let (started, waiting) = tokio::sync::oneshot::channel();
    let decided = async {
        // A decision is a write somebody waits for, as a submission is: it takes an intake
        // slot, so the outbox worker holds its rounds back while presses are being decided
        // (1 000 presses at once were answered up to 1.4 s late beside the publishing).
        let _slot = services.intake_slots.acquire().await.ok();
        crate::moderation::decide_waiting(services, decision, Waiting::telling(started)).await
    };
    tokio::pin!(decided);
    let deadline = tokio::time::Instant::from_std(pressed + ANSWER_WITHIN);
    let waiting = async {
        // Whichever comes first: the outage wait began (`true`), or the answer cannot wait
        // any longer.
        tokio::select! {
            started = waiting => if started.is_err() { std::future::pending::<bool>().await } else { true },
            () = tokio::time::sleep_until(deadline) => false,
        }
    };
    tokio::select! {
        outcome = &mut decided => (outcome, false),
        outage = waiting => {
            // Answered beside the decision, which goes on meanwhile (it may hold row locks).
            let key = if outage { "decision-saving" } else { "decision-saving-busy" };
            answer_apart(bot, services, q, services.i18n.t(services.i18n.default_locale(), key), false);
            (decided.await, true)
        }
    }
}

pub(super) async fn moderator_name(services: &Services, id: Option<UserId>) -> String {
    let Some(id) = id else { return "?".to_owned() };
    if id == UserId::SYSTEM {
        return services.i18n.t(services.i18n.default_locale(), "moderator-system");
    }
    services.store.moderator_name(id).await.ok().flatten().unwrap_or_else(|| id.to_string())
}

/// Sets the presser's language, from a button in their own private chat only: anywhere else
/// (a forged `lang:` payload on a card in the group) nothing changes.
async fn choose_language(bot: &Bot, q: &CallbackQuery, services: &Services, locale: &str) -> HandlerResult {
    let own_chat = matches!(q.message.as_ref(), Some(MaybeInaccessibleMessage::Regular(m))
        if m.chat.is_private() && m.chat.id.0 == user_id(&q.from).0);
    if !own_chat {
        tracing::warn!("language button pressed outside the presser's private chat; nothing changed");
        let current = locale_for(services, user_id(&q.from), q.from.language_code.as_deref()).await;
        return answer(bot, services, q, services.i18n.t(current, "callback-invalid"), true).await;
    }
    let Some(locale) = AVAILABLE.into_iter().find(|l| *l == locale) else { return Ok(()) };
    let author = super::extract::author(&q.from);
    let saved = async {
        crate::moderation::intake::upsert_author(services, &author).await?;
        crate::moderation::intake::set_locale(services, author.id, locale).await
    }
    .await;
    let current = locale_for(services, author.id, q.from.language_code.as_deref()).await;
    let message =
        if saved.is_ok() { services.i18n.t(locale, "language-set") } else { services.i18n.t(current, "try-later") };
    answer(bot, services, q, message.clone(), false).await?;
    if let (Ok(()), Some(MaybeInaccessibleMessage::Regular(m))) = (saved, q.message.as_ref()) {
        send_limited(&services.limiter, &m.chat.id.into(), 1, "editMessageText", || {
            bot.edit_message_text(m.chat.id, m.id, message.clone()).send()
        })
        .await?;
    }
    Ok(())
}
