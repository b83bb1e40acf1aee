//! Contract: an approval names the version of the content its moderator saw — an author's edit
//! since (of the text or only of its entities) refuses it as `Changed` with the version now,
//! and nothing is written; bulk approval takes only posts their authors never edited; the
//! version a decision checks is the one every read gives (media included).

use std::sync::Arc;

use postgate::domain::{ContentVersion, MediaKind, PostStatus, Seen};
use postgate::store::{AuthorEditOutcome, DecideOutcome, DecisionKind, OutboxKind, Store};

use crate::common::{MOD_A, album_post, text_post};
use crate::fixtures::{decided, decision, edit, kinds_for, lease_all, post, submit};

fn approve_seen(version: ContentVersion) -> DecisionKind {
    DecisionKind::ApproveSeen { seen: Seen::Version(version), edited_body: None }
}

pub async fn an_approval_of_a_version_the_author_changed_since_is_refused(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(5, 1, "harmless offer")).await;
    lease_all(&*store).await;
    let read = post(&*store, id).await.content_version();

    assert_eq!(store.author_edit(&edit(1, "scam offer")).await.unwrap(), AuthorEditOutcome::Updated(id));
    let now = post(&*store, id).await.content_version();
    assert_ne!(read, now);
    let outcome = store.decide(&decision(id, MOD_A, approve_seen(read.clone()))).await.unwrap();
    assert!(matches!(&outcome, DecideOutcome::Changed { version } if *version == now), "{outcome:?}");
    // An edited approval of the old version is refused the same way.
    let edited = DecisionKind::ApproveSeen { seen: Seen::Version(read), edited_body: Some("mine".into()) };
    let outcome = store.decide(&decision(id, MOD_A, edited)).await.unwrap();
    assert!(matches!(outcome, DecideOutcome::Changed { .. }), "{outcome:?}");

    let stored = post(&*store, id).await;
    assert_eq!((stored.status, stored.body.as_str(), stored.decided_by), (PostStatus::Pending, "scam offer", None));
    assert!(store.moderation_log(Some(id), 10).await.unwrap().is_empty(), "nothing logged");
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::UpdateCard], "only the edit's card update");

    // The version now is approved, and published as read.
    let approved = decided(store.decide(&decision(id, MOD_A, approve_seen(now))).await.unwrap());
    assert_eq!((approved.status, approved.body.as_str()), (PostStatus::Approved, "scam offer"));
}

pub async fn an_edit_of_the_links_alone_changes_the_version(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(5, 2, "our page")).await;
    let read = post(&*store, id).await.content_version();
    let mut relink = edit(2, "our page");
    relink.entities =
        serde_json::json!([{ "type": "text_link", "offset": 4, "length": 4, "url": "https://scam.example" }]);
    assert_eq!(store.author_edit(&relink).await.unwrap(), AuthorEditOutcome::Updated(id));
    let outcome = store.decide(&decision(id, MOD_A, approve_seen(read))).await.unwrap();
    assert!(matches!(outcome, DecideOutcome::Changed { .. }), "same text, new link target: {outcome:?}");
    assert_eq!(post(&*store, id).await.status, PostStatus::Pending);
}

pub async fn bulk_approval_takes_only_posts_never_edited(store: Arc<dyn Store>) {
    let untouched = submit(&*store, &text_post(5, 3, "as sent")).await;
    let edited = submit(&*store, &text_post(6, 4, "first")).await;
    store.author_edit(&edit(4, "second")).await.unwrap();
    let bulk = || DecisionKind::ApproveSeen { seen: Seen::NeverEdited, edited_body: None };
    let outcome = store.decide(&decision(edited, MOD_A, bulk())).await.unwrap();
    let now = post(&*store, edited).await.content_version();
    assert!(matches!(&outcome, DecideOutcome::Changed { version } if *version == now), "{outcome:?}");
    assert_eq!(post(&*store, edited).await.status, PostStatus::Pending);
    assert_eq!(decided(store.decide(&decision(untouched, MOD_A, bulk())).await.unwrap()).status, PostStatus::Approved);
}

pub async fn the_version_a_decision_checks_is_the_one_reads_give(store: Arc<dyn Store>) {
    let kinds = [MediaKind::Photo, MediaKind::Video];
    let id = submit(&*store, &album_post(7, 30, "album", &kinds)).await;
    let read = post(&*store, id).await;
    assert_eq!(read.media.len(), 2);
    let listed = store.posts(&[id]).await.unwrap().pop().unwrap();
    assert_eq!(listed.content_version(), read.content_version(), "post and posts agree");
    let approved = decided(store.decide(&decision(id, MOD_A, approve_seen(read.content_version()))).await.unwrap());
    assert_eq!(approved.content_version(), read.content_version(), "approving changes no content");
}
