//! Contract: `decide` — approve (as is or edited), reject with a reason, reject-and-ban, retry
//! a failed publication; a post no longer pending is not changed; another moderator's claim
//! blocks; and a post is decided exactly once however many decisions race.

use std::sync::Arc;

use postgate::domain::{ActionSource, PostId, PostStatus, RejectReason, UserId};
use postgate::store::{DecideOutcome, DecisionKind, OutboxKind, OutboxResult, Refusal, Store, SubmitOutcome};

use crate::common::{MOD_A, MOD_B, approve, reject, text_post};
use crate::fixtures::{actions, decided, decision, job_of, kinds_for, lease_all, post, reject_for, submit};

/// A post from author 5, its announcement already taken off the outbox.
async fn pending(store: &dyn Store, message_id: i32) -> PostId {
    let id = submit(store, &text_post(5, message_id, "Hello bold world")).await;
    lease_all(store).await;
    id
}

pub async fn approve_decides_and_queues_the_publication(store: Arc<dyn Store>) {
    let id = pending(&*store, 1).await;
    let post = decided(store.decide(&approve(id, MOD_A)).await.unwrap());
    assert_eq!(post.id, id);
    assert_eq!(post.status, PostStatus::Approved);
    assert_eq!(post.decided_by, Some(MOD_A));
    assert!(post.decided_at.is_some_and(|at| at >= post.created_at));
    assert_eq!(post.body, "Hello bold world");
    assert!(!post.edited_by_moderator);
    assert_eq!(post.reject_reason, None);
    // The returned record is what is stored.
    let stored = crate::fixtures::post(&*store, id).await;
    assert_eq!(serde_json::to_value(&stored).unwrap(), serde_json::to_value(&post).unwrap());

    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["approve"]);
    assert_eq!((log[0].moderator_id, log[0].target_user_id), (Some(MOD_A), Some(UserId(5))));
    assert_eq!((log[0].post_id, log[0].source.as_str()), (Some(id), ActionSource::Console.as_str()));
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::Publish, OutboxKind::UpdateCard]);
}

pub async fn edited_approve_replaces_the_text_and_logs_both_versions(store: Arc<dyn Store>) {
    let mut new = text_post(5, 1, "Hello bold world");
    new.entities = serde_json::json!([{ "type": "bold", "offset": 6, "length": 4 }]);
    let id = submit(&*store, &new).await;
    let kind = DecisionKind::Approve { edited_body: Some("Hello, world".into()) };
    let post = decided(store.decide(&decision(id, MOD_A, kind)).await.unwrap());
    assert_eq!(post.status, PostStatus::Approved);
    assert_eq!(post.body, "Hello, world");
    assert_eq!(post.entities, serde_json::json!([]), "offsets into the old text would be wrong");
    assert!(post.edited_by_moderator);
    assert!(!post.edited_by_author);

    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["edit_approve"]);
    assert_eq!(log[0].details["previous_body"], "Hello bold world");
    assert_eq!(log[0].details["new_body"], "Hello, world");
}

pub async fn reject_keeps_the_reason_and_tells_the_author(store: Arc<dyn Store>) {
    let id = pending(&*store, 1).await;
    let post = decided(store.decide(&reject_for(id, MOD_B, "Не по теме", false)).await.unwrap());
    assert_eq!(post.status, PostStatus::Rejected);
    assert_eq!(post.reject_reason, Some(RejectReason::custom("Не по теме").unwrap()));
    assert_eq!(post.decided_by, Some(MOD_B));
    assert_eq!(store.post(id).await.unwrap().unwrap().reject_reason, post.reject_reason);

    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["reject"]);
    assert_eq!(log[0].reason.as_deref(), Some(RejectReason::custom("Не по теме").unwrap().encode().as_str()));
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::NotifyAuthor, OutboxKind::UpdateCard]);
    assert!(store.ban_of(UserId(5)).await.unwrap().is_none(), "a plain rejection bans nobody");

    // A template reason comes back as the template.
    let other = pending(&*store, 2).await;
    let post = decided(store.decide(&reject(other, MOD_A)).await.unwrap());
    assert_eq!(post.reject_reason, Some(RejectReason::template("spam").unwrap()));
    assert_eq!(post.status, PostStatus::Rejected);
}

