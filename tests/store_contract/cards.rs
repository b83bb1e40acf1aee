//! Contract: a card Telegram refused (`OutboxResult::CardFailed`) is kept on its post and sent
//! again on request (`retry_card`); the parts of a multi-message job are recorded as they go
//! out (`record_outbox_progress`) and come back with the job; a failure after a publication
//! finishes its job without touching the post.

use std::sync::Arc;

use postgate::domain::{ActionSource, PostStatus};
use postgate::store::{Delivery, OutboxKind, OutboxResult, Store};

use crate::common::{MOD_A, approve, text_post};
use crate::fixtures::{actions, job_of, lease_all, post, submit};

pub async fn a_refused_card_is_kept_on_the_post_and_finishes_its_job(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "card me")).await;
    let announce = job_of(&lease_all(&*store).await, id, OutboxKind::Announce);
    let error = "Bad Request: not enough rights to send text messages to the chat";
    store.complete_outbox(&announce, &OutboxResult::CardFailed { error: error.into() }).await.unwrap();
    let stored = post(&*store, id).await;
    assert_eq!((stored.card_error.as_deref(), stored.moderation_message_id), (Some(error), None));
    assert_eq!(stored.status, PostStatus::Pending, "the post still waits for a decision");
    assert_eq!(store.outbox_backlog().await.unwrap(), 0, "the announcement is finished, as failed");
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["card_failed"]);
    assert_eq!(log[0].reason.as_deref(), Some(error));
}

pub async fn retry_card_queues_one_announcement_and_a_card_clears_the_error(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "card me")).await;
    assert!(!store.retry_card(id, MOD_A, ActionSource::Console).await.unwrap(), "a card that did not fail");
    let announce = job_of(&lease_all(&*store).await, id, OutboxKind::Announce);
    store.complete_outbox(&announce, &OutboxResult::CardFailed { error: "refused".into() }).await.unwrap();

    assert!(store.retry_card(id, MOD_A, ActionSource::Console).await.unwrap());
    assert!(!store.retry_card(id, MOD_A, ActionSource::Console).await.unwrap(), "queued once");
    assert_eq!(post(&*store, id).await.card_error, None, "the error is cleared while it is resent");
    let again = lease_all(&*store).await;
    assert_eq!(again.len(), 1);
    let resend = job_of(&again, id, OutboxKind::Announce);
    assert_ne!(resend.id, announce.id, "a new announcement");
    store.complete_outbox(&resend, &OutboxResult::Announced { card_message_id: 77 }).await.unwrap();
    let stored = post(&*store, id).await;
    assert_eq!((stored.card_error, stored.moderation_message_id), (None, Some(77)));
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["retry_card", "card_failed"]);
    assert_eq!(log[0].moderator_id, Some(MOD_A));
    assert!(!store.retry_card(postgate::domain::PostId(9_999), MOD_A, ActionSource::Console).await.unwrap());
}

pub async fn progress_of_a_job_comes_back_with_it(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "several parts")).await;
    lease_all(&*store).await;
    store.decide(&approve(id, MOD_A)).await.unwrap();
    let publish = job_of(&lease_all(&*store).await, id, OutboxKind::Publish);
    assert!(publish.sent_parts().is_empty());
    store.record_outbox_progress(&publish, &[501]).await.unwrap();
    store.record_outbox_progress(&publish, &[501, 502]).await.unwrap();
    // The worker died: after its lease the job comes back with the parts it sent.
    store.retry_outbox(&publish, "timeout", 0, Delivery::NotSent).await.unwrap();
    let again = job_of(&lease_all(&*store).await, id, OutboxKind::Publish);
    assert_eq!(again.id, publish.id);
    assert_eq!(again.sent_parts(), [501, 502]);
    assert_eq!(post(&*store, id).await.status, PostStatus::Approved, "progress is not a publication");
}

pub async fn a_failure_after_the_publication_finishes_its_job(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "published elsewhere")).await;
    lease_all(&*store).await;
    store.decide(&approve(id, MOD_A)).await.unwrap();
    let jobs = lease_all(&*store).await;
    let publish = job_of(&jobs, id, OutboxKind::Publish);
    // Another worker published it (a lease that ran out), then this one's failure arrives.
    store.complete_outbox(&publish, &OutboxResult::Published { channel_message_id: 5 }).await.unwrap();
    store.complete_outbox(&publish, &OutboxResult::PublishFailed { error: "late".into() }).await.unwrap();
    assert_eq!(post(&*store, id).await.status, PostStatus::Published);
    let left = lease_all(&*store).await;
    assert!(left.iter().all(|j| j.kind != OutboxKind::Publish), "the publish job is not handed out again: {left:?}");
}
