//! The outbox worker: announces submissions to the moderation group, publishes approved posts
//! to the channel, updates cards and tells authors. Obeys 429 `retry_after`, backs off on
//! transient failures, never records a publication Telegram did not accept, never drops a job.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::StreamExt;
use teloxide::prelude::*;
use teloxide::{ApiError, Bot, RequestError};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, instrument};

use crate::bot::render::{Decider, card_keyboard, card_text, reason_text, send_content, to_chat};
use crate::config::ChannelRef;
use crate::domain::{PostId, PostStatus, UserId};
use crate::i18n::{num, text};
use crate::media::MediaError;
use crate::services::Services;
use crate::store::{AuthorRecord, OutboxJob, OutboxKind, OutboxResult, PostRecord, StoreError};
use crate::telegram::{Failure, classify, send_limited, with_flood_retry};

/// Jobs leased per round, and how many posts are worked on at once.
const BATCH: i64 = 32;
const PARALLEL_POSTS: usize = 8;
/// Publishing gives up (→ `publish_failed`, retryable by a moderator) after this many attempts.
const MAX_PUBLISH_ATTEMPTS: i32 = 5;
/// Other jobs are abandoned (logged) after this many attempts.
const MAX_OTHER_ATTEMPTS: i32 = 8;

/// The longest the worker holds back a round of jobs for a busy intake (see [`yield_to_intake`]).
pub const INTAKE_FIRST_MAX: Duration = Duration::from_secs(1);

/// Runs until `cancel` fires; finishes the jobs in hand first.
pub async fn run(bot: Bot, services: Services, cancel: CancellationToken) {
    let lease_secs = i64::try_from(services.config.telegram.request_timeout.as_secs() * 4 + 10).unwrap_or(130);
    tracing::info!("outbox worker started");
    while !cancel.is_cancelled() {
        yield_to_intake(&services, &cancel).await;
        match services.store.lease_outbox(BATCH, lease_secs).await {
            Ok(jobs) if !jobs.is_empty() => process_batch(&bot, &services, jobs).await,
            Ok(_) => {
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = services.outbox_wake.notified() => {}
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot lease outbox jobs; retrying shortly");
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        }
    }
    tracing::info!("outbox worker stopped");
}

/// Intake first: while most intake slots are taken (a burst of submissions), the worker waits
/// before leasing its next round — up to [`INTAKE_FIRST_MAX`], so cards and publications still
/// move under a flood that never ends. Storing a submission and sending its receipt is what a
/// user waits for; a card reaching the group a moment later costs nobody.
///
/// Only when sends are not paced: under Telegram's limits the limiter already puts the group
/// first and the worker's share of the machine is small, while a group's sending allowance
/// left unused during the burst cannot be caught up later (it is per minute).
async fn yield_to_intake(services: &Services, cancel: &CancellationToken) {
    if services.limiter.is_pacing() || !services.intake_busy() {
        return;
    }
    let started = tokio::time::Instant::now();
    while services.intake_busy() && started.elapsed() < INTAKE_FIRST_MAX && !cancel.is_cancelled() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tracing::debug!(waited_ms = started.elapsed().as_millis(), "outbox round held back for intake");
}

/// Jobs of one post run in order; different posts run concurrently. The posts (and, for
/// cards, their authors) are read for the whole batch in three queries; a post's later jobs
/// read it again, since its first job may have changed it.
async fn process_batch(bot: &Bot, services: &Services, jobs: Vec<OutboxJob>) {
    let mut by_post: BTreeMap<Option<i64>, Vec<OutboxJob>> = BTreeMap::new();
    for job in jobs {
        by_post.entry(job.post_id.map(|p| p.0)).or_default().push(job);
    }
    let mut loaded = preload(services, &by_post).await;
    let chains: Vec<(Vec<OutboxJob>, Option<Loaded>)> =
        by_post.into_iter().map(|(post, jobs)| (jobs, post.and_then(|id| loaded.remove(&id)))).collect();
    futures::stream::iter(chains)
        .for_each_concurrent(PARALLEL_POSTS, |(jobs, mut first)| async move {
            for job in jobs {
                process(bot, services, &job, first.take()).await;
            }
        })
        .await;
}

/// A post read ahead for its first job, with its author's counts when that job renders a card.
struct Loaded {
    post: PostRecord,
    author: Option<AuthorRecord>,
}

async fn preload(services: &Services, by_post: &BTreeMap<Option<i64>, Vec<OutboxJob>>) -> HashMap<i64, Loaded> {
    let ids: Vec<PostId> = by_post.keys().flatten().map(|id| PostId(*id)).collect();
    if ids.len() < 2 {
        return HashMap::new(); // one post: nothing to gain over reading it in its job
    }
    let posts = match services.store.posts(&ids).await {
        Ok(posts) => posts,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the batch's posts ahead; each job reads its own");
            return HashMap::new();
        }
    };
    let renders_card = |post: &PostRecord| {
        by_post
            .get(&Some(post.id.0))
            .and_then(|jobs| jobs.first())
            .is_some_and(|job| matches!(job.kind, OutboxKind::Announce | OutboxKind::UpdateCard))
    };
    let mut authors: Vec<UserId> = posts.iter().filter(|p| renders_card(p)).map(|p| p.author.id).collect();
    authors.sort_unstable_by_key(|a| a.0);
    authors.dedup();
    let counts: HashMap<i64, AuthorRecord> = match services.store.authors(&authors).await {
        Ok(found) => found.into_iter().map(|a| (a.profile.id.0, a)).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the batch's authors ahead; each card reads its own");
            HashMap::new()
        }
    };
    posts
        .into_iter()
        .map(|post| {
            let author = if renders_card(&post) { counts.get(&post.author.id.0).cloned() } else { None };
            (post.id.0, Loaded { post, author })
        })
        .collect()
}

