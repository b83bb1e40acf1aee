//! The near-duplicate lookup of new submissions, off intake's path: a submission is stored
//! with its other flags ([`Store::submit_flagged`]), its receipt goes out, and its post is
//! queued here with its text's bands. One task takes whatever has queued up (up to [`BATCH`]),
//! stores their bands and looks up each post's candidates among the posts stored before it in
//! one store call ([`Store::fingerprint_and_find_earlier`]: 16 index rows a post were the
//! largest part of intake's write with flags on, BENCHMARKS.md), computes the exact similarity of those few off
//! the async workers, and adds what it found in one more ([`Store::set_duplicates`]); a card
//! already out is refreshed. Per post that was a read, an author read and a transaction of
//! its own in the handler (BENCHMARKS.md, "Intake with flags on": 210–570 checks/s in debug).
//! A failed lookup marks its posts "not checked"; intake never waits for any of it, and a card
//! waits for its post's lookup (a bounded while) so it shows what was found. Lookups
//! still queued when the process dies are not lost for good: at start ([`resume`]) the recent
//! pending posts showing no duplicate, and the recent posts without bands, are looked up again.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, Semaphore, mpsc};

use crate::config::Config;
use crate::domain::PostId;
use crate::flags::DuplicateCheck;
use crate::flags::minhash::{Band, Shingles};
use crate::publisher;
use crate::services::Services;
use crate::store::Store;

/// Posts looked up together at most: one statement on `PostgreSQL`, whose candidates (≤
/// [`CANDIDATES`] a post) come back in one answer.
const BATCH: usize = 64;

/// The most candidates of a new post whose similarity is computed: the posts sharing the most
/// bands with it. Fewer than an edit's lookup takes (`flags::CANDIDATES`, 20): these lookups
/// run for every submission, and in a flood of one text each post has hundreds of candidates
/// sharing a band, all of them read and compared; a copy shares several bands, so it is among
/// the first.
const CANDIDATES: i64 = 8;

/// A stored post waiting for its lookup.
pub struct Queued {
    pub id: PostId,
    pub shingles: Shingles,
    pub bands: Vec<Band>,
}

/// The lookups of this process. Cheap to clone; the task starts on first use, on the caller's
/// runtime, and ends when the last clone is dropped.
#[derive(Clone, Default)]
pub struct DuplicateChecks {
    queue: Arc<OnceLock<mpsc::UnboundedSender<Queued>>>,
    /// Queued and not yet written.
    waiting: Arc<AtomicUsize>,
    /// The posts queued and not yet written: a card waits for its post's lookup
    /// ([`DuplicateChecks::settle_posts`]).
    pending: Arc<Mutex<HashSet<i64>>>,
    /// Told after every batch written.
    settled: Arc<Notify>,
}

impl std::fmt::Debug for DuplicateChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DuplicateChecks({} waiting)", self.waiting())
    }
}

impl DuplicateChecks {
    /// Queues a stored post's lookup (none for a text without bands: too short to call a copy).
    pub fn queue(&self, services: &Services, post: Queued) {
        if post.bands.is_empty() {
            return;
        }
        let queue = self.queue.get_or_init(|| {
            let (send, receive) = mpsc::unbounded_channel();
            let worker = Worker {
                store: services.store.clone(),
                config: services.config.clone(),
                intake_slots: services.intake_slots.clone(),
                wake_outbox: services.outbox_wake.clone(),
                waiting: self.waiting.clone(),
                pending: self.pending.clone(),
                settled: self.settled.clone(),
            };
            tokio::spawn(worker.run(receive));
            send
        });
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let id = post.id;
        lock(&self.pending).insert(id.0);
        if queue.send(post).is_err() {
            lock(&self.pending).remove(&id.0);
            self.done(1);
        }
    }

    /// Waits until none of `posts` has its lookup queued or under way, for at most `bound`;
    /// whether none has. The outbox worker asks before it draws cards, so a near-duplicate's
    /// card goes out showing it instead of being edited once its lookup lands.
    pub async fn settle_posts(&self, posts: &[PostId], bound: Duration) -> bool {
        let wait = async {
            loop {
                let settled = self.settled.notified();
                if !self.any_pending(posts) {
                    return;
                }
                settled.await;
            }
        };
        tokio::time::timeout(bound, wait).await.is_ok()
    }

    fn any_pending(&self, posts: &[PostId]) -> bool {
        let pending = lock(&self.pending);
        !pending.is_empty() && posts.iter().any(|p| pending.contains(&p.0))
    }

    /// Lookups queued and not yet written.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Waits until every lookup queued so far is written, for at most `bound`; whether it was.
    pub async fn settle(&self, bound: Duration) -> bool {
        let wait = async {
            loop {
                let settled = self.settled.notified();
                if self.waiting() == 0 {
                    return;
                }
                settled.await;
            }
        };
        tokio::time::timeout(bound, wait).await.is_ok()
    }

    fn done(&self, n: usize) {
        finish(&self.waiting, &self.settled, n);
    }
}

fn finish(waiting: &AtomicUsize, settled: &Notify, n: usize) {
    waiting.fetch_sub(n, Ordering::SeqCst);
    settled.notify_waiters();
}

fn lock(pending: &Mutex<HashSet<i64>>) -> std::sync::MutexGuard<'_, HashSet<i64>> {
    pending.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Worker {
    store: Arc<dyn Store>,
    config: Arc<Config>,
    intake_slots: Arc<Semaphore>,
    wake_outbox: Arc<Notify>,
    waiting: Arc<AtomicUsize>,
    pending: Arc<Mutex<HashSet<i64>>>,
    settled: Arc<Notify>,
}

