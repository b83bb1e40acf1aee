//! The conversation with the author through the trait (issue #17 part 1): a request for
//! changes makes the post `changes_requested` (its own filter, out of the pending count), the
//! thread keeps both sides in order with their delivery, the author's answer or revision
//! brings the post back to pending (a revision replaces the content and its version), the
//! author withdraws, unanswered requests expire, and a banned author's message is not taken.

use std::sync::Arc;

use chrono::{Duration, Utc};
use postgate::domain::{ActionSource, MediaKind, PostId, PostStatus, RejectReason, UserId};
use postgate::store::{
    BanRequest, DeliveryResult, FromAuthor, FromAuthorOutcome, OutboxKind, PostQuery, Revision, Store, ThreadDelivery,
    ThreadDirection, ThreadKind, ToAuthor, ToAuthorOutcome, WithdrawOutcome,
};

use crate::common::{CHAT, MOD_A, approve, media, text_post};
use crate::fixtures::{actions, decided, edit, lease_all, post, submit};

const AUTHOR: i64 = 4242;

fn ask(post_id: PostId, body: &str) -> ToAuthor {
    ToAuthor { post_id, moderator: MOD_A, source: ActionSource::Console, body: body.into(), request: true }
}

fn answer(post_id: PostId, message: i32, body: &str) -> FromAuthor {
    FromAuthor { post_id, author: UserId(AUTHOR), telegram_message_id: message, body: body.into(), revision: None }
}

fn queued(outcome: ToAuthorOutcome) -> i64 {
    match outcome {
        ToAuthorOutcome::Queued { message_id, .. } => message_id,
        other => panic!("expected Queued, got {other:?}"),
    }
}

async fn listed(store: &dyn Store, status: PostStatus) -> Vec<PostId> {
    let query = PostQuery { status: Some(status), ..PostQuery::default() };
    store.list_posts(&query).await.unwrap().posts.iter().map(|p| p.id).collect()
}

pub async fn a_request_for_changes_is_its_own_status_and_queues_the_message(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "черновик")).await;
    let other = submit(&*store, &text_post(AUTHOR, 2, "другой")).await;
    lease_all(&*store).await; // the announcements
    let message = queued(store.send_to_author(&ask(id, "Укажите источник")).await.unwrap());

    let stored = post(&*store, id).await;
    assert_eq!(stored.status, PostStatus::ChangesRequested);
    assert!(stored.changes_requested_at.is_some());
    assert_eq!(listed(&*store, PostStatus::ChangesRequested).await, [id]);
    assert_eq!(listed(&*store, PostStatus::Pending).await, [other], "it leaves the pending filter");
    let stats = store.stats().await.unwrap();
    assert_eq!((stats.pending, stats.changes_requested), (1, 1), "and the pending count");

    let jobs = lease_all(&*store).await;
    let notify: Vec<_> = jobs.iter().filter(|j| j.post_id == Some(id) && j.kind == OutboxKind::NotifyAuthor).collect();
    assert_eq!(notify.len(), 1, "{jobs:?}");
    assert_eq!(notify[0].payload["thread_message"], serde_json::json!(message));
    assert!(jobs.iter().any(|j| j.post_id == Some(id) && j.kind == OutboxKind::UpdateCard), "the card is refreshed");

    let thread = store.thread(id).await.unwrap();
    assert_eq!(thread.len(), 1);
    let m = &thread[0];
    assert_eq!(
        (m.id, m.direction, m.kind, m.delivery),
        (message, ThreadDirection::ToAuthor, ThreadKind::Request, ThreadDelivery::Queued)
    );
    assert_eq!((m.moderator_id, m.body.as_str()), (Some(MOD_A), "Укажите источник"));
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["request_changes"]);
    assert_eq!(log[0].details["text"], "Укажите источник");
}

pub async fn changes_are_asked_only_of_a_post_waiting_for_a_decision(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "x")).await;
    decided(store.decide(&approve(id, MOD_A)).await.unwrap());
    match store.send_to_author(&ask(id, "late")).await.unwrap() {
        ToAuthorOutcome::NotOpen { status } => assert_eq!(status, PostStatus::Approved),
        other => panic!("{other:?}"),
    }
    assert!(matches!(store.send_to_author(&ask(PostId(999_999), "x")).await.unwrap(), ToAuthorOutcome::NotFound));
    // A free message goes to the author of any post, decided or not.
    let free = ToAuthor { request: false, ..ask(id, "Спасибо за пост") };
    queued(store.send_to_author(&free).await.unwrap());
    assert_eq!(post(&*store, id).await.status, PostStatus::Approved);
    assert_eq!(actions(&store.moderation_log(Some(id), 1).await.unwrap()), ["message_author"]);
}

