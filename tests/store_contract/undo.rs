//! Contract: undoing a rejection — the post is pending and undecided again, its held notice is
//! withdrawn unsent (or a "back in review" notice queued once the author was told), its card
//! updated, a log row written; a ban given with the rejection is lifted, an older one is not.

use std::sync::Arc;

use chrono::{Duration, Utc};
use postgate::domain::{ActionSource, PostId, PostStatus, UserId};
use postgate::store::{BACK_IN_REVIEW, OutboxKind, OutboxResult, Store, UndoOutcome, UndoRejection};

use crate::common::{MOD_A, MOD_B, text_post};
use crate::fixtures::{actions, ban_request, decided, job_of, kinds_for, lease_all, post, reject_for, submit};

fn undo_by(post_id: PostId, moderator: UserId) -> UndoRejection {
    UndoRejection { post_id, moderator, source: ActionSource::Console }
}

/// A pending post of author `author` whose announcement was taken.
async fn pending(store: &dyn Store, author: i64, message_id: i32) -> PostId {
    let id = submit(store, &text_post(author, message_id, "a post")).await;
    lease_all(store).await;
    id
}

pub async fn an_undo_inside_the_window_withdraws_the_notice_unsent(store: Arc<dyn Store>) {
    let id = pending(&*store, 41, 1).await;
    let held = Utc::now() + Duration::minutes(10);
    decided(store.decide_at(&reject_for(id, MOD_A, "not now", false), Some(held)).await.unwrap());
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::UpdateCard], "the notice is held");

    let outcome = store.undo_rejection(&undo_by(id, MOD_A)).await.unwrap();
    assert_eq!(outcome, UndoOutcome::Undone { author_told: false, ban_lifted: false });
    let back = post(&*store, id).await;
    assert_eq!((back.status, back.decided_by, back.decided_at), (PostStatus::Pending, None, None));
    assert!(back.reject_reason.is_none(), "{:?}", back.reject_reason);
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::UpdateCard], "only the card is redrawn");
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["return_to_queue", "reject"], "newest first");
    assert_eq!(log[0].moderator_id, Some(MOD_A));
    assert_eq!(log[0].details["from"], "rejected");
    assert_eq!(log[0].details["author_told"], false);
    assert_eq!(store.pending_count_of(UserId(41)).await.unwrap(), 1);
    // Undecided again: it can be decided anew, and that rejection is told.
    decided(store.decide(&reject_for(id, MOD_B, "really not", false)).await.unwrap());
    let jobs = lease_all(&*store).await;
    assert_eq!(kinds_for(&jobs, id), [OutboxKind::NotifyAuthor, OutboxKind::UpdateCard]);
}

pub async fn an_undo_after_the_author_was_told_queues_back_in_review(store: Arc<dyn Store>) {
    let id = pending(&*store, 42, 1).await;
    decided(store.decide(&reject_for(id, MOD_A, "not now", false)).await.unwrap());
    let jobs = lease_all(&*store).await;
    let notice = job_of(&jobs, id, OutboxKind::NotifyAuthor);
    store.complete_outbox(&notice, &OutboxResult::Done).await.unwrap();
    for job in jobs.iter().filter(|j| j.id != notice.id) {
        store.complete_outbox(job, &OutboxResult::Done).await.unwrap();
    }

    let outcome = store.undo_rejection(&undo_by(id, MOD_A)).await.unwrap();
    assert_eq!(outcome, UndoOutcome::Undone { author_told: true, ban_lifted: false });
    let jobs = lease_all(&*store).await;
    assert_eq!(kinds_for(&jobs, id), [OutboxKind::NotifyAuthor, OutboxKind::UpdateCard]);
    let again = job_of(&jobs, id, OutboxKind::NotifyAuthor);
    assert_eq!(again.payload["notice"], BACK_IN_REVIEW, "{:?}", again.payload);
    assert_eq!(store.moderation_log(Some(id), 1).await.unwrap()[0].details["author_told"], true);
}

pub async fn a_notice_being_sent_counts_as_told(store: Arc<dyn Store>) {
    let id = pending(&*store, 43, 1).await;
    decided(store.decide(&reject_for(id, MOD_A, "not now", false)).await.unwrap());
    // Leased by the worker: it may reach the author whatever happens now.
    let jobs = lease_all(&*store).await;
    job_of(&jobs, id, OutboxKind::NotifyAuthor);
    let outcome = store.undo_rejection(&undo_by(id, MOD_A)).await.unwrap();
    assert_eq!(outcome, UndoOutcome::Undone { author_told: true, ban_lifted: false });
}

pub async fn the_ban_given_with_the_rejection_is_lifted_an_older_one_is_not(store: Arc<dyn Store>) {
    let id = pending(&*store, 44, 1).await;
    let held = Utc::now() + Duration::minutes(10);
    decided(store.decide_at(&reject_for(id, MOD_A, "scam", true), Some(held)).await.unwrap());
    assert!(store.ban_of(UserId(44)).await.unwrap().is_some());
    let outcome = store.undo_rejection(&undo_by(id, MOD_A)).await.unwrap();
    assert_eq!(outcome, UndoOutcome::Undone { author_told: false, ban_lifted: true });
    assert!(store.ban_of(UserId(44)).await.unwrap().is_none(), "the ban went with the rejection");
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    let mut logged = actions(&log);
    logged.sort_unstable();
    assert_eq!(logged, ["ban", "reject", "return_to_queue", "unban"]);

    // Banned before, by someone else: undoing the rejection leaves that ban alone.
    let other = pending(&*store, 45, 2).await;
    store.ban(&ban_request(UserId(45), MOD_B, "earlier")).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await; // the ban is strictly older
    decided(store.decide_at(&reject_for(other, MOD_A, "scam", true), Some(held)).await.unwrap());
    let outcome = store.undo_rejection(&undo_by(other, MOD_A)).await.unwrap();
    assert_eq!(outcome, UndoOutcome::Undone { author_told: false, ban_lifted: false });
    assert!(store.ban_of(UserId(45)).await.unwrap().is_some(), "the older ban stays");
}

pub async fn only_a_rejected_post_is_undone(store: Arc<dyn Store>) {
    let id = pending(&*store, 46, 1).await;
    assert_eq!(store.undo_rejection(&undo_by(id, MOD_A)).await.unwrap(), UndoOutcome::NotRejected);
    assert_eq!(store.undo_rejection(&undo_by(PostId(9_999_999), MOD_A)).await.unwrap(), UndoOutcome::NotFound);
    decided(store.decide(&reject_for(id, MOD_A, "no", false)).await.unwrap());
    store.undo_rejection(&undo_by(id, MOD_A)).await.unwrap();
    // Twice: the second finds it pending.
    assert_eq!(store.undo_rejection(&undo_by(id, MOD_A)).await.unwrap(), UndoOutcome::NotRejected);
    assert_eq!(actions(&store.moderation_log(Some(id), 10).await.unwrap()), ["return_to_queue", "reject"]);
}
