//! Contract: `moderation_log` — one row per moderator action, newest first, for every post or
//! one, at most `limit` rows.

use std::sync::Arc;

use postgate::domain::{ActionSource, UserId};
use postgate::store::{LogEntry, OutboxKind, OutboxResult, Store};

use crate::common::{MOD_A, MOD_B, approve, text_post};
use crate::fixtures::{actions, ban_request, job_of, lease_all, reject_for, submit};

pub async fn moderation_log_is_newest_first(store: Arc<dyn Store>) {
    assert!(store.moderation_log(None, 10).await.unwrap().is_empty(), "an empty store has no log");
    let first = submit(&*store, &text_post(1, 1, "one")).await;
    let second = submit(&*store, &text_post(2, 2, "two")).await;
    store.decide(&approve(first, MOD_A)).await.unwrap();
    store.ban(&ban_request(UserId(3), MOD_B, "flood")).await.unwrap();
    store.decide(&reject_for(second, MOD_B, "no", false)).await.unwrap();
    store.unban(UserId(3), MOD_A, ActionSource::Console).await.unwrap();

    let log = store.moderation_log(None, 100).await.unwrap();
    assert_eq!(actions(&log), ["unban", "reject", "ban", "approve"]);
    assert!(log.windows(2).all(|w| w[0].created_at >= w[1].created_at), "newest first");
    let ids: std::collections::HashSet<i64> = log.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 4, "every row has its own id");
    let reject: &LogEntry = &log[1];
    assert_eq!(
        (reject.post_id, reject.target_user_id, reject.moderator_id),
        (Some(second), Some(UserId(2)), Some(MOD_B))
    );
    assert!(reject.reason.as_deref().is_some_and(|r| r.contains("no")));
    assert!(log.iter().all(|e| (chrono::Utc::now() - e.created_at).num_seconds().abs() < 60));
}

pub async fn moderation_log_per_post_and_limited(store: Arc<dyn Store>) {
    let mut posts = Vec::new();
    for m in 1..=5 {
        let id = submit(&*store, &text_post(1, m, "p")).await;
        store.decide(&approve(id, MOD_A)).await.unwrap();
        posts.push(id);
    }
    let decided = submit(&*store, &text_post(2, 10, "rejected and banned")).await;
    store.decide(&reject_for(decided, MOD_B, "scam", true)).await.unwrap();

    let one = store.moderation_log(Some(posts[2]), 10).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].post_id, one[0].action.as_str()), (Some(posts[2]), "approve"));
    let both = store.moderation_log(Some(decided), 10).await.unwrap();
    assert_eq!(both.len(), 2, "reject and ban: {both:?}");
    assert!(both.iter().all(|e| e.post_id == Some(decided)));

    let limited = store.moderation_log(None, 3).await.unwrap();
    assert_eq!(limited.len(), 3);
    let all = store.moderation_log(None, 100).await.unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(
        limited.iter().map(|e| e.id).collect::<Vec<_>>(),
        all[..3].iter().map(|e| e.id).collect::<Vec<_>>(),
        "the newest rows"
    );

    // Per post and limited: the newest of that post's rows.
    let publish = job_of(&lease_all(&*store).await, posts[0], OutboxKind::Publish);
    store.complete_outbox(&publish, &OutboxResult::Published { channel_message_id: 1 }).await.unwrap();
    assert_eq!(actions(&store.moderation_log(Some(posts[0]), 10).await.unwrap()), ["published", "approve"]);
    assert_eq!(actions(&store.moderation_log(Some(posts[0]), 1).await.unwrap()), ["published"]);
    assert!(store.moderation_log(Some(postgate::domain::PostId(decided.0 + 1000)), 10).await.unwrap().is_empty());
}
