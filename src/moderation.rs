//! The moderation service both faces call — the Telegram group's buttons and the desktop
//! console — so they can never disagree: every decision goes through [`decide`].

use tracing::instrument;

use crate::services::Services;
use crate::store::{BanRequest, DecideOutcome, Decision, StoreError};

/// Decides a post (one transaction: status, log row, outbox) and wakes the outbox worker.
#[instrument(skip_all, fields(post_id = decision.post_id.0, moderator_id = decision.moderator.0, source = decision.source.as_str()))]
pub async fn decide(services: &Services, decision: &Decision) -> Result<DecideOutcome, StoreError> {
    let outcome = services.store.decide(decision).await?;
    match &outcome {
        DecideOutcome::Decided { post } => {
            tracing::info!(status = %post.status, "decision recorded");
            services.outbox_wake.notify_one();
        }
        other => tracing::info!(outcome = ?other, "decision not applied"),
    }
    Ok(outcome)
}

/// Bans an author (with a log row).
#[instrument(skip_all, fields(user_id = ban.user.0, moderator_id = ban.moderator.0))]
pub async fn ban(services: &Services, ban: &BanRequest) -> Result<(), StoreError> {
    services.store.ban(ban).await?;
    tracing::info!("author banned");
    Ok(())
}