#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0), kind = job.kind.as_str(), attempt = job.attempts))]
async fn process(bot: &Bot, services: &Services, job: &OutboxJob, loaded: Option<Loaded>) {
    let result = run_job(bot, services, job, loaded).in_current_span().await;
    let store = &services.store;
    let saved = match result {
        Ok(outcome) => store.complete_outbox(job, &outcome).await,
        Err(JobError::Store(e)) => {
            tracing::error!(error = %e, "job failed on storage; it will be retried after its lease");
            return;
        }
        Err(JobError::Media(e)) if job.attempts < MAX_OTHER_ATTEMPTS => {
            tracing::warn!(error = %e, "media processing failed; retrying with backoff");
            store.retry_outbox(job, &e.to_string(), backoff(job.attempts)).await
        }
        Err(JobError::Media(e)) => {
            tracing::error!(error = %e, "media processing keeps failing; giving up on it");
            store.complete_outbox(job, &OutboxResult::Done).await
        }
        Err(JobError::Telegram(e)) => {
            let max = if job.kind == OutboxKind::Publish { MAX_PUBLISH_ATTEMPTS } else { MAX_OTHER_ATTEMPTS };
            match classify(&e) {
                Failure::FloodWait(wait) => {
                    tracing::warn!(retry_after_secs = wait.as_secs(), "flood limit; job rescheduled");
                    store.retry_outbox(job, &e.to_string(), i64::try_from(wait.as_secs()).unwrap_or(60)).await
                }
                Failure::Transient if job.attempts < max => {
                    let delay = backoff(job.attempts);
                    tracing::warn!(error = %e, delay_secs = delay, "Telegram call failed; retrying with backoff");
                    store.retry_outbox(job, &e.to_string(), delay).await
                }
                failure => {
                    tracing::error!(error = %e, ?failure, "Telegram refused the job; giving up on it");
                    let outcome = if job.kind == OutboxKind::Publish {
                        OutboxResult::PublishFailed { error: e.to_string() }
                    } else {
                        OutboxResult::Done
                    };
                    store.complete_outbox(job, &outcome).await
                }
            }
        }
    };
    if let Err(e) = saved {
        tracing::error!(error = %e, "could not record the job's result; it will be retried after its lease");
    }
}

