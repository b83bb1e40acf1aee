//! The write path of what authors and moderators do besides deciding: submissions, author
//! edits, authors' profiles and chosen languages, moderators' names. The bot calls these, never
//! the store, so both backends see the same writes and consoles hear of them the same way.

use tracing::instrument;

use crate::cache::Ttl;
use crate::domain::UserId;
use crate::services::Services;
use crate::store::{
    Admission, AuthorEdit, AuthorEditOutcome, AuthorProfile, ModeratorProfile, NewPost, StoreError, SubmitOutcome,
};

/// Admits and stores a submission (one transaction with its announcement); wakes the outbox
/// worker when there is something new to announce.
#[instrument(skip_all, fields(user_id = post.author.id.0, chat_id = post.source_chat_id, message_id = post.source_message_id))]
pub async fn submit(services: &Services, post: &NewPost, admission: Admission) -> Result<SubmitOutcome, StoreError> {
    let outcome = services.store.submit_with(post, admission).await?;
    if matches!(outcome, SubmitOutcome::Created(_) | SubmitOutcome::AlbumPart(_)) {
        services.outbox_wake.notify_one();
    }
    Ok(outcome)
}

/// Applies an author's edit to a pending post; wakes the outbox worker to refresh its card.
#[instrument(skip_all, fields(chat_id = edit.source_chat_id, message_id = edit.source_message_id))]
pub async fn author_edit(services: &Services, edit: &AuthorEdit) -> Result<AuthorEditOutcome, StoreError> {
    let outcome = services.store.author_edit(edit).await?;
    if matches!(outcome, AuthorEditOutcome::Updated(_)) {
        services.outbox_wake.notify_one();
    }
    Ok(outcome)
}

/// Records an author's profile as Telegram reports it.
pub async fn upsert_author(services: &Services, author: &AuthorProfile) -> Result<(), StoreError> {
    services.store.upsert_author(author).await
}

/// The cache key of a user's chosen language.
pub fn locale_cache_key(user: UserId) -> String {
    format!("locale:{}", user.0)
}

/// Stores the language a user chose and refreshes its cached copy.
#[instrument(skip_all, fields(user_id = user.0, locale))]
pub async fn set_locale(services: &Services, user: UserId, locale: &'static str) -> Result<(), StoreError> {
    services.store.set_locale_override(user, Some(locale)).await?;
    let ttl = Ttl::from_config(services.config.cache.locale_ttl);
    let _ = services.cache.set(&locale_cache_key(user), locale, ttl).await;
    Ok(())
}

/// Records who a moderator is, for "decided by" lines and the audit log.
pub async fn upsert_moderator(services: &Services, moderator: &ModeratorProfile) -> Result<(), StoreError> {
    services.store.upsert_moderator(moderator).await
}
