//! Contract: what a crash leaves behind is found again. Receipts are recorded in batches and
//! the ones missing are listed (`record_receipts`, `unreceipted`); a card or a publication
//! whose earlier attempt began sending and never ended is flagged when it is sent again
//! (`begin_outbox_send`, `retry_outbox`'s delivery); the one worker takes back every lease as
//! it starts (`reclaim_outbox_leases`).

use std::sync::Arc;

use chrono::{Duration, Utc};
use postgate::domain::{MediaKind, PostId};
use postgate::store::{Delivery, MaybeTwice, OutboxKind, OutboxResult, Store};

use crate::common::{MOD_A, album_post, approve, text_post};
use crate::fixtures::{job_of, lease_all, post, reject_for, submit};

fn soon() -> chrono::DateTime<Utc> {
    Utc::now() + Duration::seconds(5)
}

pub async fn receipts_recorded_in_one_call_leave_the_others_listed(store: Arc<dyn Store>) {
    let ids = [
        submit(&*store, &text_post(1, 1, "one")).await,
        submit(&*store, &text_post(2, 2, "two")).await,
        submit(&*store, &text_post(3, 3, "three")).await,
    ];
    assert!(post(&*store, ids[0]).await.receipt_sent_at.is_none(), "a new submission has no receipt yet");
    assert_eq!(store.unreceipted(soon(), 100).await.unwrap(), ids, "oldest first");
    assert_eq!(store.unreceipted(soon(), 2).await.unwrap(), ids[..2], "the limit holds");
    assert!(
        store.unreceipted(Utc::now() - Duration::hours(1), 100).await.unwrap().is_empty(),
        "only submissions stored before the bound"
    );

    store.record_receipts(&ids[..2]).await.unwrap();
    store.record_receipts(&ids[..2]).await.unwrap(); // recorded again: nothing changes
    store.record_receipts(&[]).await.unwrap();
    assert_eq!(store.unreceipted(soon(), 100).await.unwrap(), [ids[2]]);
    let first = post(&*store, ids[0]).await.receipt_sent_at.expect("recorded");
    assert!((Utc::now() - first).num_seconds().abs() < 60, "recorded now: {first}");
    store.record_receipts(&[ids[0], PostId(9_999)]).await.unwrap(); // an unknown post is no error
    assert_eq!(post(&*store, ids[0]).await.receipt_sent_at, Some(first), "the first record stays");
}

pub async fn unreceipted_skips_decided_posts_and_albums_not_yet_announced(store: Arc<dyn Store>) {
    let decided = submit(&*store, &text_post(1, 1, "decided")).await;
    store.decide(&reject_for(decided, MOD_A, "no", false)).await.unwrap();
    let album = submit(&*store, &album_post(2, 10, "album", &[MediaKind::Photo, MediaKind::Photo])).await;
    assert!(store.unreceipted(soon(), 100).await.unwrap().is_empty(), "a decision came first; an album waits");

    let announce = job_of(&lease_all(&*store).await, album, OutboxKind::Announce);
    store.complete_outbox(&announce, &OutboxResult::Announced { card_message_id: 40 }).await.unwrap();
    assert_eq!(store.unreceipted(soon(), 100).await.unwrap(), [album], "announced: its receipt is due");
}

pub async fn a_card_sent_again_after_a_send_that_never_ended_is_flagged(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "card")).await;
    let announce = job_of(&lease_all(&*store).await, id, OutboxKind::Announce);
    assert!(!store.begin_outbox_send(&announce).await.unwrap(), "a first send");
    // The process dies mid-send; the next worker takes its leases back and sends again.
    assert!(store.reclaim_outbox_leases().await.unwrap() >= 1);
    let again = job_of(&lease_all(&*store).await, id, OutboxKind::Announce);
    assert_eq!(again.id, announce.id);
    assert!(store.begin_outbox_send(&again).await.unwrap(), "this send may repeat the first");
    let flagged = post(&*store, id).await;
    assert_eq!(flagged.maybe_twice, MaybeTwice { card: true, publication: false });
    store.complete_outbox(&again, &OutboxResult::Announced { card_message_id: 8 }).await.unwrap();
    assert!(post(&*store, id).await.maybe_twice.card, "the flag stays for the moderators to see");
}

