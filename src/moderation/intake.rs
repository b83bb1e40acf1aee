//! The write path of what authors and moderators do besides deciding: submissions, author
//! edits, authors' profiles and chosen languages, moderators' names. The bot calls these, never
//! the store, so both backends see the same writes and consoles hear of them the same way.
//! Submissions and edits wait out a database outage (see [`super::outage`]) before failing.

use tracing::instrument;

use super::duplicates::Queued;
use super::flags::{FlagInput, Prepared};
use super::outage::{Waiting, wait_out};
use crate::cache::Ttl;
use crate::domain::{PostId, UserId};
use crate::services::Services;
use crate::store::{
    Admission, AuthorEdit, AuthorEditOutcome, AuthorProfile, ModeratorProfile, NewPost, StoreError, SubmitOutcome,
};

/// Admits and stores a submission (one transaction with its announcement); wakes the outbox
/// worker when there is something new to announce. A database outage is waited out for
/// `DB_OUTAGE_WAIT_SECS`; `waiting.slot` (the intake slot) is given back during each pause.
#[instrument(skip_all, fields(user_id = post.author.id.0, chat_id = post.source_chat_id, message_id = post.source_message_id))]
pub async fn submit(
    services: &Services,
    post: &NewPost,
    admission: Admission,
    waiting: Waiting,
) -> Result<SubmitOutcome, StoreError> {
    submit_forwarded(services, post, admission, waiting, None).await
}

/// [`submit`] of a message forwarded from `forwarded` (a flag for a second look). The flags
/// ([`super::flags`]) are computed before the post is written and stored with it; its
/// near-duplicate lookup is queued once it is stored ([`super::duplicates`]), so the card
/// goes out with it when the lookup is first, and is refreshed when it is not.
pub async fn submit_forwarded(
    services: &Services,
    post: &NewPost,
    admission: Admission,
    waiting: Waiting,
    forwarded: Option<String>,
) -> Result<SubmitOutcome, StoreError> {
    let input =
        FlagInput { author: post.author.id, body: post.body.clone(), entities: post.entities.clone(), forwarded };
    let Prepared { flags, shingles, bands } = super::flags::prepare(&services.config, &input).await;
    let done = wait_out(services, waiting, || services.store.submit_flagged(post, admission, &flags)).await?;
    let outcome = match done.value {
        // An earlier try committed, and its answer was lost with the connection: this message
        // was stored by us, not delivered twice by Telegram — answer it as stored.
        SubmitOutcome::Duplicate(id) if done.retried => {
            tracing::info!(post_id = id.0, "an earlier try was stored after all");
            if post.media_group_id.is_some() { SubmitOutcome::AlbumPart(id) } else { SubmitOutcome::Created(id) }
        }
        outcome => outcome,
    };
    match outcome {
        SubmitOutcome::Created(id) => {
            services.duplicates.queue(services, Queued { id, shingles, bands });
        }
        // A later part with a caption: the album's text may have changed.
        SubmitOutcome::AlbumPart(id) if !post.body.trim().is_empty() => recheck(services, id).await,
        _ => {}
    }
    if matches!(outcome, SubmitOutcome::Created(_) | SubmitOutcome::AlbumPart(_)) {
        services.outbox_wake.notify_one();
    }
    Ok(outcome)
}

/// Applies an author's edit to a pending post; wakes the outbox worker to refresh its card.
/// A database outage is waited out as for [`submit`].
#[instrument(skip_all, fields(chat_id = edit.source_chat_id, message_id = edit.source_message_id))]
pub async fn author_edit(services: &Services, edit: &AuthorEdit) -> Result<AuthorEditOutcome, StoreError> {
    let outcome = wait_out(services, Waiting::default(), || services.store.author_edit(edit)).await?.value;
    if let AuthorEditOutcome::Updated(id) = outcome {
        recheck(services, id).await;
        services.outbox_wake.notify_one();
    }
    Ok(outcome)
}

/// Computes a stored post's flags again from its stored text (an edit, an album's caption, a
/// revision sent in answer to a request for changes),
/// keeping the forwarded origin its first message had.
pub(super) async fn recheck(services: &Services, id: PostId) {
    let post = match services.store.post(id).await {
        Ok(Some(post)) => post,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(post_id = id.0, error = %e, "flags not rechecked");
            return;
        }
    };
    let forwarded = post.flags.and_then(|f| f.forwarded);
    let input = FlagInput { author: post.author.id, body: post.body, entities: post.entities, forwarded };
    super::flags::check(services.store.as_ref(), &services.config.flags, id, &input).await;
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

/// Records who a moderator is, for "decided by" lines and the audit log. Skipped while the
/// database is known to be unreachable (the press it comes with would only wait for it), and
/// when the cache says this very profile was written already: a press then costs no write of
/// its own, and a renamed moderator is written at their next press.
pub async fn upsert_moderator(services: &Services, moderator: &ModeratorProfile) -> Result<(), StoreError> {
    let key = format!("moderator:{}", moderator.id.0);
    let written = format!(
        "{}\u{1f}{}\u{1f}{}",
        moderator.display_name,
        moderator.username.as_deref().unwrap_or(""),
        moderator.source
    );
    if services.cache.get(&key).await.ok().flatten().is_some_and(|cached| cached == written) {
        return Ok(());
    }
    if services.health.is_down() {
        return Err(StoreError::Unavailable("the database is unreachable; the name is recorded later".into()));
    }
    let upserted = services.store.upsert_moderator(moderator).await;
    services.health.observe(&upserted);
    if upserted.is_ok() {
        let _ = services.cache.set(&key, &written, Ttl::from_config(services.config.cache.default_ttl)).await;
    }
    upserted
}
