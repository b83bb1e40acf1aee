//! Flags for a second look. A submission's are computed before it is written ([`prepare`]:
//! the text detectors, the forwarded origin, the text's `MinHash` bands) and stored by the same
//! write as the post, the author's history read by its admission
//! ([`Store::submit_flagged`]); its near-duplicate lookup follows, off intake's path
//! ([`super::duplicates`]). An edit, an album's caption or a revision recomputes them all
//! ([`check`]): the text detectors, the author's history, and the near-duplicate search — one
//! indexed lookup of the posts sharing a band ([`Store::duplicate_candidates`]) and the exact
//! similarity of those few candidates (off the async workers) — stored by [`Store::set_flags`].
//! Flags never decide anything, and computing them never blocks intake: when it fails the post
//! is stored all the same, marked "not checked".

use std::future::Future;
use std::sync::Arc;

use chrono::Utc;
use tracing::instrument;

use crate::config::{Config, FlagsConfig};
use crate::domain::{PostId, UserId};
use crate::flags::minhash::{self, Band, Shingles};
use crate::flags::{Duplicate, PostFlags, text_flags};
use crate::store::{IntakeFlags, Store, StoreError};

/// The most candidates whose similarity is computed: the posts sharing the most bands.
pub(super) const CANDIDATES: i64 = 20;
/// Texts up to this long are fingerprinted on the async worker (a few microseconds: less than
/// handing them to the blocking pool); longer ones (up to a 4 096-character message, ~100 µs
/// in release) off it.
const INLINE_CHARS: usize = 1024;

/// What the flags are computed from.
#[derive(Debug, Clone)]
pub struct FlagInput {
    pub author: UserId,
    pub body: String,
    pub entities: serde_json::Value,
    /// Where a forwarded message came from (only the message itself says so).
    pub forwarded: Option<String>,
}

/// Why flags could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum FlagsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("flag computation stopped: {0}")]
    Worker(#[from] tokio::task::JoinError),
}

/// A submission's flags before it is written, and its text's shingles and bands for the
/// lookup after.
pub struct Prepared {
    pub flags: IntakeFlags,
    pub shingles: Shingles,
    pub bands: Vec<minhash::Band>,
}

/// The flags a submission's own message gives (text detectors, forwarded origin) and its
/// text's bands, before it is written: no database. A failure marks it "not checked".
pub async fn prepare(config: &Arc<Config>, input: &FlagInput) -> Prepared {
    let compute = |config: &Config, body: &str, entities: &serde_json::Value, forwarded: Option<String>| {
        let mut flags = text_flags(&config.flags.rules, body, entities);
        flags.forwarded = forwarded;
        let shingles = minhash::shingles(body);
        let bands = minhash::bands(&shingles);
        Prepared { flags: IntakeFlags { flags }, shingles, bands }
    };
    if input.body.len() <= INLINE_CHARS {
        return compute(config, &input.body, &input.entities, input.forwarded.clone());
    }
    let (config, input) = (config.clone(), input.clone());
    tokio::task::spawn_blocking(move || compute(&config, &input.body, &input.entities, input.forwarded))
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "flags not checked");
            Prepared {
                flags: IntakeFlags { flags: PostFlags::not_checked() },
                shingles: Shingles::default(),
                bands: Vec::new(),
            }
        })
}

/// Computes and stores a post's flags; a failure is logged and the post marked "not checked".
pub async fn check(store: &dyn Store, config: &FlagsConfig, id: PostId, input: &FlagInput) {
    let since = Utc::now() - chrono::Duration::days(i64::from(config.duplicate_days));
    check_with(store, config, id, input, |bands| async move {
        store.duplicate_candidates(&bands, since, id, CANDIDATES).await
    })
    .await;
}

/// [`check`] with the candidate lookup given (a test injects a failing one).
#[instrument(skip_all, fields(post_id = id.0, user_id = input.author.0))]
pub async fn check_with<F, Fut>(store: &dyn Store, config: &FlagsConfig, id: PostId, input: &FlagInput, lookup: F)
where
    F: FnOnce(Vec<Band>) -> Fut,
    Fut: Future<Output = Result<Vec<(PostId, String)>, StoreError>>,
{
    let (flags, bands) = match compute(store, config, input, lookup).await {
        Ok(done) => done,
        Err(e) => {
            tracing::error!(post_id = id.0, error = %e, "flags not checked");
            (PostFlags::not_checked(), Vec::new())
        }
    };
    if let Err(e) = store.set_flags(id, &flags, &bands).await {
        tracing::error!(post_id = id.0, error = %e, "flags not stored");
    }
}

async fn compute<F, Fut>(
    store: &dyn Store,
    config: &FlagsConfig,
    input: &FlagInput,
    lookup: F,
) -> Result<(PostFlags, Vec<Band>), FlagsError>
where
    F: FnOnce(Vec<Band>) -> Fut,
    Fut: Future<Output = Result<Vec<(PostId, String)>, StoreError>>,
{
    let mut flags = text_flags(&config.rules, &input.body, &input.entities);
    flags.forwarded.clone_from(&input.forwarded);
    let body = input.body.clone();
    let (shingles, bands) = tokio::task::spawn_blocking(move || {
        let shingles = minhash::shingles(&body);
        let bands = minhash::bands(&shingles);
        (shingles, bands)
    })
    .await?;
    let (candidates, author) = tokio::join!(
        async { if bands.is_empty() { Ok(Vec::new()) } else { lookup(bands.clone()).await } },
        store.author(input.author)
    );
    let candidates = candidates?;
    if let Some(a) = author? {
        // This submission is already counted among the pending ones.
        flags.new_author = a.approved + a.rejected + a.pending <= 1;
        flags.rejections = a.rejected;
    }
    let threshold = config.duplicate_percent;
    flags.duplicate = tokio::task::spawn_blocking(move || closest(&shingles, &candidates, threshold)).await?;
    Ok((flags, bands))
}

/// The most similar candidate at `threshold` % or more (the newest of equals).
pub fn closest(shingles: &minhash::Shingles, candidates: &[(PostId, String)], threshold: u8) -> Option<Duplicate> {
    candidates
        .iter()
        .map(|(id, body)| Duplicate { post_id: *id, percent: minhash::similarity(shingles, &minhash::shingles(body)) })
        .filter(|d| d.percent >= threshold)
        .max_by_key(|d| (d.percent, d.post_id.0))
}
