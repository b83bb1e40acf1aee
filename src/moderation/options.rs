//! Author options through the one write path: the author's toggle under their receipt and a
//! moderator's change from the console both set a post's signed/anonymous choice here (the
//! store checks who may and whether it is still time, logs it, tells the consoles and queues a
//! refresh of the group card, which says signed or anonymous).

use tracing::instrument;

use crate::domain::{ActionSource, PostId, UserId};
use crate::services::Services;
use crate::store::{SignedBy, SignedChange, SignedOutcome, StoreError};

/// The author of `post` (`author`) chooses to publish it signed or anonymous; anyone else
/// is refused ([`SignedOutcome::NotAuthor`]).
#[instrument(skip_all, fields(post_id = post.0, user_id = author.0, signed))]
pub async fn author_sets_signed(
    services: &Services,
    post: PostId,
    author: UserId,
    signed: bool,
) -> Result<SignedOutcome, StoreError> {
    let outcome =
        services.store.set_signed(&SignedChange { post_id: post, signed, by: SignedBy::Author(author) }).await?;
    wake_on_change(services, outcome);
    Ok(outcome)
}

/// A moderator changes a post's choice (from the console), logged under their name.
#[instrument(skip_all, fields(post_id = post.0, moderator_id = moderator.0, signed))]
pub async fn moderator_sets_signed(
    services: &Services,
    post: PostId,
    moderator: UserId,
    source: ActionSource,
    signed: bool,
) -> Result<SignedOutcome, StoreError> {
    let by = SignedBy::Moderator(moderator, source);
    let outcome = services.store.set_signed(&SignedChange { post_id: post, signed, by }).await?;
    wake_on_change(services, outcome);
    Ok(outcome)
}

/// A change queued a card refresh: the outbox worker sends it now.
fn wake_on_change(services: &Services, outcome: SignedOutcome) {
    if matches!(outcome, SignedOutcome::Changed { .. }) {
        services.outbox_wake.notify_one();
    }
}
