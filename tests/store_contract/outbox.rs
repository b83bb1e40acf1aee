//! Contract: the outbox — `lease_outbox` hands each due job to one worker until its lease
//! passes, `complete_outbox` applies each result to its post, `retry_outbox` reschedules with
//! a delay, `outbox_backlog` counts the jobs not done.

use std::collections::HashSet;
use std::sync::Arc;

use postgate::domain::{PostId, PostStatus};
use postgate::store::{Delivery, OutboxJob, OutboxKind, OutboxResult, Store};

use crate::common::{MOD_A, approve, text_post};
use crate::fixtures::{actions, job_of, kinds_for, lease_all, post, submit};
use crate::harness::{SHORT_SECS, wait_past_short};

/// `n` text posts; each queues one announcement.
async fn posts(store: &dyn Store, n: i32) -> Vec<PostId> {
    let mut ids = Vec::new();
    for m in 1..=n {
        ids.push(submit(store, &text_post(1, m, &format!("post {m}"))).await);
    }
    ids
}

/// An approved post and its leased publish job.
async fn publication(store: &dyn Store) -> (PostId, OutboxJob) {
    let id = submit(store, &text_post(1, 1, "to publish")).await;
    lease_all(store).await;
    store.decide(&approve(id, MOD_A)).await.unwrap();
    (id, job_of(&lease_all(store).await, id, OutboxKind::Publish))
}

fn job_ids(jobs: &[OutboxJob]) -> HashSet<i64> {
    jobs.iter().map(|j| j.id).collect()
}

pub async fn a_leased_job_is_not_leased_again_until_its_lease_passes(store: Arc<dyn Store>) {
    assert!(lease_all(&*store).await.is_empty(), "an empty store has no work");
    let id = submit(&*store, &text_post(1, 1, "announce me")).await;
    let jobs = store.lease_outbox(10, SHORT_SECS).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!((job.post_id, job.kind, job.attempts), (Some(id), OutboxKind::Announce, 1));
    assert!((chrono::Utc::now() - job.created_at).num_seconds().abs() < 60);
    assert!(store.lease_outbox(10, SHORT_SECS).await.unwrap().is_empty(), "leased: nobody else gets it");

    // A worker that dies mid-job loses nothing: after the lease the job is due again.
    wait_past_short().await;
    let again = store.lease_outbox(10, 60).await.unwrap();
    assert_eq!(again.iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>(), [(job.id, 2)]);
    assert_eq!(again[0].payload, job.payload);
    assert!(store.lease_outbox(10, 60).await.unwrap().is_empty());
}

pub async fn lease_honours_its_limit_and_hands_each_job_once(store: Arc<dyn Store>) {
    let ids = posts(&*store, 5).await;
    let first = store.lease_outbox(2, 60).await.unwrap();
    assert_eq!(first.len(), 2);
    let rest = store.lease_outbox(10, 60).await.unwrap();
    assert_eq!(rest.len(), 3);
    assert!(job_ids(&first).is_disjoint(&job_ids(&rest)));
    let leased: HashSet<PostId> = first.iter().chain(&rest).filter_map(|j| j.post_id).collect();
    assert_eq!(leased, ids.iter().copied().collect(), "every post's announcement, once");
    assert!(first.iter().chain(&rest).all(|j| j.kind == OutboxKind::Announce && j.attempts == 1));
    assert!(store.lease_outbox(10, 60).await.unwrap().is_empty());
}

pub async fn concurrent_leases_get_disjoint_jobs(store: Arc<dyn Store>) {
    posts(&*store, 20).await;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.lease_outbox(5, 60).await.unwrap() })
        })
        .collect();
    let mut seen = HashSet::new();
    for leased in futures::future::join_all(tasks).await {
        let leased = leased.unwrap();
        assert!(leased.len() <= 5);
        for job in leased {
            assert!(seen.insert(job.id), "job {} handed out twice", job.id);
        }
    }
    seen.extend(job_ids(&lease_all(&*store).await));
    assert_eq!(seen.len(), 20, "every job handed out exactly once");
}

pub async fn complete_announced_stores_the_card_message_id(store: Arc<dyn Store>) {
    let ids = posts(&*store, 2).await;
    let jobs = lease_all(&*store).await;
    let backlog = store.outbox_backlog().await.unwrap();
    let first = job_of(&jobs, ids[0], OutboxKind::Announce);
    store.complete_outbox(&first, &OutboxResult::Announced { card_message_id: 501 }).await.unwrap();
    assert_eq!(post(&*store, ids[0]).await.moderation_message_id, Some(501));
    assert_eq!(post(&*store, ids[1]).await.moderation_message_id, None, "only its own post");
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog - 1);

    // Completed together, each keeps its own card.
    let second = job_of(&jobs, ids[1], OutboxKind::Announce);
    store.complete_outbox(&second, &OutboxResult::Announced { card_message_id: 502 }).await.unwrap();
    assert_eq!(post(&*store, ids[1]).await.moderation_message_id, Some(502));
    // A job completed again (a retry after a lost answer) does not move the card.
    store.complete_outbox(&first, &OutboxResult::Announced { card_message_id: 999 }).await.unwrap();
    assert_eq!(post(&*store, ids[0]).await.moderation_message_id, Some(501));
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog - 2);
}