pub async fn reject_and_ban_bans_the_author(store: Arc<dyn Store>) {
    let id = pending(&*store, 1).await;
    let post = decided(store.decide(&reject_for(id, MOD_A, "scam", true)).await.unwrap());
    assert_eq!(post.status, PostStatus::Rejected);

    let ban = store.ban_of(UserId(5)).await.unwrap().expect("the author is banned");
    assert_eq!((ban.user_id, ban.banned_by), (UserId(5), Some(MOD_A)));
    assert!(ban.reason.contains("scam"), "the ban keeps the reason: {:?}", ban.reason);
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    let mut logged = actions(&log);
    logged.sort_unstable();
    assert_eq!(logged, ["ban", "reject"], "one log row for each action");
    assert!(store.author(UserId(5)).await.unwrap().unwrap().banned);
    let next = store.submit(&text_post(5, 2, "again")).await.unwrap();
    assert_eq!(next, SubmitOutcome::Refused(Refusal::Banned));
}

pub async fn retry_publish_after_a_failed_publication(store: Arc<dyn Store>) {
    let id = pending(&*store, 1).await;
    // Retrying what never failed is refused.
    let early = store.decide(&decision(id, MOD_B, DecisionKind::RetryPublish)).await.unwrap();
    assert!(matches!(early, DecideOutcome::AlreadyDecided { status: PostStatus::Pending, by: None }), "{early:?}");

    store.decide(&approve(id, MOD_A)).await.unwrap();
    let publish = job_of(&lease_all(&*store).await, id, OutboxKind::Publish);
    store
        .complete_outbox(&publish, &OutboxResult::PublishFailed { error: "CHAT_WRITE_FORBIDDEN".into() })
        .await
        .unwrap();
    assert_eq!(post(&*store, id).await.status, PostStatus::PublishFailed);

    let retried = decided(store.decide(&decision(id, MOD_B, DecisionKind::RetryPublish)).await.unwrap());
    assert_eq!(retried.status, PostStatus::Approved);
    assert_eq!(retried.publish_error, None, "the old error is cleared");
    assert_eq!(retried.decided_by, Some(MOD_A), "the approval still names who approved");
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(log[0].action, "retry_publish");
    assert_eq!(log[0].moderator_id, Some(MOD_B));
    let jobs = lease_all(&*store).await;
    assert!(kinds_for(&jobs, id).contains(&OutboxKind::Publish), "published again: {jobs:?}");

    // Once published, a retry is already decided.
    let again = job_of(&jobs, id, OutboxKind::Publish);
    store.complete_outbox(&again, &OutboxResult::Published { channel_message_id: 42 }).await.unwrap();
    let late = store.decide(&decision(id, MOD_B, DecisionKind::RetryPublish)).await.unwrap();
    assert!(matches!(late, DecideOutcome::AlreadyDecided { status: PostStatus::Published, .. }), "{late:?}");
}

pub async fn a_decided_post_is_already_decided(store: Arc<dyn Store>) {
    let id = pending(&*store, 1).await;
    let first = decided(store.decide(&approve(id, MOD_A)).await.unwrap());
    let backlog = store.outbox_backlog().await.unwrap();

    for second in [reject(id, MOD_B), approve(id, MOD_B), approve(id, MOD_A), reject_for(id, MOD_A, "x", true)] {
        let outcome = store.decide(&second).await.unwrap();
        let DecideOutcome::AlreadyDecided { status, by } = outcome else { panic!("got {outcome:?}") };
        assert_eq!((status, by), (PostStatus::Approved, Some(MOD_A)));
    }
    let stored = post(&*store, id).await;
    assert_eq!(serde_json::to_value(&stored).unwrap(), serde_json::to_value(&first).unwrap(), "nothing changed");
    assert_eq!(store.moderation_log(Some(id), 10).await.unwrap().len(), 1);
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog, "nothing queued");
    assert!(store.ban_of(UserId(5)).await.unwrap().is_none(), "a refused reject-and-ban bans nobody");
}

