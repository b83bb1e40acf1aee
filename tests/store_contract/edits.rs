//! Contract: `author_edit` — an edit applies while the post is pending (flagging it and
//! refreshing its card), is too late once it is decided, and is unknown for other messages.

use std::sync::Arc;

use postgate::domain::MediaKind;
use postgate::store::{AuthorEditOutcome, OutboxKind, Store};

use crate::common::{MOD_A, album_post, approve, text_post};
use crate::fixtures::{edit, kinds_for, lease_all, post, reject_for, submit};

pub async fn author_edit_updates_a_pending_post(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 10, "old text")).await;
    lease_all(&*store).await; // the announcement is not what this test looks at
    assert_eq!(store.stats().await.unwrap().edited_pending, 0);

    let mut change = edit(10, "new text");
    change.entities = serde_json::json!([{ "type": "italic", "offset": 0, "length": 3 }]);
    assert_eq!(store.author_edit(&change).await.unwrap(), AuthorEditOutcome::Updated(id));
    let stored = post(&*store, id).await;
    assert_eq!(stored.body, "new text");
    assert_eq!(stored.entities, change.entities);
    assert!(stored.edited_by_author);
    assert!(!stored.edited_by_moderator);
    assert_eq!(stored.status, postgate::domain::PostStatus::Pending);
    assert_eq!(store.stats().await.unwrap().edited_pending, 1);
    // The moderators' card is refreshed.
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::UpdateCard]);

    // A second edit applies as well.
    assert_eq!(store.author_edit(&edit(10, "newer")).await.unwrap(), AuthorEditOutcome::Updated(id));
    assert_eq!(post(&*store, id).await.body, "newer");
}

pub async fn author_edit_of_an_album_part_edits_its_post(store: Arc<dyn Store>) {
    let kinds = [MediaKind::Photo, MediaKind::Photo, MediaKind::Video];
    let id = submit(&*store, &album_post(2, 20, "caption", &kinds)).await;
    // The caption may sit on any message of the album.
    assert_eq!(store.author_edit(&edit(22, "new caption")).await.unwrap(), AuthorEditOutcome::Updated(id));
    let stored = post(&*store, id).await;
    assert_eq!(stored.body, "new caption");
    assert!(stored.edited_by_author);
    assert_eq!(stored.media.len(), 3, "the media are untouched");
}

pub async fn author_edit_after_a_decision_is_too_late(store: Arc<dyn Store>) {
    let approved = submit(&*store, &text_post(3, 30, "approved text")).await;
    let rejected = submit(&*store, &text_post(3, 31, "rejected text")).await;
    store.decide(&approve(approved, MOD_A)).await.unwrap();
    store.decide(&reject_for(rejected, MOD_A, "no", false)).await.unwrap();
    let before = (post(&*store, approved).await, post(&*store, rejected).await);

    assert_eq!(store.author_edit(&edit(30, "too late")).await.unwrap(), AuthorEditOutcome::TooLate(approved));
    assert_eq!(store.author_edit(&edit(31, "too late")).await.unwrap(), AuthorEditOutcome::TooLate(rejected));
    let after = (post(&*store, approved).await, post(&*store, rejected).await);
    assert_eq!((after.0.body.as_str(), after.1.body.as_str()), ("approved text", "rejected text"));
    assert!(!after.0.edited_by_author && !after.1.edited_by_author);
    assert_eq!(after.0.updated_at, before.0.updated_at, "a refused edit writes nothing");
    assert_eq!(after.1.updated_at, before.1.updated_at);
}

pub async fn author_edit_of_an_unknown_message_is_unknown(store: Arc<dyn Store>) {
    assert_eq!(store.author_edit(&edit(999, "x")).await.unwrap(), AuthorEditOutcome::Unknown);
    let id = submit(&*store, &text_post(4, 40, "text")).await;
    assert_eq!(store.author_edit(&edit(41, "x")).await.unwrap(), AuthorEditOutcome::Unknown);
    // The same message id in another chat is another message.
    let mut elsewhere = edit(40, "x");
    elsewhere.source_chat_id += 1;
    assert_eq!(store.author_edit(&elsewhere).await.unwrap(), AuthorEditOutcome::Unknown);
    assert_eq!(post(&*store, id).await.body, "text");
}

pub async fn an_edit_racing_a_decision_lands_before_it_or_is_too_late(store: Arc<dyn Store>) {
    for m in 1..=10 {
        let id = submit(&*store, &text_post(5, m, "original")).await;
        let (edited, decided) = tokio::join!(
            {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.author_edit(&edit(m, "edited")).await.unwrap() })
            },
            {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.decide(&approve(id, MOD_A)).await.unwrap() })
            }
        );
        let (edited, decided) = (edited.unwrap(), decided.unwrap());
        let postgate::store::DecideOutcome::Decided { post: approved } = decided else { panic!("{decided:?}") };
        let stored = post(&*store, id).await;
        assert_eq!(stored.body, approved.body, "what was approved is what is stored");
        match edited {
            // Applied first: the moderator approved the edited text.
            AuthorEditOutcome::Updated(p) => assert_eq!((p, stored.body.as_str()), (id, "edited")),
            AuthorEditOutcome::TooLate(p) => assert_eq!((p, stored.body.as_str()), (id, "original")),
            AuthorEditOutcome::Unknown => panic!("the message is known"),
        }
    }
}
