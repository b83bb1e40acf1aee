//! Contract: `ping`, author profiles (`upsert_author`, `author`, `authors`) with their counts,
//! and the locale an author chose (`locale_override`, `set_locale_override`).

use std::sync::Arc;

use postgate::domain::UserId;
use postgate::store::Store;

use crate::common::{MOD_A, author, text_post};
use crate::fixtures::{ban_request, job_of, lease_all, reject_for, submit};

pub async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
}

pub async fn upsert_author_creates_then_refreshes_the_profile(store: Arc<dyn Store>) {
    let profile = author(11);
    assert!(store.author(profile.id).await.unwrap().is_none(), "an empty store knows nobody");

    store.upsert_author(&profile).await.unwrap();
    let first = store.author(profile.id).await.unwrap().unwrap();
    assert_eq!(first.profile, profile);
    assert_eq!((first.approved, first.rejected, first.pending), (0, 0, 0));
    assert!(!first.banned);
    assert_eq!(first.locale_override, None);

    // Same profile again: nothing changes; a renamed profile replaces the old one.
    store.upsert_author(&profile).await.unwrap();
    assert_eq!(store.author(profile.id).await.unwrap().unwrap().profile, profile);
    let mut renamed = profile.clone();
    renamed.username = None;
    renamed.first_name = "Пётр".into();
    renamed.last_name = None;
    renamed.language_code = Some("en".into());
    store.upsert_author(&renamed).await.unwrap();
    let second = store.author(profile.id).await.unwrap().unwrap();
    assert_eq!(second.profile, renamed);
    assert_eq!(second.created_at, first.created_at, "a refresh keeps the creation time");

    // A submission brings its author's profile too.
    let mut post = text_post(12, 1, "hello");
    post.author.first_name = "Анна".into();
    submit(&*store, &post).await;
    assert_eq!(store.author(UserId(12)).await.unwrap().unwrap().profile, post.author);
}

pub async fn authors_reads_several_and_leaves_unknown_ids_out(store: Arc<dyn Store>) {
    assert!(store.authors(&[]).await.unwrap().is_empty());
    for id in [1, 2, 3] {
        store.upsert_author(&author(id)).await.unwrap();
    }
    submit(&*store, &text_post(2, 1, "one")).await;
    let found = store.authors(&[UserId(3), UserId(404), UserId(2)]).await.unwrap();
    let mut ids: Vec<i64> = found.iter().map(|a| a.profile.id.0).collect();
    ids.sort_unstable();
    assert_eq!(ids, [2, 3], "unknown ids are left out");
    for record in &found {
        let single = store.author(record.profile.id).await.unwrap().unwrap();
        assert_eq!(serde_json::to_value(record).unwrap(), serde_json::to_value(&single).unwrap());
    }
    assert_eq!(found.iter().find(|a| a.profile.id == UserId(2)).unwrap().pending, 1);
}

pub async fn author_counts_follow_the_decisions(store: Arc<dyn Store>) {
    let id = UserId(21);
    let mut ids = Vec::new();
    for m in 1..=5 {
        ids.push(submit(&*store, &text_post(id.0, m, &format!("post {m}"))).await);
    }
    // Another author's posts never count.
    submit(&*store, &text_post(22, 100, "someone else")).await;
    store.decide(&crate::common::approve(ids[0], MOD_A)).await.unwrap();
    store.decide(&crate::common::approve(ids[1], MOD_A)).await.unwrap();
    store.decide(&reject_for(ids[2], MOD_A, "no", false)).await.unwrap();
    // A published post still counts as approved.
    let publish = job_of(&lease_all(&*store).await, ids[1], postgate::store::OutboxKind::Publish);
    store.complete_outbox(&publish, &postgate::store::OutboxResult::Published { channel_message_id: 5 }).await.unwrap();

    let record = store.author(id).await.unwrap().unwrap();
    assert_eq!((record.approved, record.rejected, record.pending), (2, 1, 2));
    assert!(!record.banned);
    store.ban(&ban_request(id, MOD_A, "spam")).await.unwrap();
    assert!(store.author(id).await.unwrap().unwrap().banned, "the banned flag follows the ban list");
    store.unban(id, MOD_A, postgate::domain::ActionSource::Console).await.unwrap();
    assert!(!store.author(id).await.unwrap().unwrap().banned);
}

pub async fn locale_override_is_set_and_cleared(store: Arc<dyn Store>) {
    let id = UserId(31);
    assert_eq!(store.locale_override(UserId(404)).await.unwrap(), None, "unknown user");
    store.upsert_author(&author(id.0)).await.unwrap();
    assert_eq!(store.locale_override(id).await.unwrap(), None, "none chosen yet");

    store.set_locale_override(id, Some("en")).await.unwrap();
    assert_eq!(store.locale_override(id).await.unwrap().as_deref(), Some("en"));
    assert_eq!(store.author(id).await.unwrap().unwrap().locale_override.as_deref(), Some("en"));
    // A profile refresh (every update refreshes it) keeps the choice.
    let mut refreshed = author(id.0);
    refreshed.language_code = Some("de".into());
    store.upsert_author(&refreshed).await.unwrap();
    submit(&*store, &text_post(id.0, 1, "hi")).await;
    assert_eq!(store.locale_override(id).await.unwrap().as_deref(), Some("en"));

    store.set_locale_override(id, Some("ru")).await.unwrap();
    assert_eq!(store.locale_override(id).await.unwrap().as_deref(), Some("ru"));
    store.set_locale_override(id, None).await.unwrap();
    assert_eq!(store.locale_override(id).await.unwrap(), None, "cleared");
}