pub async fn the_thread_keeps_both_sides_in_order_with_their_delivery(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "x")).await;
    let asked = queued(store.send_to_author(&ask(id, "first")).await.unwrap());
    store.thread_delivered(asked, &DeliveryResult::Sent { telegram_message_id: 501 }).await.unwrap();
    let FromAuthorOutcome::Attached { reopened, post: p } =
        store.author_message(&answer(id, 7, "ответ")).await.unwrap()
    else {
        panic!("attached")
    };
    assert!(reopened);
    assert_eq!((p.status, p.body.as_str()), (PostStatus::Pending, "x"), "an answer keeps the content");
    let free = ToAuthor { request: false, ..ask(id, "second") };
    let blocked = queued(store.send_to_author(&free).await.unwrap());
    let error = "Forbidden: bot was blocked by the user".to_owned();
    store.thread_delivered(blocked, &DeliveryResult::Undelivered { error: error.clone() }).await.unwrap();

    let thread = store.thread(id).await.unwrap();
    let seen: Vec<_> = thread.iter().map(|m| (m.direction, m.kind, m.delivery, m.body.as_str())).collect();
    assert_eq!(
        seen,
        [
            (ThreadDirection::ToAuthor, ThreadKind::Request, ThreadDelivery::Sent, "first"),
            (ThreadDirection::FromAuthor, ThreadKind::Answer, ThreadDelivery::Received, "ответ"),
            (ThreadDirection::ToAuthor, ThreadKind::Message, ThreadDelivery::Undelivered, "second"),
        ]
    );
    assert_eq!(thread[0].telegram_message_id, Some(501));
    assert_eq!(thread[1].telegram_message_id, Some(7));
    assert_eq!(thread[2].error.as_deref(), Some(error.as_str()));
    assert!(thread.windows(2).all(|w| w[0].created_at <= w[1].created_at));
    // A redelivery of the author's message is attached once.
    assert!(matches!(store.author_message(&answer(id, 7, "ответ")).await.unwrap(), FromAuthorOutcome::Duplicate));
    assert_eq!(store.thread(id).await.unwrap().len(), 3);
}

pub async fn a_revision_replaces_the_content_and_its_version(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "old text")).await;
    let before = post(&*store, id).await.content_version();
    queued(store.send_to_author(&ask(id, "add a photo")).await.unwrap());
    let revision = Revision {
        body: "new caption".into(),
        entities: serde_json::json!([]),
        media: vec![media(MediaKind::Photo, 9)],
    };
    let message = FromAuthor { revision: Some(revision), ..answer(id, 9, "new caption") };
    let FromAuthorOutcome::Attached { post: p, reopened } = store.author_message(&message).await.unwrap() else {
        panic!("attached")
    };
    assert!(reopened);
    assert_eq!((p.status, p.body.as_str(), p.edited_by_author), (PostStatus::Pending, "new caption", true));
    assert_eq!(p.media.len(), 1);
    assert_eq!(p.media[0].file_id, "file-9");
    assert_ne!(p.content_version(), before, "old approve buttons go stale");
    assert_eq!(post(&*store, id).await.content_version(), p.content_version());
    assert_eq!(listed(&*store, PostStatus::Pending).await, [id]);
    assert_eq!(actions(&store.moderation_log(Some(id), 1).await.unwrap()), ["revised"]);
    let jobs = lease_all(&*store).await;
    assert!(
        jobs.iter().any(|j| j.post_id == Some(id) && j.kind == OutboxKind::Fingerprint),
        "new media are fingerprinted"
    );
    let query = PostQuery { search: Some("NEW CAPTION".into()), ..PostQuery::default() };
    assert_eq!(store.list_posts(&query).await.unwrap().total, 1, "search reads the new text");
}

pub async fn the_author_withdraws_a_post_waiting_for_a_decision(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "x")).await;
    queued(store.send_to_author(&ask(id, "?")).await.unwrap());
    assert!(matches!(store.withdraw(id, UserId(AUTHOR + 1)).await.unwrap(), WithdrawOutcome::NotFound), "not theirs");
    let WithdrawOutcome::Withdrawn { post: p } = store.withdraw(id, UserId(AUTHOR)).await.unwrap() else {
        panic!("withdrawn")
    };
    assert_eq!((p.status, p.reject_reason), (PostStatus::Rejected, Some(RejectReason::withdrawn())));
    assert_eq!(p.changes_requested_at, None);
    assert!(matches!(store.withdraw(id, UserId(AUTHOR)).await.unwrap(), WithdrawOutcome::Closed { .. }));
    assert_eq!(actions(&store.moderation_log(Some(id), 1).await.unwrap()), ["withdraw"]);
    // A decided post takes answers into its thread, unchanged; never a new version.
    let FromAuthorOutcome::Attached { post: p, reopened } = store.author_message(&answer(id, 3, "ok")).await.unwrap()
    else {
        panic!("an answer joins a decided post's thread")
    };
    assert_eq!((p.status, reopened), (PostStatus::Rejected, false));
    let revision = Revision { body: "late".into(), entities: serde_json::json!([]), media: Vec::new() };
    let late = FromAuthor { revision: Some(revision), ..answer(id, 4, "late") };
    assert!(matches!(store.author_message(&late).await.unwrap(), FromAuthorOutcome::Closed { .. }));
    assert_eq!(post(&*store, id).await.body, "x");
}

