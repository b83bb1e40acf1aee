//! The write path both faces call — the Telegram group's buttons and the desktop console —
//! so they can never disagree: every decision goes through [`decide`], claims, bans and
//! resent cards through their functions here, and intake's writes through [`intake`]. Neither
//! `bot/` nor the console writes to the store itself. Submissions, edits and decisions wait
//! out a database outage for a bound ([`outage`]) before they are refused.

pub mod conversation;
pub mod duplicates;
pub mod flags;
pub mod intake;
pub mod options;
pub mod outage;
pub mod schedule;
pub mod stale;
pub mod undo;

use tracing::instrument;

use self::outage::{Waiting, wait_out};
use crate::domain::text::{TextSlot, TextTooLong, check_fits};
use crate::domain::{ActionSource, PostId, Seen, UserId};
use crate::render::card_is_cut;
use crate::services::Services;
use crate::store::{BanRequest, ClaimOutcome, DecideOutcome, Decision, DecisionKind, StoreError};

/// Why a decision was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database stayed unreachable for the whole wait: the decision was not saved.
    #[error("database unreachable, nothing was changed, try again ({0})")]
    Unreachable(StoreError),
    /// An edited text Telegram would refuse to publish.
    #[error("edited text refused: {0}")]
    TextTooLong(#[from] TextTooLong),
    /// Approved from a group card that leaves part of the text or its links out
    /// ([`Seen::Card`]): the whole text must be shown first.
    #[error("approved from a card that does not show the whole post; show it all first")]
    NotShownWhole,
    /// The publication time asked for cannot be used (in the past, taken, or none free).
    #[error("{0}")]
    Time(#[from] crate::schedule::ScheduleError),
}

/// When an approved post is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "when")]
pub enum Timing {
    /// The plan's next free slot (at once without a plan).
    #[default]
    Plan,
    /// At once, whatever the plan.
    Now,
    /// At this time (not in the past, not another post's).
    At { at: chrono::DateTime<chrono::Utc> },
    /// The plan's earliest upcoming slot, the posts holding the slots after it moved one slot
    /// later each (at once without a plan).
    Top,
}

/// Why a decision was refused before the store was asked.
enum Refused {
    TextTooLong(TextTooLong),
    NotShownWhole,
    Time(crate::schedule::ScheduleError),
}

/// Decides a post (one transaction: status, log row, outbox) and wakes the outbox worker.
/// An edited text must fit where it will be published (a message, or the caption of the
/// post's media): Telegram would refuse it at publishing time, after the decision was taken.
/// An approval from a group card that leaves text out is refused
/// ([`ModerationError::NotShownWhole`]). A database outage is waited out for
/// `DB_OUTAGE_WAIT_SECS`, then refused ([`ModerationError::Unreachable`]).
pub async fn decide(services: &Services, decision: &Decision) -> Result<DecideOutcome, ModerationError> {
    decide_waiting(services, decision, Waiting::default()).await
}

/// [`decide`], an approval published at the time `timing` says instead of the plan's next slot.
pub async fn decide_when(
    services: &Services,
    decision: &Decision,
    timing: Timing,
) -> Result<DecideOutcome, ModerationError> {
    decide_timing(services, decision, Waiting::default(), timing).await
}

/// [`decide`], telling `waiting.started` when it begins to wait out an outage.
#[instrument(name = "decide", skip_all, fields(post_id = decision.post_id.0, moderator_id = decision.moderator.0, source = decision.source.as_str()))]
pub async fn decide_waiting(
    services: &Services,
    decision: &Decision,
    waiting: Waiting,
) -> Result<DecideOutcome, ModerationError> {
    decide_timing(services, decision, waiting, Timing::Plan).await
}

async fn decide_timing(
    services: &Services,
    decision: &Decision,
    waiting: Waiting,
    timing: Timing,
) -> Result<DecideOutcome, ModerationError> {
    let from_card = match &decision.kind {
        DecisionKind::ApproveSeen { seen: Seen::Card(version), .. } => Some(version),
        _ => None,
    };
    let attempt = || async {
        if decision.kind.edited_body().is_some() || from_card.is_some() {
            let Some(post) = services.store.post(decision.post_id).await? else {
                return Ok(Ok(DecideOutcome::NotFound));
            };
            if let Some(body) = decision.kind.edited_body()
                && let Err(e) = check_fits(body, TextSlot::for_media_count(post.media.len()))
            {
                return Ok(Err(Refused::TextTooLong(e)));
            }
            // A card of another version is refused by the store as changed; this one's card
            // must show it whole.
            let locale = services.i18n.default_locale();
            if from_card
                .is_some_and(|seen| *seen == post.content_version() && card_is_cut(&services.i18n, locale, &post))
            {
                return Ok(Err(Refused::NotShownWhole));
            }
        }
        decide_timed(services, decision, timing).await
    };
    let outcome = match wait_out(services, waiting, attempt).await {
        Ok(done) => done.value,
        Err(e) if e.is_outage() => return Err(ModerationError::Unreachable(e)),
        Err(e) => return Err(e.into()),
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(Refused::TextTooLong(e)) => {
            tracing::info!(length = e.length, limit = e.limit, "edited text too long; decision refused");
            return Err(e.into());
        }
        Err(Refused::NotShownWhole) => {
            tracing::info!("approved from a cut card before its whole text was shown; refused");
            return Err(ModerationError::NotShownWhole);
        }
        Err(Refused::Time(e)) => {
            tracing::info!(error = %e, "publication time refused");
            return Err(e.into());
        }
    };
    match &outcome {
        DecideOutcome::Decided { post } => {
            tracing::info!(status = %post.status, "decision recorded");
            services.outbox_wake.notify_one();
        }
        other => tracing::info!(outcome = ?other, "decision not applied"),
    }
    Ok(outcome)
}

/// Approvals take the plan's next free slot (at once without a plan), or the time `timing`
/// names; another decision, or a retried publication, is applied as is. A slot taken meanwhile
/// by another console's approval is looked up again, a few times.
async fn decide_timed(
    services: &Services,
    decision: &Decision,
    timing: Timing,
) -> Result<Result<DecideOutcome, Refused>, StoreError> {
    let approves = matches!(decision.kind, DecisionKind::Approve { .. } | DecisionKind::ApproveSeen { .. });
    if !approves {
        // A rejection's notice waits out the undo window, so an undo is never seen. The machine's
        // clock, not the injected one: the outbox compares the hold with the database's.
        let window = chrono::Duration::from_std(services.config.undo_window).unwrap_or_default();
        let hold = (matches!(decision.kind, DecisionKind::Reject { .. }) && window > chrono::Duration::zero())
            .then(|| chrono::Utc::now() + window);
        return services.store.decide_at(decision, hold).await.map(Ok);
    }
    let mut tries = 0;
    loop {
        let now = services.clock.now();
        let mut moves = Vec::new();
        let slot = match timing {
            Timing::Now => None,
            Timing::Top if services.config.schedule.is_immediate() => None,
            Timing::Top => match schedule::room_at_top(services, now).await {
                Ok((at, room)) => {
                    moves = room;
                    Some(at)
                }
                Err(schedule::ScheduleRefused::Store(e)) => return Err(e),
                Err(schedule::ScheduleRefused::Time(e)) => return Ok(Err(Refused::Time(e))),
            },
            Timing::At { at } => {
                let taken = services.store.scheduled_times(now - chrono::Duration::minutes(1)).await?;
                if let Err(e) = crate::schedule::check_chosen(at, now, &taken) {
                    return Ok(Err(Refused::Time(e)));
                }
                Some(at)
            }
            Timing::Plan => match schedule::slot_for_approval(services, now).await {
                Ok(slot) => slot,
                Err(schedule::ScheduleRefused::Store(e)) => return Err(e),
                Err(schedule::ScheduleRefused::Time(e)) => return Ok(Err(Refused::Time(e))),
            },
        };
        let decided = match slot {
            Some(at) if timing == Timing::Top => services.store.decide_top(decision, at, &moves).await,
            _ => services.store.decide_at(decision, slot).await,
        };
        let retried = matches!(timing, Timing::Plan | Timing::Top);
        match decided {
            Err(e) if schedule::is_slot_taken(&e) && retried && tries < 5 => tries += 1,
            Err(e) if schedule::is_slot_taken(&e) => {
                return Ok(Err(Refused::Time(crate::schedule::ScheduleError::SlotTaken { at: slot.unwrap_or(now) })));
            }
            other => return other.map(Ok),
        }
    }
}

/// Bans an author (with a log row).
#[instrument(skip_all, fields(user_id = ban.user.0, moderator_id = ban.moderator.0))]
pub async fn ban(services: &Services, ban: &BanRequest) -> Result<(), StoreError> {
    services.store.ban(ban).await?;
    tracing::info!("author banned");
    Ok(())
}

/// Sends a post's failed card to the moderation group again (with a log row) and wakes the
/// outbox worker; `false` when the post's card had not failed.
#[instrument(skip_all, fields(post_id = id.0, moderator_id = moderator.0, source = source.as_str()))]
pub async fn retry_card(
    services: &Services,
    id: PostId,
    moderator: UserId,
    source: ActionSource,
) -> Result<bool, StoreError> {
    let queued = services.store.retry_card(id, moderator, source).await?;
    if queued {
        tracing::info!("failed card queued again");
        services.outbox_wake.notify_one();
    }
    Ok(queued)
}

/// Lifts a ban (with a log row); whether there was one.
#[instrument(skip_all, fields(user_id = user.0, moderator_id = moderator.0, source = source.as_str()))]
pub async fn unban(
    services: &Services,
    user: UserId,
    moderator: UserId,
    source: ActionSource,
) -> Result<bool, StoreError> {
    let lifted = services.store.unban(user, moderator, source).await?;
    tracing::info!(lifted, "unban");
    Ok(lifted)
}

/// Claims a post for one moderator's review until the claim expires.
#[instrument(skip_all, fields(post_id = id.0, moderator_id = moderator.0))]
pub async fn claim(
    services: &Services,
    id: PostId,
    moderator: UserId,
    ttl_secs: i64,
) -> Result<ClaimOutcome, StoreError> {
    services.store.claim(id, moderator, ttl_secs).await
}

/// Gives a claim back.
#[instrument(skip_all, fields(post_id = id.0, moderator_id = moderator.0))]
pub async fn release(services: &Services, id: PostId, moderator: UserId) -> Result<(), StoreError> {
    services.store.release(id, moderator).await
}