pub async fn complete_published_publishes_the_post(store: Arc<dyn Store>) {
    let (id, publish) = publication(&*store).await;
    store.complete_outbox(&publish, &OutboxResult::Published { channel_message_id: 777 }).await.unwrap();
    let stored = post(&*store, id).await;
    assert_eq!(stored.status, PostStatus::Published);
    assert_eq!(stored.channel_message_id, Some(777));
    assert!(stored.published_at.is_some_and(|at| at >= stored.decided_at.unwrap()));
    assert_eq!(stored.publish_error, None);
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["published", "approve"]);
    // Written by the system, not a moderator, with the channel message it became.
    assert_eq!((log[0].source.as_str(), log[0].moderator_id), ("system", None));
    assert_eq!(log[0].details["channel_message_id"], 777);
    // The author is told.
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::NotifyAuthor]);

    // Completing it again changes nothing and queues nothing.
    store.complete_outbox(&publish, &OutboxResult::Published { channel_message_id: 778 }).await.unwrap();
    assert_eq!(post(&*store, id).await.channel_message_id, Some(777));
    assert!(lease_all(&*store).await.is_empty());
    assert_eq!(store.moderation_log(Some(id), 10).await.unwrap().len(), 2);
}

pub async fn complete_publish_failed_keeps_the_error(store: Arc<dyn Store>) {
    let (id, publish) = publication(&*store).await;
    let backlog = store.outbox_backlog().await.unwrap();
    let error = "Forbidden: bot is not a member of the channel";
    store.complete_outbox(&publish, &OutboxResult::PublishFailed { error: error.into() }).await.unwrap();
    let stored = post(&*store, id).await;
    assert_eq!(stored.status, PostStatus::PublishFailed);
    assert_eq!(stored.publish_error.as_deref(), Some(error));
    assert_eq!((stored.channel_message_id, stored.published_at), (None, None));
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(log[0].action, "publish_failed");
    assert_eq!(log[0].reason.as_deref(), Some(error));
    assert_eq!((log[0].source.as_str(), log[0].moderator_id), ("system", None));
    // The card is updated to show the failure; the publish job itself is done.
    let jobs = lease_all(&*store).await;
    assert_eq!(kinds_for(&jobs, id), [OutboxKind::UpdateCard]);
    store.complete_outbox(&jobs[0], &OutboxResult::Done).await.unwrap();
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog - 1, "only the approval's card update is left");
}

pub async fn complete_done_finishes_the_job(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "x")).await;
    let job = store.lease_outbox(10, SHORT_SECS).await.unwrap().remove(0);
    assert_eq!(store.outbox_backlog().await.unwrap(), 1);
    store.complete_outbox(&job, &OutboxResult::Done).await.unwrap();
    assert_eq!(store.outbox_backlog().await.unwrap(), 0);
    let stored = post(&*store, id).await;
    assert_eq!((stored.status, stored.moderation_message_id), (PostStatus::Pending, None), "nothing applied");
    // Done stays done, even after its lease would have passed.
    wait_past_short().await;
    assert!(lease_all(&*store).await.is_empty());
}

pub async fn retry_outbox_reschedules_and_counts_attempts(store: Arc<dyn Store>) {
    submit(&*store, &text_post(1, 1, "flaky")).await;
    let job = store.lease_outbox(10, 60).await.unwrap().remove(0);
    assert_eq!(job.attempts, 1);

    store.retry_outbox(&job, "Too Many Requests: retry after 2", SHORT_SECS, Delivery::NotSent).await.unwrap();
    assert!(store.lease_outbox(10, 60).await.unwrap().is_empty(), "not before its delay");
    assert_eq!(store.outbox_backlog().await.unwrap(), 1, "a retried job is not done");
    wait_past_short().await;
    let second = store.lease_outbox(10, 60).await.unwrap();
    assert_eq!(second.iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>(), [(job.id, 2)]);

    // No delay: due again at once.
    store.retry_outbox(&second[0], "timeout", 0, Delivery::NotSent).await.unwrap();
    let third = store.lease_outbox(10, 60).await.unwrap();
    assert_eq!(third.iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>(), [(job.id, 3)]);

    // A long delay keeps it back (a lease of a minute has not passed either way).
    store.retry_outbox(&third[0], "server error", 3600, Delivery::NotSent).await.unwrap();
    assert!(store.lease_outbox(10, 60).await.unwrap().is_empty());
    // Retrying a job already done does not bring it back.
    store.complete_outbox(&third[0], &OutboxResult::Done).await.unwrap();
    store.retry_outbox(&third[0], "late", 0, Delivery::NotSent).await.unwrap();
    assert!(store.lease_outbox(10, 60).await.unwrap().is_empty());
    assert_eq!(store.outbox_backlog().await.unwrap(), 0);
}