pub async fn unanswered_requests_expire_and_answered_ones_do_not(store: Arc<dyn Store>) {
    let silent = submit(&*store, &text_post(AUTHOR, 1, "silent")).await;
    let answered = submit(&*store, &text_post(AUTHOR, 2, "answered")).await;
    queued(store.send_to_author(&ask(silent, "?")).await.unwrap());
    queued(store.send_to_author(&ask(answered, "?")).await.unwrap());
    store.author_message(&answer(answered, 5, "here")).await.unwrap();
    lease_all(&*store).await;
    assert!(store.expire_change_requests(Utc::now() - Duration::hours(1), 10).await.unwrap().is_empty(), "not yet");

    let expired = store.expire_change_requests(Utc::now() + Duration::seconds(1), 10).await.unwrap();
    assert_eq!(expired, [silent]);
    let p = post(&*store, silent).await;
    assert_eq!(
        (p.status, p.reject_reason, p.decided_by),
        (PostStatus::Rejected, Some(RejectReason::no_answer()), Some(MOD_A))
    );
    assert_eq!(post(&*store, answered).await.status, PostStatus::Pending);
    let log = store.moderation_log(Some(silent), 1).await.unwrap();
    assert_eq!((actions(&log), log[0].source.as_str()), (vec!["changes_expired"], "system"));
    let jobs = lease_all(&*store).await;
    let mut kinds: Vec<_> = jobs.iter().filter(|j| j.post_id == Some(silent)).map(|j| j.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["notify_author", "update_card"], "the author is told, the card redrawn");
    assert!(store.expire_change_requests(Utc::now() + Duration::hours(1), 10).await.unwrap().is_empty(), "once");
}

pub async fn a_banned_authors_message_is_not_attached(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "x")).await;
    queued(store.send_to_author(&ask(id, "?")).await.unwrap());
    let ban = BanRequest {
        user: UserId(AUTHOR),
        moderator: MOD_A,
        source: ActionSource::Console,
        reason: "spam".into(),
        post: None,
    };
    store.ban(&ban).await.unwrap();
    assert!(matches!(store.author_message(&answer(id, 5, "hi")).await.unwrap(), FromAuthorOutcome::Banned));
    assert_eq!(store.thread(id).await.unwrap().len(), 1);
    assert_eq!(post(&*store, id).await.status, PostStatus::ChangesRequested);
}

pub async fn a_message_finds_its_post_by_reply_or_by_the_open_request(store: Arc<dyn Store>) {
    let first = submit(&*store, &text_post(AUTHOR, 1, "a")).await;
    let second = submit(&*store, &text_post(AUTHOR, 2, "b")).await;
    let asked = queued(store.send_to_author(&ask(first, "?")).await.unwrap());
    store.thread_delivered(asked, &DeliveryResult::Sent { telegram_message_id: 700 }).await.unwrap();
    let since = Utc::now() - Duration::minutes(5);
    assert_eq!(store.thread_target(CHAT, Some(700), since).await.unwrap(), Some(first), "by reply");
    assert_eq!(store.thread_target(CHAT + 1, Some(700), since).await.unwrap(), None, "another chat");
    assert_eq!(store.thread_target(CHAT, None, since).await.unwrap(), Some(first), "the open request");
    assert_eq!(
        store.thread_target(CHAT, None, Utc::now() + Duration::minutes(5)).await.unwrap(),
        None,
        "outside the window"
    );
    queued(store.send_to_author(&ask(second, "?")).await.unwrap());
    assert_eq!(store.thread_target(CHAT, None, since).await.unwrap(), Some(second), "the latest request");
    decided(store.decide(&approve(first, MOD_A)).await.unwrap());
    assert_eq!(post(&*store, first).await.changes_requested_at, None, "a decision closes the request");
    let later = Utc::now() + Duration::minutes(5);
    assert_eq!(
        store.thread_target(CHAT, Some(700), later).await.unwrap(),
        Some(first),
        "a reply finds a decided post too"
    );
    assert_eq!(store.thread_target(CHAT, None, later).await.unwrap(), None, "no request open since");
}

pub async fn an_edit_of_a_post_asked_for_changes_is_its_new_version(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "old")).await;
    store.author_edit(&edit(1, "edited before any request")).await.unwrap();
    assert!(store.thread(id).await.unwrap().is_empty(), "an edit alone is not a thread message");
    queued(store.send_to_author(&ask(id, "shorter")).await.unwrap());
    store.author_edit(&edit(1, "short")).await.unwrap();
    let p = post(&*store, id).await;
    assert_eq!((p.status, p.body.as_str(), p.changes_requested_at), (PostStatus::Pending, "short", None));
    let thread = store.thread(id).await.unwrap();
    assert_eq!(
        (thread[1].direction, thread[1].kind, thread[1].body.as_str()),
        (ThreadDirection::FromAuthor, ThreadKind::Revision, "short")
    );
    assert_eq!(actions(&store.moderation_log(Some(id), 1).await.unwrap()), ["revised"]);
    // Edited again while pending: the content changes, the thread does not.
    store.author_edit(&edit(1, "shorter")).await.unwrap();
    assert_eq!(store.thread(id).await.unwrap().len(), 2);
}
