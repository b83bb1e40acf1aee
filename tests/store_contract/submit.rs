//! Contract: `submit_with` / `submit` storing submissions — a new post, its media in order, a
//! later album part joining its post, and redeliveries that change nothing.

use std::collections::HashSet;
use std::sync::Arc;

use postgate::domain::{MediaKind, PostId, PostStatus, UserId};
use postgate::store::{NewPost, OutboxKind, PostQuery, Store, SubmitOutcome};

use crate::common::{CHAT, MOD_A, album_post, approve, media, text_post};
use crate::fixtures::{kinds_for, lease_all, post, submit};

/// Part `message_id` of album `group` from author 1: one photo, with `caption`.
fn album_part(group: &str, message_id: i32, caption: &str) -> NewPost {
    let mut part = text_post(1, message_id, caption);
    part.media_group_id = Some(group.into());
    part.media = vec![media(MediaKind::Photo, message_id)];
    part
}

pub async fn a_text_submission_is_created_pending(store: Arc<dyn Store>) {
    let mut new = text_post(7, 70, "Hello bold world");
    new.entities = serde_json::json!([{ "type": "bold", "offset": 6, "length": 4 }]);
    let outcome = store.submit(&new).await.unwrap();
    let SubmitOutcome::Created(id) = outcome else { panic!("expected Created, got {outcome:?}") };
    assert_eq!(outcome.post_id(), Some(id));

    let stored = post(&*store, id).await;
    assert_eq!(stored.id, id);
    assert_eq!(stored.author, new.author);
    assert_eq!((stored.source_chat_id, stored.source_message_id), (CHAT, 70));
    assert_eq!(stored.media_group_id, None);
    assert_eq!(stored.body, "Hello bold world");
    assert_eq!(stored.entities, new.entities, "entities are kept exactly as sent");
    assert_eq!(stored.status, PostStatus::Pending);
    assert!(!stored.edited_by_author && !stored.edited_by_moderator);
    assert_eq!((stored.reject_reason, stored.decided_by, stored.decided_at), (None, None, None));
    assert_eq!((stored.publish_error, stored.published_at, stored.channel_message_id), (None, None, None));
    assert_eq!((stored.moderation_message_id, stored.claimed_by, stored.claim_expires_at), (None, None, None));
    assert_eq!(stored.duplicate_of, None);
    assert!(stored.media.is_empty());
    assert!(stored.updated_at >= stored.created_at);
    assert!((chrono::Utc::now() - stored.created_at).num_seconds().abs() < 60, "created now");

    assert_eq!(store.pending_count_of(UserId(7)).await.unwrap(), 1);
    assert!(store.author(UserId(7)).await.unwrap().is_some(), "the author is stored with the post");
    // Its announcement to the moderators is queued with it.
    assert_eq!(store.outbox_backlog().await.unwrap(), 1);
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::Announce]);
}