/// Seconds to wait before attempt `attempts + 1`: 2, 4, 8, … capped at 5 minutes.
fn backoff(attempts: i32) -> i64 {
    2_i64.pow(u32::try_from(attempts.clamp(1, 9)).unwrap_or(9)).min(300)
}

#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error(transparent)]
    Telegram(#[from] RequestError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn run_job(
    bot: &Bot,
    services: &Services,
    job: &OutboxJob,
    loaded: Option<Loaded>,
) -> Result<OutboxResult, JobError> {
    let Some(post_id) = job.post_id else { return Ok(OutboxResult::Done) };
    let (post, author) = if let Some(Loaded { post, author }) = loaded {
        (post, author)
    } else if let Some(post) = services.store.post(post_id).await? {
        (post, None)
    } else {
        tracing::warn!("job for a post that no longer exists");
        return Ok(OutboxResult::Done);
    };
    match job.kind {
        OutboxKind::Announce => announce(bot, services, &post, author, job).await,
        OutboxKind::Fingerprint => fingerprint(bot, services, &post).await,
        OutboxKind::Publish => publish(bot, services, &post).await,
        OutboxKind::UpdateCard => update_card(bot, services, &post, author).await,
        OutboxKind::NotifyAuthor => notify_author(bot, services, &post).await,
    }
}

fn channel(services: &Services) -> teloxide::types::Recipient {
    match &services.config.telegram.channel {
        ChannelRef::Id(id) => to_chat(*id),
        ChannelRef::Username(name) => teloxide::types::Recipient::ChannelUsername(name.clone()),
    }
}

async fn decider(services: &Services, post: &PostRecord) -> Option<Decider> {
    let id: UserId = post.decided_by?;
    let name = services.store.moderator_name(id).await.ok().flatten().unwrap_or_else(|| id.to_string());
    Some(Decider { name })
}

/// The card's text and buttons; the author's counts are read unless the batch read them ahead.
async fn render_card(
    services: &Services,
    post: &PostRecord,
    author: Option<AuthorRecord>,
) -> (String, teloxide::types::InlineKeyboardMarkup) {
    let locale = services.i18n.default_locale();
    let author = match author {
        Some(author) => Some(author),
        None => services.store.author(post.author.id).await.ok().flatten(),
    };
    let decided = decider(services, post).await;
    let text = card_text(&services.i18n, locale, post, author.as_ref(), decided.as_ref());
    (text, card_keyboard(&services.i18n, locale, post))
}

/// Media (if any) then the card with buttons, in the moderation group; then the receipt for
/// albums, which are receipted once, whole. The card's message id is stored with the job's
/// completion (one commit).
async fn announce(
    bot: &Bot,
    services: &Services,
    post: &PostRecord,
    author: Option<AuthorRecord>,
    job: &OutboxJob,
) -> Result<OutboxResult, JobError> {
    let group = services.config.telegram.moderation_group_id;
    if !post.media.is_empty() {
        // Media Telegram refuses for good must not keep the card from the moderators.
        if let Err(e) = send_content(bot, &services.limiter, to_chat(group), post).await {
            if classify(&e) != Failure::Permanent {
                return Err(e.into());
            }
            tracing::warn!(error = %e, "media refused by Telegram; sending the card alone");
        }
    }
    let (body, keyboard) = render_card(services, post, author).await;
    let card = send_limited(&services.limiter, &to_chat(group), 1, "sendMessage", || {
        bot.send_message(ChatId(group), body.clone()).reply_markup(keyboard.clone()).send()
    })
    .await?;
    if job.payload.get("receipt").and_then(serde_json::Value::as_bool) == Some(true) {
        let locale = author_locale(services, post).await;
        let receipt = services.i18n.t_args(locale, "receipt", &[("id", num(post.id.0))]);
        let author = to_chat(post.source_chat_id);
        if let Err(e) = send_limited(&services.limiter, &author, 1, "sendMessage", || {
            bot.send_message(ChatId(post.source_chat_id), receipt.clone()).send()
        })
        .await
        {
            tracing::warn!(error = %e, "album receipt not delivered");
        }
    }
    Ok(OutboxResult::Announced { card_message_id: card.id.0 })
}