pub async fn outbox_backlog_counts_jobs_not_done(store: Arc<dyn Store>) {
    assert_eq!(store.outbox_backlog().await.unwrap(), 0);
    submit(&*store, &text_post(1, 1, "text")).await;
    assert_eq!(store.outbox_backlog().await.unwrap(), 1, "an announcement");
    submit(&*store, &crate::common::album_post(1, 10, "photo", &[postgate::domain::MediaKind::Photo])).await;
    assert_eq!(store.outbox_backlog().await.unwrap(), 3, "and a fingerprint for media");
    let jobs = lease_all(&*store).await;
    assert_eq!(store.outbox_backlog().await.unwrap(), 3, "leasing completes nothing");
    for (n, job) in (1..).zip(&jobs) {
        store.complete_outbox(job, &OutboxResult::Done).await.unwrap();
        assert_eq!(store.outbox_backlog().await.unwrap(), 3 - n);
    }
}

pub async fn completing_a_failure_again_changes_nothing(store: Arc<dyn Store>) {
    // The worker's answer was lost and the job's result is written a second time.
    let (id, publish) = publication(&*store).await;
    let failed = OutboxResult::PublishFailed { error: "Bad Request: chat not found".into() };
    store.complete_outbox(&publish, &failed).await.unwrap();
    let after_first = serde_json::to_value(post(&*store, id).await).unwrap();
    let log = store.moderation_log(Some(id), 10).await.unwrap().len();
    let backlog = store.outbox_backlog().await.unwrap();

    store.complete_outbox(&publish, &failed).await.unwrap();
    assert_eq!(serde_json::to_value(post(&*store, id).await).unwrap(), after_first);
    let entries = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(entries.len(), log, "no second log row for the same failure: {:?}", actions(&entries));
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog, "no second card update");
}

pub async fn a_late_failure_does_not_unpublish(store: Arc<dyn Store>) {
    // A failure written after the success (answers crossed): the post stays published, and
    // the audit log does not claim a failure.
    let (id, publish) = publication(&*store).await;
    store.complete_outbox(&publish, &OutboxResult::Published { channel_message_id: 31 }).await.unwrap();
    store.complete_outbox(&publish, &OutboxResult::PublishFailed { error: "timeout".into() }).await.unwrap();
    let stored = post(&*store, id).await;
    assert_eq!(stored.status, PostStatus::Published);
    assert_eq!((stored.channel_message_id, stored.publish_error), (Some(31), None));
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["published", "approve"]);
}

pub async fn completions_arriving_together_each_keep_their_card(store: Arc<dyn Store>) {
    let ids = posts(&*store, 30).await;
    let jobs = lease_all(&*store).await;
    assert_eq!(jobs.len(), 30);
    let card = |job: &OutboxJob| 7_000 + i32::try_from(job.post_id.unwrap().0).unwrap();
    let tasks: Vec<_> = jobs
        .iter()
        .cloned()
        .map(|job| {
            let store = Arc::clone(&store);
            let result = OutboxResult::Announced { card_message_id: card(&job) };
            tokio::spawn(async move { store.complete_outbox(&job, &result).await.unwrap() })
        })
        .collect();
    for done in futures::future::join_all(tasks).await {
        done.unwrap();
    }
    for stored in store.posts(&ids).await.unwrap() {
        assert_eq!(
            stored.moderation_message_id,
            Some(7_000 + i32::try_from(stored.id.0).unwrap()),
            "post {:?}",
            stored.id
        );
    }
    assert_eq!(store.outbox_backlog().await.unwrap(), 0);
}

pub async fn a_publication_completed_by_two_workers_at_once_applies_once(store: Arc<dyn Store>) {
    // A lease that ran out while its worker was still at it: two workers finish the same job.
    let (id, publish) = publication(&*store).await;
    let tasks: Vec<_> = [1, 2, 3, 4]
        .map(|n| {
            let store = Arc::clone(&store);
            let job = publish.clone();
            tokio::spawn(async move {
                store.complete_outbox(&job, &OutboxResult::Published { channel_message_id: 800 + n }).await.unwrap();
            })
        })
        .into_iter()
        .collect();
    for done in futures::future::join_all(tasks).await {
        done.unwrap();
    }
    let stored = post(&*store, id).await;
    assert_eq!(stored.status, PostStatus::Published);
    assert!(stored.channel_message_id.is_some_and(|m| (801..=804).contains(&m)));
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["published", "approve"], "one publication logged");
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::NotifyAuthor], "the author is told once");
}