impl Worker {
    async fn run(self, mut receive: mpsc::UnboundedReceiver<Queued>) {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            self.yield_to_intake().await;
            if receive.recv_many(&mut batch, BATCH).await == 0 {
                return;
            }
            let n = batch.len();
            let ids: Vec<i64> = batch.iter().map(|q| q.id.0).collect();
            let found = check(self.store.as_ref(), &self.config, std::mem::take(&mut batch)).await;
            self.store_found(&found).await;
            {
                let mut pending = lock(&self.pending);
                for id in &ids {
                    pending.remove(id);
                }
            }
            finish(&self.waiting, &self.settled, n);
        }
    }

    /// Intake first, as the outbox worker does (`publisher::yield_to_intake`): while most
    /// intake slots are taken, the next batch waits, up to [`publisher::INTAKE_FIRST_MAX`].
    async fn yield_to_intake(&self) {
        let busy = || crate::services::intake_busy(&self.intake_slots, self.config.database.max_connections);
        let started = tokio::time::Instant::now();
        while busy() && started.elapsed() < publisher::INTAKE_FIRST_MAX {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Writes what the lookups found; a failed write (a deadlock with another writer of the
    /// same posts, the database away for a moment) is tried again: adding a duplicate twice
    /// changes nothing.
    async fn store_found(&self, found: &[(PostId, DuplicateCheck)]) {
        for attempt in 1..=WRITE_ATTEMPTS {
            match self.store.set_duplicates(found).await {
                Ok(0) => return,
                Ok(_) => {
                    // Cards already out show the duplicate once refreshed.
                    self.wake_outbox.notify_one();
                    return;
                }
                Err(e) if attempt < WRITE_ATTEMPTS => {
                    tracing::warn!(posts = found.len(), attempt, error = %e, "near-duplicates not stored yet; retrying");
                    tokio::time::sleep(Duration::from_millis(200) * attempt).await;
                }
                Err(e) => tracing::error!(posts = found.len(), error = %e, "near-duplicates not stored"),
            }
        }
    }
}

/// How far back [`resume`] looks, and how many posts at most: a lookup waits seconds in the
/// queue, so a crash loses the last moments' — a day covers a machine that was off overnight.
const RESUME_SINCE: chrono::Duration = chrono::Duration::days(1);
const RESUME_MAX: i64 = 2_000;

/// Queues the lookups a crash (or a stop that ran out of time) may have lost: pending posts of
/// the last day showing no duplicate, their bands computed again from their texts (off the
/// async workers). Looking up a post that was already looked up finds the same and writes
/// nothing. Returns how many were queued.
pub async fn resume(services: &Services) -> usize {
    let since = Utc::now() - RESUME_SINCE;
    let mut posts = match services.store.duplicate_rechecks(since, RESUME_MAX).await {
        Ok(posts) => posts,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look up recent posts' near-duplicates again; they keep their other flags");
            return 0;
        }
    };
    // Oldest first, as intake queues them (the rechecks come newest first): a post is looked up
    // only among the posts before it whose bands are stored, so a copy looked up in a batch
    // ahead of its original would miss it.
    posts.sort_unstable_by_key(|(id, _)| id.0);
    let queued = tokio::task::spawn_blocking(move || {
        posts
            .into_iter()
            .map(|(id, body)| {
                let shingles = crate::flags::minhash::shingles(&body);
                let bands = crate::flags::minhash::bands(&shingles);
                Queued { id, shingles, bands }
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let n = queued.len();
    for post in queued {
        services.duplicates.queue(services, post);
    }
    if n > 0 {
        tracing::info!(posts = n, "near-duplicate lookups of recent posts queued again");
    }
    n
}

/// Tries of one batch's write.
const WRITE_ATTEMPTS: u32 = 3;

/// What the lookups of `batch` found: a duplicate for some, a failure for all when the lookup
/// failed, nothing for the rest.
async fn check(store: &dyn Store, config: &Config, batch: Vec<Queued>) -> Vec<(PostId, DuplicateCheck)> {
    let since = Utc::now() - chrono::Duration::days(i64::from(config.flags.duplicate_days));
    let posts: Vec<(PostId, Vec<Band>)> = batch.iter().map(|q| (q.id, q.bands.clone())).collect();
    let failed = |ids: Vec<PostId>| ids.into_iter().map(|id| (id, DuplicateCheck::Failed)).collect();
    let candidates = match store.fingerprint_and_find_earlier(&posts, since, CANDIDATES).await {
        Ok(candidates) => candidates,
        Err(e) => {
            tracing::error!(posts = batch.len(), error = %e, "near-duplicate lookup failed: not checked");
            return failed(batch.iter().map(|q| q.id).collect());
        }
    };
    let threshold = config.flags.duplicate_percent;
    let ids: Vec<PostId> = batch.iter().map(|q| q.id).collect();
    let similar = tokio::task::spawn_blocking(move || {
        batch
            .iter()
            .zip(&candidates)
            .filter_map(|(q, c)| {
                super::flags::closest(&q.shingles, c, threshold).map(|d| (q.id, DuplicateCheck::Found(d)))
            })
            .collect()
    });
    match similar.await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "near-duplicate similarity failed: not checked");
            failed(ids)
        }
    }
}