/// Downloads and hashes each media item (off the async workers; temp files removed) and
/// flags the post when an earlier post has the same file.
async fn fingerprint(bot: &Bot, services: &Services, post: &PostRecord) -> Result<OutboxResult, JobError> {
    for item in post.media.iter().filter(|m| m.sha256.is_none()) {
        match services.media.fingerprint(bot, &item.file_id).await {
            Ok(fp) => {
                if let Some(original) = services.store.set_media_hash(post.id, item.position, &fp.sha256).await? {
                    tracing::info!(original = original.0, "media seen before");
                    services.outbox_wake.notify_one();
                }
            }
            Err(MediaError::TooLarge { size, max }) => {
                tracing::info!(size, max, position = item.position, "media too large to fingerprint; skipped");
            }
            Err(MediaError::Telegram(e)) => return Err(e.into()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(OutboxResult::Done)
}

async fn publish(bot: &Bot, services: &Services, post: &PostRecord) -> Result<OutboxResult, JobError> {
    if post.status != PostStatus::Approved {
        tracing::info!(status = %post.status, "post no longer waits for publishing");
        return Ok(OutboxResult::Done);
    }
    let ids = send_content(bot, &services.limiter, channel(services), post).await?;
    let first = ids.first().map_or(0, |id| id.0);
    tracing::info!(channel_message_id = first, "published");
    Ok(OutboxResult::Published { channel_message_id: first })
}

async fn update_card(
    bot: &Bot,
    services: &Services,
    post: &PostRecord,
    author: Option<AuthorRecord>,
) -> Result<OutboxResult, JobError> {
    let Some(card) = post.moderation_message_id else { return Ok(OutboxResult::Done) };
    let (body, keyboard) = render_card(services, post, author).await;
    let group = ChatId(services.config.telegram.moderation_group_id);
    let edited = with_flood_retry("editMessageText", || {
        bot.edit_message_text(group, teloxide::types::MessageId(card), body.clone())
            .reply_markup(keyboard.clone())
            .send()
    })
    .await;
    match edited {
        Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(OutboxResult::Done),
        Err(e) => Err(e.into()),
    }
}

async fn author_locale(services: &Services, post: &PostRecord) -> &'static str {
    crate::bot::locale::locale_for(services, post.author.id, post.author.language_code.as_deref()).await
}

async fn notify_author(bot: &Bot, services: &Services, post: &PostRecord) -> Result<OutboxResult, JobError> {
    let locale = author_locale(services, post).await;
    let i18n = &services.i18n;
    let id = ("id", num(post.id.0));
    let message = match post.status {
        PostStatus::Published => match (services.config.telegram.channel.public_username(), post.channel_message_id) {
            (Some(name), Some(mid)) => {
                i18n.t_args(locale, "published-link", &[id, ("link", text(format!("https://t.me/{name}/{mid}")))])
            }
            _ => i18n.t_args(locale, "published", &[id]),
        },
        PostStatus::Rejected => {
            let reason = post.reject_reason.as_ref().map(|r| reason_text(i18n, locale, r)).unwrap_or_default();
            i18n.t_args(locale, "rejected", &[id, ("reason", text(reason))])
        }
        _ => return Ok(OutboxResult::Done),
    };
    let author = to_chat(post.source_chat_id);
    match send_limited(&services.limiter, &author, 1, "sendMessage", || {
        bot.send_message(ChatId(post.source_chat_id), message.clone()).send()
    })
    .await
    {
        Ok(_) => Ok(OutboxResult::Done),
        Err(RequestError::Api(ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::ChatNotFound)) => {
            tracing::info!("author cannot be reached (blocked the bot or left)");
            Ok(OutboxResult::Done)
        }
        Err(e) => Err(e.into()),
    }
}
