//! The schedule in the moderation group: "publish now", "unschedule" and "next free slot"
//! under an approved post's card (moderators only, through the one write path), and
//! `/schedule`, the next ten scheduled posts.

use chrono::{DateTime, Duration};
use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, ReplyParameters};
use tracing::instrument;

use super::HandlerResult;
use super::callback::Action;
use super::extract::user_id;
use super::group::answer;
use super::moderators::is_moderator;
use crate::domain::{ActionSource, UserId};
use crate::i18n::{num, text};
use crate::moderation::schedule::{ScheduleRefused, reschedule, slot_for_approval};
use crate::render::when_text;
use crate::schedule::ScheduleError;
use crate::services::Services;
use crate::store::{Reschedule, ScheduleChange, ScheduleOutcome};
use crate::telegram::send_limited;

/// Posts `/schedule` lists.
const LISTED: usize = 10;
/// Characters of each listed post's text.
const EXCERPT: usize = 60;

/// A schedule button on a card, pressed by a moderator (checked by the caller).
#[instrument(skip_all, fields(post_id = ?action.post()))]
pub async fn on_button(
    bot: &Bot,
    q: &CallbackQuery,
    services: &Services,
    action: Action,
    moderator: UserId,
) -> HandlerResult {
    let locale = services.i18n.default_locale();
    let now = services.clock.now();
    let seen = |at: i64| DateTime::from_timestamp(at, 0);
    let (post_id, seen, to) = match action {
        Action::PublishNow(id, at) => (id, seen(at), Reschedule::Now),
        Action::Unschedule(id, at) => (id, seen(at), Reschedule::Park),
        Action::NextSlot(id) => match slot_for_approval(services, now).await {
            Ok(Some(at)) => (id, None, Reschedule::At { at, swap: false }),
            // Without a plan, a post without a time is published now.
            Ok(None) => (id, None, Reschedule::Now),
            Err(e) => return refused(bot, q, services, &e).await,
        },
        Action::Undo(id) => return super::undo::on_button(bot, q, services, id, moderator).await,
        _ => return Ok(()),
    };
    let change = ScheduleChange { post_id, moderator: Some(moderator), source: ActionSource::Telegram, seen, to };
    let message = match reschedule(services, &change, now).await {
        Ok(ScheduleOutcome::Changed { scheduled_at: Some(at), .. }) => {
            let when = when_text(&services.i18n, locale, &services.config.schedule, at);
            services.i18n.t_args(locale, "schedule-slotted", &[("when", text(when))])
        }
        Ok(ScheduleOutcome::Changed { .. }) if to == Reschedule::Now => {
            services.i18n.t(locale, "schedule-published-now")
        }
        Ok(ScheduleOutcome::Changed { .. }) => services.i18n.t(locale, "schedule-unscheduled"),
        Ok(ScheduleOutcome::Stale { .. }) => {
            // The card is refreshed by the change that came first.
            services.i18n.t(locale, "schedule-stale")
        }
        Ok(ScheduleOutcome::SlotTaken { .. }) => services.i18n.t(locale, "schedule-slot-taken"),
        Ok(ScheduleOutcome::NotWaiting | ScheduleOutcome::NotFound) => services.i18n.t(locale, "schedule-not-waiting"),
        Err(e) => return refused(bot, q, services, &e).await,
    };
    answer(bot, services, q, message, false).await
}

async fn refused(bot: &Bot, q: &CallbackQuery, services: &Services, e: &ScheduleRefused) -> HandlerResult {
    let locale = services.i18n.default_locale();
    let message = match e {
        ScheduleRefused::Time(ScheduleError::SlotTaken { .. }) => services.i18n.t(locale, "schedule-slot-taken"),
        ScheduleRefused::Time(e) => e.to_string(),
        ScheduleRefused::Store(e) => {
            tracing::error!(error = %e, "schedule change not saved");
            services.i18n.t(locale, "try-later")
        }
    };
    answer(bot, services, q, message, true).await
}

/// `/schedule` (or `/schedule@bot`) in the moderation group: the next scheduled posts.
#[instrument(skip_all, fields(chat_id = msg.chat.id.0))]
pub async fn on_group_message(bot: Bot, msg: Message, services: Services) -> HandlerResult {
    let command = msg.text().and_then(|t| t.split_whitespace().next()).unwrap_or_default();
    if command.split('@').next() != Some("/schedule") {
        return Ok(());
    }
    let Some(from) = msg.from.as_ref() else { return Ok(()) };
    let locale = services.i18n.default_locale();
    let reply = if is_moderator(&bot, &services, user_id(from)).await {
        list(&services, locale).await
    } else {
        tracing::warn!(user_id = from.id.0, "/schedule from a non-moderator");
        services.i18n.t(locale, "not-a-moderator")
    };
    send_limited(&services.limiter, &msg.chat.id.into(), 1, "sendMessage", || {
        bot.send_message(msg.chat.id, reply.clone())
            .reply_parameters(ReplyParameters::new(msg.id).allow_sending_without_reply())
            .send()
    })
    .await?;
    Ok(())
}

async fn list(services: &Services, locale: &str) -> String {
    let now = services.clock.now();
    let horizon = now + Duration::days(crate::schedule::HORIZON_DAYS);
    let posts = match services.store.scheduled(now - Duration::minutes(1), horizon).await {
        Ok(posts) => posts,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the schedule");
            return services.i18n.t(locale, "try-later");
        }
    };
    if posts.is_empty() {
        return services.i18n.t(locale, "schedule-list-empty");
    }
    let mut lines = vec![services.i18n.t(locale, "schedule-list-header")];
    for post in posts.iter().take(LISTED) {
        let Some(at) = post.scheduled_at else { continue };
        let when = when_text(&services.i18n, locale, &services.config.schedule, at);
        let excerpt: String = post.excerpt.chars().take(EXCERPT).collect::<String>().replace('\n', " ");
        lines.push(services.i18n.t_args(
            locale,
            "schedule-list-line",
            &[
                ("when", text(when)),
                ("id", num(post.id.0)),
                ("author", text(post.author_name.clone())),
                ("excerpt", text(excerpt)),
            ],
        ));
    }
    lines.join("\n")
}

/// Whether a button is one of this module's (undo is handed on to [`super::undo`]).
pub fn is_schedule_button(action: &Action) -> bool {
    matches!(action, Action::PublishNow(..) | Action::Unschedule(..) | Action::NextSlot(_) | Action::Undo(_))
}
