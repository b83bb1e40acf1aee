//! The queue does not go stale (issue #17 part 3): the oldest pending arrival in the header's
//! counts, the pending posts older than an age (what the reminder counts and the expiry takes),
//! a rejection by the system, and the bot's own state that keeps the reminder's message.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use postgate::domain::{ActionSource, PostStatus, RejectReason, UserId};
use postgate::store::{DecideOutcome, Decision, DecisionKind, OutboxKind, REMINDER_STATE_KEY, Store};

use crate::common::{MOD_A, approve, text_post};
use crate::fixtures::{decided, kinds_for, lease_all, post, reject_for, submit};

/// Long enough that two arrivals on either side of it are told apart on both clocks
/// (`SQLite` stores milliseconds).
async fn tick() {
    tokio::time::sleep(Duration::from_millis(30)).await;
}

pub async fn the_oldest_pending_arrival_follows_the_decisions(store: Arc<dyn Store>) {
    assert_eq!(store.stats().await.unwrap().oldest_pending_at, None, "an empty store");
    let first = submit(&*store, &text_post(1, 1, "first")).await;
    tick().await;
    let second = submit(&*store, &text_post(2, 2, "second")).await;
    tick().await;
    let third = submit(&*store, &text_post(3, 3, "third")).await;
    let arrived = post(&*store, first).await.created_at;
    assert_eq!(store.stats().await.unwrap().oldest_pending_at, Some(arrived));
    store.decide(&approve(first, MOD_A)).await.unwrap();
    assert_eq!(store.stats().await.unwrap().oldest_pending_at, Some(post(&*store, second).await.created_at));
    store.decide(&reject_for(second, MOD_A, "no", false)).await.unwrap();
    store.decide(&reject_for(third, MOD_A, "no", false)).await.unwrap();
    assert_eq!(store.stats().await.unwrap().oldest_pending_at, None, "nothing pending");
}

pub async fn pending_before_counts_only_pending_posts_older_than_the_time(store: Arc<dyn Store>) {
    let before_all = Utc::now() - chrono::Duration::seconds(1);
    let a = submit(&*store, &text_post(1, 1, "a")).await;
    tick().await;
    let decided_old = submit(&*store, &text_post(2, 2, "approved meanwhile")).await;
    tick().await;
    let b = submit(&*store, &text_post(3, 3, "b")).await;
    tick().await;
    let c = submit(&*store, &text_post(4, 4, "c")).await;
    store.decide(&approve(decided_old, MOD_A)).await.unwrap();
    tick().await;
    let cutoff = Utc::now();
    tick().await;
    let young = submit(&*store, &text_post(5, 5, "young")).await;

    let found = store.pending_before(cutoff, 100).await.unwrap();
    assert_eq!(found.count, 3, "{found:?}");
    let ids: Vec<_> = found.oldest.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [a, b, c], "oldest first, the decided and the young left out");
    assert_eq!(found.oldest[0].1, post(&*store, a).await.created_at);
    assert!(!ids.contains(&young));

    let first = store.pending_before(cutoff, 1).await.unwrap();
    assert_eq!((first.count, first.oldest.len(), first.oldest[0].0), (3, 1, a), "counted in all, one listed");
    let none = store.pending_before(before_all, 100).await.unwrap();
    assert_eq!((none.count, none.oldest.len()), (0, 0));
    let later = store.pending_before(Utc::now() + chrono::Duration::hours(1), 100).await.unwrap();
    assert_eq!(later.count, 4, "the young one too, once old enough");
}

fn expiry(post_id: postgate::domain::PostId) -> Decision {
    Decision {
        post_id,
        moderator: UserId::SYSTEM,
        source: ActionSource::System,
        kind: DecisionKind::Reject { reason: RejectReason::expired(), ban_author: false },
    }
}

pub async fn the_systems_expiry_is_a_rejection_logged_by_the_system(store: Arc<dyn Store>) {
    let old = submit(&*store, &text_post(1, 1, "old")).await;
    let approved = submit(&*store, &text_post(2, 2, "approved just before")).await;
    store.decide(&approve(approved, MOD_A)).await.unwrap();
    lease_all(&*store).await;

    let expired = decided(store.decide(&expiry(old)).await.unwrap());
    assert_eq!(expired.status, PostStatus::Rejected);
    assert_eq!(expired.reject_reason, Some(RejectReason::expired()));
    assert_eq!(expired.decided_by, Some(UserId::SYSTEM));
    let log = store.moderation_log(Some(old), 10).await.unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0].action.as_str(), log[0].source.as_str(), log[0].moderator_id), ("reject", "system", None));
    assert_eq!(log[0].reason.as_deref(), Some("template:expired"));
    let jobs = lease_all(&*store).await;
    assert_eq!(kinds_for(&jobs, old), [OutboxKind::NotifyAuthor, OutboxKind::UpdateCard], "author told, card updated");

    // Idempotent, and a post a moderator decided is not touched.
    assert!(matches!(store.decide(&expiry(old)).await.unwrap(), DecideOutcome::AlreadyDecided { .. }));
    assert!(matches!(store.decide(&expiry(approved)).await.unwrap(), DecideOutcome::AlreadyDecided { .. }));
    assert_eq!(post(&*store, approved).await.status, PostStatus::Approved);
    assert_eq!(store.moderation_log(Some(approved), 10).await.unwrap().len(), 1, "only the approval");
    assert!(lease_all(&*store).await.is_empty(), "nothing more queued");
}

pub async fn the_bot_state_is_set_replaced_read_and_removed(store: Arc<dyn Store>) {
    assert_eq!(store.bot_state(REMINDER_STATE_KEY).await.unwrap(), None);
    store.set_bot_state(REMINDER_STATE_KEY, Some(r#"{"message_id":5}"#)).await.unwrap();
    assert_eq!(store.bot_state(REMINDER_STATE_KEY).await.unwrap().as_deref(), Some(r#"{"message_id":5}"#));
    store.set_bot_state(REMINDER_STATE_KEY, Some("ещё")).await.unwrap();
    assert_eq!(store.bot_state(REMINDER_STATE_KEY).await.unwrap().as_deref(), Some("ещё"));
    assert_eq!(store.bot_state("another").await.unwrap(), None, "keys are apart");
    store.set_bot_state(REMINDER_STATE_KEY, None).await.unwrap();
    assert_eq!(store.bot_state(REMINDER_STATE_KEY).await.unwrap(), None);
    store.set_bot_state(REMINDER_STATE_KEY, None).await.unwrap();
}