pub async fn another_moderators_claim_blocks_the_decision(store: Arc<dyn Store>) {
    let id = pending(&*store, 1).await;
    let backlog = store.outbox_backlog().await.unwrap();
    store.claim(id, MOD_A, 60).await.unwrap();
    let blocked = store.decide(&reject(id, MOD_B)).await.unwrap();
    let DecideOutcome::ClaimedByOther { by, until } = blocked else { panic!("got {blocked:?}") };
    assert_eq!(by, MOD_A);
    assert!(until > chrono::Utc::now());
    assert_eq!(post(&*store, id).await.status, PostStatus::Pending);
    assert!(store.moderation_log(Some(id), 10).await.unwrap().is_empty());
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog, "a refused decision queues nothing");

    // The holder decides; the claim goes with the decision.
    let post = decided(store.decide(&approve(id, MOD_A)).await.unwrap());
    assert_eq!((post.claimed_by, post.claim_expires_at), (None, None));
}

pub async fn decide_of_a_missing_post_is_not_found(store: Arc<dyn Store>) {
    assert!(matches!(store.decide(&approve(PostId(12_345), MOD_A)).await.unwrap(), DecideOutcome::NotFound));
    let retry = decision(PostId(12_345), MOD_A, DecisionKind::RetryPublish);
    assert!(matches!(store.decide(&retry).await.unwrap(), DecideOutcome::NotFound));
    assert!(store.moderation_log(None, 10).await.unwrap().is_empty());
}

pub async fn concurrent_decisions_decide_exactly_once(store: Arc<dyn Store>) {
    let id = pending(&*store, 1).await;
    let backlog = store.outbox_backlog().await.unwrap();
    let tasks: Vec<_> = (0..8_i64)
        .map(|i| {
            let store = Arc::clone(&store);
            let moderator = UserId(900_100 + i);
            let d = if i % 2 == 0 { approve(id, moderator) } else { reject_for(id, moderator, "no", i == 3) };
            tokio::spawn(async move { store.decide(&d).await.unwrap() })
        })
        .collect();
    let outcomes: Vec<DecideOutcome> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();

    let winners = outcomes.iter().filter(|o| matches!(o, DecideOutcome::Decided { .. })).count();
    assert_eq!(winners, 1, "exactly one decision applies: {outcomes:?}");
    let stored = post(&*store, id).await;
    for outcome in &outcomes {
        match outcome {
            DecideOutcome::Decided { .. } => {}
            DecideOutcome::AlreadyDecided { status, by } => {
                assert_eq!((*status, *by), (stored.status, stored.decided_by));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(store.moderation_log(Some(id), 100).await.unwrap().iter().filter(|e| e.action != "ban").count(), 1);
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog + 2, "one decision's jobs, once");
}

pub async fn concurrent_retries_of_a_failed_publication_retry_once(store: Arc<dyn Store>) {
    let id = pending(&*store, 1).await;
    store.decide(&approve(id, MOD_A)).await.unwrap();
    let publish = job_of(&lease_all(&*store).await, id, OutboxKind::Publish);
    store.complete_outbox(&publish, &OutboxResult::PublishFailed { error: "timeout".into() }).await.unwrap();
    lease_all(&*store).await;
    let backlog = store.outbox_backlog().await.unwrap();

    let tasks: Vec<_> = (0..6_i64)
        .map(|i| {
            let store = Arc::clone(&store);
            let retry = decision(id, UserId(900_100 + i), DecisionKind::RetryPublish);
            tokio::spawn(async move { store.decide(&retry).await.unwrap() })
        })
        .collect();
    let outcomes: Vec<DecideOutcome> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let retried = outcomes.iter().filter(|o| matches!(o, DecideOutcome::Decided { .. })).count();
    assert_eq!(retried, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            DecideOutcome::Decided { .. } | DecideOutcome::AlreadyDecided { status: PostStatus::Approved, .. }
        )),
        "{outcomes:?}"
    );
    let log = store.moderation_log(Some(id), 100).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "retry_publish").count(), 1);
    let jobs = lease_all(&*store).await;
    assert_eq!(jobs.iter().filter(|j| j.kind == OutboxKind::Publish).count(), 1, "published once: {jobs:?}");
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog + 2, "one retry's jobs");
}
