//! The queue does not go stale (issue #17 part 3), in the outbox worker's round: at most once a
//! minute, old pending posts are expired ([`crate::moderation::stale::expire`]) and the one
//! reminder message in the moderation group is sent, or edited as its numbers change
//! ([`remind`]).
//!
//! The reminder is one message per stale spell: sent when pending posts first wait longer than
//! `STALE_REMINDER_HOURS`, then edited in place as the count or the oldest one's age changes
//! (through the limiter; an edit that would change nothing is not sent, and Telegram's "message
//! is not modified" is no error). When nothing is stale any more it is edited to say so (kept,
//! not deleted: moderators see the spell ended, and the message does not vanish under a reply).
//! The next spell, a reminder more than a day old (scrolled far up the group) or one that was
//! deleted ("message to edit not found") gets a new message. Its id, time and text are kept in
//! the store (`bot_state`), so a restart edits the same message.
//!
//! It is not queued as an outbox job: each round recomputes it from the database, so a job
//! would carry numbers already out of date, and a round that fails is simply the next one.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use teloxide::prelude::*;
use teloxide::types::MessageId;
use teloxide::{ApiError, Bot, RequestError};

use crate::render::stale::{Staleness, reminder_text};
use crate::services::Services;
use crate::store::{REMINDER_STATE_KEY, StoreError};
use crate::telegram::send_limited;

/// How often the worker looks at the queue's age.
const ROUND_EVERY: Duration = Duration::from_mins(1);
/// A reminder older than this is not edited any more: the next one is a new message.
const EDIT_FOR: chrono::Duration = chrono::Duration::days(1);

/// The reminder message as kept in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderState {
    pub message_id: i32,
    /// When it was sent (by the round's clock).
    pub sent_at: DateTime<Utc>,
    /// What it says now.
    pub text: String,
    /// It says nothing is stale any more.
    pub fresh: bool,
}

/// What a [`remind`] round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminded {
    /// Reminders are off (`STALE_REMINDER_HOURS` unset or 0).
    Off,
    /// Nothing to send or change.
    Unchanged,
    /// A new message was sent.
    Sent { message_id: i32 },
    /// The message was edited.
    Edited { message_id: i32 },
}

/// Why the reminder could not be brought up to date (the next round tries again).
#[derive(Debug, thiserror::Error)]
pub enum ReminderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Telegram(#[from] RequestError),
}

/// Runs the stale-queue round at most once a minute, from the outbox worker's loop.
pub(super) struct StaleRounds {
    last: Option<tokio::time::Instant>,
}

impl StaleRounds {
    pub(super) fn new() -> Self {
        Self { last: None }
    }

    pub(super) async fn run(&mut self, bot: &Bot, services: &Services) {
        let stale = services.config.stale;
        if stale.reminder_hours.is_none() && stale.expire_days.is_none() {
            return;
        }
        if self.last.is_some_and(|t| t.elapsed() < ROUND_EVERY) {
            return;
        }
        self.last = Some(tokio::time::Instant::now());
        let now = services.clock.now();
        if let Err(e) = crate::moderation::stale::expire(services, now).await {
            tracing::warn!(error = %e, "cannot expire old pending posts now; trying again in a minute");
        }
        if let Err(e) = remind(bot, services, now).await {
            tracing::warn!(error = %e, "cannot update the stale-queue reminder now; trying again in a minute");
        }
    }
}

/// Brings the reminder in the moderation group up to date with the queue at `now`.
pub async fn remind(bot: &Bot, services: &Services, now: DateTime<Utc>) -> Result<Reminded, ReminderError> {
    let Some(hours) = services.config.stale.reminder_hours else { return Ok(Reminded::Off) };
    let cutoff = now - chrono::Duration::hours(i64::from(hours));
    let pending = services.store.pending_before(cutoff, 1).await?;
    let kept = kept_state(services).await?;
    let staleness = match pending.oldest.first() {
        Some((oldest, since)) if pending.count > 0 => {
            Staleness::Stale { count: pending.count, hours, oldest: *oldest, since: *since }
        }
        _ => Staleness::Fresh { hours },
    };
    let fresh = matches!(staleness, Staleness::Fresh { .. });
    let text = reminder_text(&services.i18n, services.i18n.default_locale(), staleness, now);
    let editable = match &kept {
        // Nothing stale and no reminder out (or it already says so): nothing to say.
        None if fresh => return Ok(Reminded::Unchanged),
        Some(state) if state.fresh && fresh => return Ok(Reminded::Unchanged),
        Some(state) if state.text == text => return Ok(Reminded::Unchanged),
        // The spell ended: the reminder says so, however old it is.
        Some(state) if fresh => Some(state),
        // The same spell, recent enough to be seen: edited in place.
        Some(state) if !state.fresh && now - state.sent_at < EDIT_FOR => Some(state),
        _ => None,
    };
    if let Some(state) = editable {
        match edit(bot, services, state.message_id, &text).await {
            Ok(()) => {
                save(services, &ReminderState { text, fresh, ..state.clone() }).await?;
                return Ok(Reminded::Edited { message_id: state.message_id });
            }
            Err(RequestError::Api(ApiError::MessageToEditNotFound)) if fresh => {
                tracing::info!(
                    message_id = state.message_id,
                    "the stale-queue reminder was deleted; nothing to correct"
                );
                services.store.set_bot_state(REMINDER_STATE_KEY, None).await?;
                return Ok(Reminded::Unchanged);
            }
            Err(RequestError::Api(ApiError::MessageToEditNotFound)) => {
                tracing::info!(
                    message_id = state.message_id,
                    "the stale-queue reminder was deleted; sending a new one"
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    let group = ChatId(services.config.telegram.moderation_group_id);
    let sent = send_limited(&services.limiter, &group.into(), 1, "sendMessage", || {
        bot.send_message(group, text.clone()).send()
    })
    .await?;
    let message_id = sent.id.0;
    save(services, &ReminderState { message_id, sent_at: now, text, fresh }).await?;
    tracing::info!(message_id, "stale-queue reminder sent to the moderation group");
    Ok(Reminded::Sent { message_id })
}

/// The reminder kept in the store; one that cannot be read is forgotten (a new one is sent).
async fn kept_state(services: &Services) -> Result<Option<ReminderState>, ReminderError> {
    let Some(raw) = services.store.bot_state(REMINDER_STATE_KEY).await? else { return Ok(None) };
    match serde_json::from_str(&raw) {
        Ok(state) => Ok(Some(state)),
        Err(e) => {
            tracing::warn!(error = %e, "the kept stale-queue reminder is unreadable; a new one will be sent");
            Ok(None)
        }
    }
}

async fn save(services: &Services, state: &ReminderState) -> Result<(), ReminderError> {
    let raw = serde_json::to_string(state).unwrap_or_default();
    Ok(services.store.set_bot_state(REMINDER_STATE_KEY, Some(&raw)).await?)
}

/// Edits the reminder through the limiter; "not modified" (another process edited it to the
/// same text) is done.
async fn edit(bot: &Bot, services: &Services, message_id: i32, text: &str) -> Result<(), RequestError> {
    let group = ChatId(services.config.telegram.moderation_group_id);
    let edited = send_limited(&services.limiter, &group.into(), 1, "editMessageText", || {
        bot.edit_message_text(group, MessageId(message_id), text.to_owned()).send()
    })
    .await;
    match edited {
        Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
        Err(e) => Err(e),
    }
}