pub async fn media_are_stored_in_order(store: Arc<dyn Store>) {
    let kinds = [MediaKind::Photo, MediaKind::Video, MediaKind::Photo];
    let album = submit(&*store, &album_post(2, 20, "three", &kinds)).await;
    let stored = post(&*store, album).await;
    assert_eq!(stored.media_group_id.as_deref(), Some("group-20"));
    assert_eq!(stored.media.iter().map(|m| m.position).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(stored.media.iter().map(|m| m.kind).collect::<Vec<_>>(), kinds);
    let first = &stored.media[0];
    assert_eq!((first.file_id.as_str(), first.file_unique_id.as_str()), ("file-20", "uniq-20"));
    assert_eq!((first.file_size, first.sha256.as_deref()), (Some(1024), None));
    assert_eq!(stored.media[2].file_id, "file-22");

    let mut document = album_post(2, 30, "a file", &[MediaKind::Document]);
    document.media[0].file_name = Some("отчёт.pdf".into());
    document.media[0].mime_type = Some("application/pdf".into());
    let single = submit(&*store, &document).await;
    let stored = post(&*store, single).await;
    assert_eq!(stored.media_group_id, None);
    assert_eq!(stored.media[0].file_name.as_deref(), Some("отчёт.pdf"));
    assert_eq!(stored.media[0].mime_type.as_deref(), Some("application/pdf"));

    // Media are fingerprinted (to flag re-posts) as well as announced.
    let jobs = lease_all(&*store).await;
    assert_eq!(kinds_for(&jobs, album), [OutboxKind::Announce, OutboxKind::Fingerprint]);
    assert_eq!(kinds_for(&jobs, single), [OutboxKind::Announce, OutboxKind::Fingerprint]);
}

pub async fn a_later_album_part_joins_its_post(store: Arc<dyn Store>) {
    // Telegram sends an album as one update per part; the caption may come with any part.
    let first = store.submit(&album_part("g", 10, "")).await.unwrap();
    let SubmitOutcome::Created(id) = first else { panic!("first part creates, got {first:?}") };
    assert_eq!(store.submit(&album_part("g", 11, "the caption")).await.unwrap(), SubmitOutcome::AlbumPart(id));
    assert_eq!(store.submit(&album_part("g", 12, "")).await.unwrap(), SubmitOutcome::AlbumPart(id));

    let stored = post(&*store, id).await;
    assert_eq!(stored.media.iter().map(|m| m.file_id.as_str()).collect::<Vec<_>>(), ["file-10", "file-11", "file-12"]);
    assert_eq!(stored.media.iter().map(|m| m.position).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(stored.body, "the caption", "the caption of a later part becomes the post's text");
    assert_eq!(store.list_posts(&PostQuery::default()).await.unwrap().total, 1, "one post for the album");
    assert_eq!(store.pending_count_of(UserId(1)).await.unwrap(), 1);
    // The album is announced once, whole.
    let jobs = lease_all(&*store).await;
    assert_eq!(jobs.iter().filter(|j| j.kind == OutboxKind::Announce).count(), 1, "{jobs:?}");

    // Another album of the same author is another post.
    let other = store.submit(&album_part("h", 20, "second album")).await.unwrap();
    assert!(matches!(other, SubmitOutcome::Created(o) if o != id), "got {other:?}");
}

pub async fn a_redelivered_update_is_a_duplicate_and_changes_nothing(store: Arc<dyn Store>) {
    let original = text_post(3, 30, "original");
    let id = submit(&*store, &original).await;
    let before = serde_json::to_value(post(&*store, id).await).unwrap();
    let author_before = serde_json::to_value(store.author(UserId(3)).await.unwrap()).unwrap();
    let (backlog, stats) = (store.outbox_backlog().await.unwrap(), store.stats().await.unwrap());

    // Same chat and message, even with other contents: the update was seen before.
    let mut again = original.clone();
    again.body = "changed".into();
    again.author.first_name = "Changed".into();
    assert_eq!(store.submit(&again).await.unwrap(), SubmitOutcome::Duplicate(id));
    assert_eq!(store.submit(&original).await.unwrap(), SubmitOutcome::Duplicate(id));

    assert_eq!(serde_json::to_value(post(&*store, id).await).unwrap(), before);
    assert_eq!(serde_json::to_value(store.author(UserId(3)).await.unwrap()).unwrap(), author_before);
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog, "no second announcement");
    assert_eq!(store.stats().await.unwrap(), stats);

    // Still a duplicate once decided: a late redelivery never resubmits.
    store.decide(&approve(id, MOD_A)).await.unwrap();
    assert_eq!(store.submit(&original).await.unwrap(), SubmitOutcome::Duplicate(id));
    assert_eq!(store.list_posts(&PostQuery::default()).await.unwrap().total, 1);
}

pub async fn a_redelivered_album_part_is_a_duplicate(store: Arc<dyn Store>) {
    let id = submit(&*store, &album_part("g", 10, "caption")).await;
    assert_eq!(store.submit(&album_part("g", 11, "")).await.unwrap(), SubmitOutcome::AlbumPart(id));
    let before = serde_json::to_value(post(&*store, id).await).unwrap();

    assert_eq!(store.submit(&album_part("g", 11, "")).await.unwrap(), SubmitOutcome::Duplicate(id));
    assert_eq!(store.submit(&album_part("g", 10, "caption")).await.unwrap(), SubmitOutcome::Duplicate(id));
    let after = post(&*store, id).await;
    assert_eq!(after.media.len(), 2, "a redelivered part adds no media");
    assert_eq!(serde_json::to_value(after).unwrap(), before);
}

pub async fn submissions_arriving_together_each_get_their_own_post(store: Arc<dyn Store>) {
    let posts: Vec<NewPost> = (0..30).map(|i| text_post(100 + i64::from(i % 4), 1000 + i, "together")).collect();
    let outcomes = futures::future::join_all(posts.iter().map(|p| store.submit(p))).await;
    let mut ids = HashSet::new();
    for outcome in outcomes {
        let outcome = outcome.unwrap();
        let SubmitOutcome::Created(id) = outcome else { panic!("expected Created, got {outcome:?}") };
        assert!(ids.insert(id), "post id {id:?} given twice");
    }
    assert_eq!(store.list_posts(&PostQuery::default()).await.unwrap().total, 30);

    // The same update delivered five times at once is stored once.
    let same = text_post(200, 5000, "five times");
    let outcomes: Vec<SubmitOutcome> =
        futures::future::join_all((0..5).map(|_| store.submit(&same))).await.into_iter().map(Result::unwrap).collect();
    let created: Vec<_> = outcomes.iter().filter(|o| matches!(o, SubmitOutcome::Created(_))).collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    let id = created[0].post_id();
    assert!(outcomes.iter().all(|o| o.post_id() == id), "every delivery names the same post: {outcomes:?}");
    assert_eq!(store.pending_count_of(UserId(200)).await.unwrap(), 1);
}

pub async fn album_parts_arriving_together_make_one_post(store: Arc<dyn Store>) {
    // Parts of one album handled at the same time (two workers, or a redelivery racing the
    // next part): one post, holding every part's medium.
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.submit(&album_part("together", 10 + i, "")).await.unwrap() })
        })
        .collect();
    let outcomes: Vec<SubmitOutcome> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let created: Vec<PostId> =
        outcomes.iter().filter_map(|o| if let SubmitOutcome::Created(id) = o { Some(*id) } else { None }).collect();
    assert_eq!(created.len(), 1, "one post for the album: {outcomes:?}");
    let stored = post(&*store, created[0]).await;
    let mut files: Vec<&str> = stored.media.iter().map(|m| m.file_id.as_str()).collect();
    files.sort_unstable();
    assert_eq!(files, ["file-10", "file-11", "file-12", "file-13"], "no part is lost: {outcomes:?}");
    assert!(outcomes.iter().all(|o| o.post_id() == Some(created[0])), "{outcomes:?}");
}

pub async fn a_submission_the_store_cannot_take_leaves_nothing_behind(store: Arc<dyn Store>) {
    // An album holds at most 10 items; an 11th cannot be stored, and nothing of it is.
    let too_many = album_post(9, 100, "too many", &[MediaKind::Photo; 11]);
    assert!(store.submit(&too_many).await.is_err(), "an 11-item album is not stored");
    assert_eq!(store.list_posts(&PostQuery::default()).await.unwrap().total, 0);
    assert!(store.author(UserId(9)).await.unwrap().is_none(), "not even its author");
    assert_eq!(store.outbox_backlog().await.unwrap(), 0);
    assert_eq!(store.stats().await.unwrap(), postgate::store::QueueStats::default());
    // The store is still usable, and ten items are fine.
    store.ping().await.unwrap();
    let ten = submit(&*store, &album_post(9, 200, "ten", &[MediaKind::Photo; 10])).await;
    assert_eq!(post(&*store, ten).await.media.len(), 10);
}
