//! `/stats` in the moderation group (moderators only): a short summary of the last 7 days —
//! submissions by outcome, decisions and their approval rate, who decided most — in the
//! sender's language, over local days of this machine's time zone.

use teloxide::prelude::*;
use tracing::instrument;

use super::HandlerResult;
use super::extract::user_id;
use super::intake::reply;
use super::locale::locale_for;
use super::moderators::is_moderator;
use crate::domain::StatsRange;
use crate::i18n::{num, text};
use crate::services::Services;
use crate::store::charts::{Statistics, statistics};

/// Days the summary covers, today included.
pub const SUMMARY_DAYS: u32 = 7;

/// Whether `msg` is `/stats` (or `/stats@bot`) sent in the moderation group.
pub fn is_stats_command(msg: &Message, services: &Services) -> bool {
    msg.chat.id.0 == services.config.telegram.moderation_group_id
        && msg
            .text()
            .and_then(|t| t.split_whitespace().next())
            .is_some_and(|c| c == "/stats" || c.starts_with("/stats@"))
}

/// The IANA zone days are counted in: this machine's (the console's, where the bot runs in the
/// desktop app), UTC when it cannot be told.
pub fn local_zone() -> String {
    iana_time_zone::get_timezone().ok().filter(|tz| tz.parse::<chrono_tz::Tz>().is_ok()).unwrap_or_else(|| "UTC".into())
}

#[instrument(skip_all, fields(chat_id = msg.chat.id.0, user_id = msg.from.as_ref().map(|u| u.id.0)))]
pub async fn on_stats(bot: Bot, msg: Message, services: Services) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else { return Ok(()) };
    let uid = user_id(user);
    let locale = locale_for(&services, uid, user.language_code.as_deref()).await;
    if !is_moderator(&bot, &services, uid).await {
        tracing::warn!("/stats from a non-moderator; not answered with figures");
        reply(&bot, &services, msg.chat.id, services.i18n.t(locale, "not-a-moderator"));
        return Ok(());
    }
    let body = match StatsRange::last_days(chrono::Utc::now(), SUMMARY_DAYS, &local_zone()) {
        Ok(range) => match statistics(&*services.store, &range).await {
            Ok(all) => summary(&services, locale, &all),
            // Logged by the store with its context.
            Err(_) => services.i18n.t(locale, "stats-unavailable"),
        },
        Err(e) => {
            tracing::error!(error = %e, "the summary's range was refused");
            services.i18n.t(locale, "stats-unavailable")
        }
    };
    reply(&bot, &services, msg.chat.id, body);
    Ok(())
}

/// The summary's text.
pub fn summary(services: &Services, locale: &str, all: &Statistics) -> String {
    let sum = |f: fn(&crate::store::charts::DayOutcomes) -> i64| all.submissions.iter().map(f).sum::<i64>();
    let published = sum(|d| d.published);
    let approved = sum(|d| d.approved + d.publish_failed);
    let pending = sum(|d| d.pending);
    let rejected = sum(|d| d.rejected.values().sum());
    let decided: i64 = all.approval.iter().map(|d| d.decided).sum();
    let approvals: i64 = all.approval.iter().map(|d| d.approved).sum();
    let rate = if decided > 0 { (approvals * 100 + decided / 2) / decided } else { 0 };
    let busiest = all.moderators.iter().find(|m| m.decisions > 0).map_or_else(
        || services.i18n.t(locale, "stats-nobody"),
        |m| format!("{} ({})", display(&m.name, m.moderator.0), m.decisions),
    );
    services.i18n.t_args(
        locale,
        "stats-summary",
        &[
            ("days", num(i64::from(SUMMARY_DAYS))),
            ("from", text(all.range.from.format("%d.%m").to_string())),
            ("to", text(all.range.to.format("%d.%m").to_string())),
            ("tz", text(all.range.tz.clone())),
            ("submitted", num(published + approved + pending + rejected)),
            ("published", num(published)),
            ("approved", num(approved)),
            ("pending", num(pending)),
            ("rejected", num(rejected)),
            ("decided", num(decided)),
            ("rate", num(rate)),
            ("moderator", text(busiest)),
        ],
    )
}

fn display(name: &str, id: i64) -> String {
    if name.trim().is_empty() { format!("#{id}") } else { name.to_owned() }
}
