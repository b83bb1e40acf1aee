//! The outbox worker: announces submissions to the moderation group, publishes approved posts
//! to the channel, updates cards and tells authors. Obeys 429 `retry_after`, backs off on
//! transient failures, never records a publication Telegram did not accept, never drops a job.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::StreamExt;
use teloxide::{Bot, RequestError};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, instrument};

use crate::domain::{PostId, UserId};
use crate::media::MediaError;
use crate::services::Services;
use crate::store::{AuthorRecord, Delivery, OutboxJob, OutboxKind, OutboxResult, PostRecord, StoreError};
use crate::telegram::{Failure, classify};

mod jobs;
pub mod stale;
mod thread;

use jobs::run_job;

/// How many posts are worked on at once, and jobs leased per round (four times as many). The
/// worker waits on Telegram, not on the machine: one post's jobs take a round trip each (≈ 80 ms
/// from a server), so the posts in flight match the messages the limiter lets be on the wire at
/// once ([`crate::limiter::messages_in_flight`]: 16 with limits off or at Telegram's 30/s, more
/// for raised limits). With 8 posts of a 32-job round the bench published 24 approvals/s at
/// 80 ms (48 % of what 16 connections allow) while the machine idled; with 16 posts at 300
/// messages/s the limited bench's cards were bound by the worker (77 % of the rate at 80 ms).
fn parallel_posts(services: &Services) -> usize {
    crate::limiter::messages_in_flight(services.config.telegram.send_limits)
}

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
    // This is the one worker: leases still held belong to one that is gone (a crash, a stop).
    match services.store.reclaim_outbox_leases().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "jobs leased by an earlier worker handed back"),
        Err(e) => tracing::warn!(error = %e, "cannot hand back earlier leases; they run when they expire"),
    }
    let batch = i64::try_from(parallel_posts(&services) * 4).unwrap_or(64);
    let mut schedule = ScheduleRounds::start(&services).await;
    let mut stale = stale::StaleRounds::new();
    while !cancel.is_cancelled() {
        schedule.release(&services).await;
        stale.run(&bot, &services).await;
        yield_to_intake(&services, &cancel).await;
        let leased = services.store.lease_outbox(batch, lease_secs).await;
        services.health.observe(&leased);
        match leased {
            Ok(jobs) if !jobs.is_empty() => {
                wait_for_lookups(&services, &jobs).await;
                process_batch(&bot, &services, jobs).await;
            }
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

/// Queues scheduled posts as their time comes, checked at most once a second (a read on an
/// index; a write only when something is due). At start, posts whose time passed while the
/// worker was off are given new times first ([`crate::moderation::schedule::catch_up`]).
struct ScheduleRounds {
    last: Option<tokio::time::Instant>,
}

impl ScheduleRounds {
    async fn start(services: &Services) -> Self {
        if let Err(e) = crate::moderation::schedule::catch_up(services, services.clock.now()).await {
            tracing::error!(error = %e, "cannot replan posts missed while the bot was off; they publish as they are found");
        }
        Self { last: None }
    }

    async fn release(&mut self, services: &Services) {
        if self.last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return;
        }
        self.last = Some(tokio::time::Instant::now());
        if let Err(e) = crate::moderation::schedule::release_due(services, services.clock.now()).await {
            tracing::warn!(error = %e, "cannot queue scheduled posts now; trying again in a second");
        }
        // Requests for changes nobody answered in time (a read on a partial index per round).
        if let Err(e) = crate::moderation::conversation::expire_due(services, services.clock.now()).await {
            tracing::warn!(error = %e, "cannot expire unanswered requests for changes now; trying again in a second");
        }
    }
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

/// The longest a round waits for its new cards' near-duplicate lookups.
const LOOKUPS_FIRST_MAX: Duration = Duration::from_secs(2);

/// A card drawn before its post's near-duplicate lookup landed was edited once more when it
/// did (in the intake bench, after the burst, nearly every card: 10 000 more edits, each a
/// message under the group's limit). The round's new cards wait for their posts' lookups,
/// which take milliseconds unless the lookups are behind a burst (then at most
/// [`LOOKUPS_FIRST_MAX`]).
async fn wait_for_lookups(services: &Services, jobs: &[OutboxJob]) {
    let cards: Vec<_> =
        jobs.iter().filter(|j| matches!(j.kind, OutboxKind::Announce)).filter_map(|j| j.post_id).collect();
    if cards.is_empty() || services.duplicates.waiting() == 0 {
        return;
    }
    if !services.duplicates.settle_posts(&cards, LOOKUPS_FIRST_MAX).await {
        tracing::debug!(cards = cards.len(), "cards drawn before their near-duplicate lookups landed");
    }
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
        .for_each_concurrent(parallel_posts(services), |(jobs, mut first)| async move {
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

/// What to record once a job ran.
enum Record {
    Complete(OutboxResult),
    Retry { error: String, delay_secs: i64, delivery: Delivery },
}

#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0), kind = job.kind.as_str(), attempt = job.attempts))]
async fn process(bot: &Bot, services: &Services, job: &OutboxJob, loaded: Option<Loaded>) {
    let result = run_job(bot, services, job, loaded).in_current_span().await;
    let record = match result {
        Ok(outcome) => Record::Complete(outcome),
        Err(JobError::Store(e)) => {
            tracing::error!(error = %e, "job failed on storage; it will be retried after its lease");
            return;
        }
        Err(JobError::Media(e)) if job.attempts < MAX_OTHER_ATTEMPTS => {
            tracing::warn!(error = %e, "media processing failed; retrying with backoff");
            Record::Retry { error: e.to_string(), delay_secs: backoff(job.attempts), delivery: Delivery::NotSent }
        }
        Err(JobError::Media(e)) => {
            tracing::error!(error = %e, "media processing keeps failing; giving up on it");
            Record::Complete(OutboxResult::Done)
        }
        Err(JobError::Telegram(e)) => {
            let max = if job.kind == OutboxKind::Publish { MAX_PUBLISH_ATTEMPTS } else { MAX_OTHER_ATTEMPTS };
            match classify(&e) {
                Failure::FloodWait(wait) => {
                    tracing::warn!(retry_after_secs = wait.as_secs(), "flood limit; job rescheduled");
                    let delay_secs = i64::try_from(wait.as_secs()).unwrap_or(60);
                    Record::Retry { error: e.to_string(), delay_secs, delivery: Delivery::NotSent }
                }
                Failure::Transient if job.attempts < max => {
                    let delay = backoff(job.attempts);
                    tracing::warn!(error = %e, delay_secs = delay, "Telegram call failed; retrying with backoff");
                    Record::Retry { error: e.to_string(), delay_secs: delay, delivery: Delivery::MaybeSent }
                }
                failure => {
                    tracing::error!(error = %e, ?failure, "Telegram refused the job; giving up on it");
                    // A message to an author given up on shows as undelivered in the thread.
                    thread::give_up(services, job, &e.to_string()).await;
                    // A publication or a card given up on is recorded on the post, for a
                    // moderator to see and send again; a notice or a card edit is not.
                    Record::Complete(match job.kind {
                        OutboxKind::Publish => OutboxResult::PublishFailed { error: e.to_string() },
                        OutboxKind::Announce => OutboxResult::CardFailed { error: e.to_string() },
                        _ => OutboxResult::Done,
                    })
                }
            }
        }
    };
    save(services, job, &record).await;
}

/// Records a job's result: a result that is not recorded makes the job run again after its
/// lease, and for a publication Telegram accepted that would post it twice.
async fn save(services: &Services, job: &OutboxJob, record: &Record) {
    let store = &services.store;
    let saved = patiently(services, "the job's result", || async {
        match record {
            Record::Complete(outcome) => store.complete_outbox(job, outcome).await,
            Record::Retry { error, delay_secs, delivery } => {
                store.retry_outbox(job, error, *delay_secs, *delivery).await
            }
        }
    })
    .await;
    if let Err(e) = saved {
        tracing::error!(error = %e, "could not record the job's result; it will run again after its lease");
    }
}

/// Runs a write again while the database is away (backing off up to 5 s), giving up in time
/// for the job's lease (twice the request timeout; the lease is four times it). Each try is
/// reported to the shared database health.
pub(crate) async fn patiently<F, Fut, T>(services: &Services, what: &str, mut write: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let give_up = tokio::time::Instant::now() + services.config.telegram.request_timeout * 2;
    let mut wait = Duration::from_millis(200);
    loop {
        let written = write().await;
        services.health.observe(&written);
        match written {
            Err(e) if tokio::time::Instant::now() + wait < give_up => {
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis(), "could not record {what}; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            done => return done,
        }
    }
}

/// Seconds to wait before attempt `attempts + 1`: 2, 4, 8, … capped at 5 minutes.
fn backoff(attempts: i32) -> i64 {
    2_i64.pow(u32::try_from(attempts.clamp(1, 9)).unwrap_or(9)).min(300)
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum JobError {
    #[error(transparent)]
    Telegram(#[from] RequestError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