/// Sends that begin at the same moment (marked together on `PostgreSQL`) each get their own
/// answer, and only the posts whose earlier send never ended are flagged.
pub async fn send_intents_begun_together_are_each_answered_and_flagged_on_their_own(store: Arc<dyn Store>) {
    let ids = [
        submit(&*store, &text_post(1, 1, "a")).await,
        submit(&*store, &text_post(2, 2, "b")).await,
        submit(&*store, &text_post(3, 3, "c")).await,
    ];
    let first = lease_all(&*store).await;
    for id in &ids[..2] {
        assert!(!store.begin_outbox_send(&job_of(&first, *id, OutboxKind::Announce)).await.unwrap());
    }
    assert!(store.reclaim_outbox_leases().await.unwrap() >= 3);
    let again = lease_all(&*store).await;
    let jobs = ids.map(|id| job_of(&again, id, OutboxKind::Announce));
    let (a, b, c) = futures::join!(
        store.begin_outbox_send(&jobs[0]),
        store.begin_outbox_send(&jobs[1]),
        store.begin_outbox_send(&jobs[2]),
    );
    assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), (true, true, false), "each job its own answer");
    for (id, twice) in ids.iter().zip([true, true, false]) {
        assert_eq!(post(&*store, *id).await.maybe_twice, MaybeTwice { card: twice, publication: false }, "post {id:?}");
    }
}

pub async fn only_a_failure_that_may_have_delivered_keeps_the_send_intent(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "publish me")).await;
    lease_all(&*store).await;
    store.decide(&approve(id, MOD_A)).await.unwrap();
    let publish = job_of(&lease_all(&*store).await, id, OutboxKind::Publish);
    assert!(!store.begin_outbox_send(&publish).await.unwrap());
    // Telegram answered with an error (a 429): nothing went out.
    store.retry_outbox(&publish, "Too Many Requests", 0, Delivery::NotSent).await.unwrap();
    let second = job_of(&lease_all(&*store).await, id, OutboxKind::Publish);
    assert!(!store.begin_outbox_send(&second).await.unwrap(), "an answered failure is no repeat");
    assert!(!post(&*store, id).await.maybe_twice.publication);
    // A timeout: the post may be in the channel already.
    store.retry_outbox(&second, "timed out", 0, Delivery::MaybeSent).await.unwrap();
    let third = job_of(&lease_all(&*store).await, id, OutboxKind::Publish);
    assert!(store.begin_outbox_send(&third).await.unwrap());
    let flagged = post(&*store, id).await;
    assert_eq!(flagged.maybe_twice, MaybeTwice { card: false, publication: true });
}

pub async fn reclaim_hands_back_leased_jobs_and_leaves_scheduled_retries(store: Arc<dyn Store>) {
    let a = submit(&*store, &text_post(1, 1, "a")).await;
    let b = submit(&*store, &text_post(2, 2, "b")).await;
    let jobs = lease_all(&*store).await;
    assert!(lease_all(&*store).await.is_empty(), "all leased");
    let retried = job_of(&jobs, b, OutboxKind::Announce);
    store.retry_outbox(&retried, "server error", 3_600, Delivery::NotSent).await.unwrap();

    let reclaimed = store.reclaim_outbox_leases().await.unwrap();
    assert_eq!(reclaimed, u64::try_from(jobs.len() - 1).unwrap(), "every lease but the retried job's");
    let back = lease_all(&*store).await;
    assert_eq!(back.len(), jobs.len() - 1);
    assert!(back.iter().all(|j| j.id != retried.id), "a scheduled retry keeps its time");
    job_of(&back, a, OutboxKind::Announce);
    assert_eq!(store.reclaim_outbox_leases().await.unwrap(), u64::try_from(back.len()).unwrap());
    store.complete_outbox(&job_of(&back, a, OutboxKind::Announce), &OutboxResult::Done).await.unwrap();
    assert_eq!(
        store.reclaim_outbox_leases().await.unwrap(),
        u64::try_from(back.len() - 1).unwrap(),
        "done jobs stay done"
    );
}
