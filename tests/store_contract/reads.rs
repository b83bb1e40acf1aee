//! Contract: the reads — `post`, `posts`, `recent_posts_of`, `pending_count_of` — and the two
//! bookkeeping calls beside them, `set_media_hash` (re-post detection) and `stats`.

use std::sync::Arc;

use postgate::domain::{MediaKind, PostId, PostStatus, UserId};
use postgate::store::{OutboxKind, OutboxResult, QueueStats, Store};

use crate::common::{MOD_A, album_post, approve, text_post};
use crate::fixtures::{edit, job_of, kinds_for, lease_all, post, reject_for, submit};

pub async fn post_of_a_missing_id_is_none(store: Arc<dyn Store>) {
    assert!(store.post(PostId(1)).await.unwrap().is_none());
    let id = submit(&*store, &text_post(1, 1, "x")).await;
    assert!(store.post(PostId(id.0 + 1000)).await.unwrap().is_none());
    assert!(store.posts(&[]).await.unwrap().is_empty());
}

pub async fn posts_reads_several_like_post_and_leaves_missing_out(store: Arc<dyn Store>) {
    let text = submit(&*store, &text_post(1, 1, "one")).await;
    let kinds = [MediaKind::Photo, MediaKind::Video, MediaKind::Photo];
    let album = submit(&*store, &album_post(2, 10, "album", &kinds)).await;
    let photo = submit(&*store, &album_post(1, 20, "photo", &[MediaKind::Photo])).await;
    store.decide(&approve(photo, MOD_A)).await.unwrap();

    let bulk = store.posts(&[album, PostId(album.0 + 1000), text, photo]).await.unwrap();
    let mut ids: Vec<PostId> = bulk.iter().map(|p| p.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, [text, album, photo], "a missing post is left out");
    for record in &bulk {
        let single = post(&*store, record.id).await;
        assert_eq!(serde_json::to_value(record).unwrap(), serde_json::to_value(&single).unwrap());
    }
    let album_record = bulk.iter().find(|p| p.id == album).unwrap();
    assert_eq!(album_record.media.iter().map(|m| m.kind).collect::<Vec<_>>(), kinds, "media stay in order");
    assert!(bulk.iter().find(|p| p.id == text).unwrap().media.is_empty());
}

pub async fn recent_posts_of_is_newest_first_limited_and_per_author(store: Arc<dyn Store>) {
    assert!(store.recent_posts_of(UserId(5), 10).await.unwrap().is_empty());
    let mut ids = Vec::new();
    for m in 1..=4 {
        ids.push(submit(&*store, &text_post(5, m, &format!("post {m}"))).await);
        submit(&*store, &text_post(6, 100 + m, "other author")).await;
    }
    store.decide(&approve(ids[0], MOD_A)).await.unwrap();

    let recent = store.recent_posts_of(UserId(5), 3).await.unwrap();
    assert_eq!(recent.iter().map(|p| p.id).collect::<Vec<_>>(), [ids[3], ids[2], ids[1]]);
    assert!(recent.iter().all(|p| p.author_id == UserId(5)));
    let all = store.recent_posts_of(UserId(5), 10).await.unwrap();
    assert_eq!(all.iter().map(|p| p.id).collect::<Vec<_>>(), [ids[3], ids[2], ids[1], ids[0]]);
    assert_eq!(all[3].status, PostStatus::Approved, "every status, not only pending");
    assert_eq!(all[3].excerpt, "post 1");
}

pub async fn pending_count_of_counts_only_pending_posts(store: Arc<dyn Store>) {
    assert_eq!(store.pending_count_of(UserId(5)).await.unwrap(), 0, "unknown author");
    let mut ids = Vec::new();
    for m in 1..=4 {
        ids.push(submit(&*store, &text_post(5, m, "p")).await);
    }
    submit(&*store, &text_post(6, 10, "other author")).await;
    assert_eq!(store.pending_count_of(UserId(5)).await.unwrap(), 4);
    store.decide(&approve(ids[0], MOD_A)).await.unwrap();
    store.decide(&reject_for(ids[1], MOD_A, "no", false)).await.unwrap();
    assert_eq!(store.pending_count_of(UserId(5)).await.unwrap(), 2);
    assert_eq!(store.pending_count_of(UserId(6)).await.unwrap(), 1);
}

pub async fn set_media_hash_records_the_hash_and_flags_a_repost(store: Arc<dyn Store>) {
    let sha = "a".repeat(64);
    let original = submit(&*store, &album_post(1, 10, "original", &[MediaKind::Photo, MediaKind::Photo])).await;
    let repost = submit(&*store, &album_post(2, 20, "repost", &[MediaKind::Photo])).await;
    lease_all(&*store).await;

    assert_eq!(store.set_media_hash(original, 1, &sha).await.unwrap(), None, "nothing earlier has this file");
    let stored = post(&*store, original).await;
    assert_eq!(stored.media[1].sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(stored.media[0].sha256, None, "only the item named");
    assert_eq!(stored.duplicate_of, None);

    assert_eq!(store.set_media_hash(repost, 0, &sha).await.unwrap(), Some(original));
    let flagged = post(&*store, repost).await;
    assert_eq!(flagged.duplicate_of, Some(original));
    assert_eq!(flagged.media[0].sha256.as_deref(), Some(sha.as_str()));
    assert!(kinds_for(&lease_all(&*store).await, repost).contains(&OutboxKind::UpdateCard), "the card shows the flag");
    assert_eq!(post(&*store, original).await.duplicate_of, None, "the original is not a re-post of itself");

    // Another file is no duplicate.
    let other = submit(&*store, &album_post(3, 30, "other", &[MediaKind::Photo])).await;
    assert_eq!(store.set_media_hash(other, 0, &"b".repeat(64)).await.unwrap(), None);
    assert_eq!(post(&*store, other).await.duplicate_of, None);
}

pub async fn stats_counts_posts_by_status(store: Arc<dyn Store>) {
    assert_eq!(store.stats().await.unwrap(), QueueStats::default(), "an empty store");
    let mut ids = Vec::new();
    for m in 1..=7 {
        ids.push(submit(&*store, &text_post(1 + i64::from(m % 2), m, "p")).await);
    }
    store.author_edit(&edit(7, "edited")).await.unwrap();
    store.author_edit(&edit(1, "edited, then decided")).await.unwrap();
    store.decide(&approve(ids[0], MOD_A)).await.unwrap(); // approved
    store.decide(&approve(ids[1], MOD_A)).await.unwrap(); // → published
    store.decide(&approve(ids[2], MOD_A)).await.unwrap(); // → publish_failed
    store.decide(&reject_for(ids[3], MOD_A, "no", false)).await.unwrap();
    let jobs = lease_all(&*store).await;
    let published = job_of(&jobs, ids[1], OutboxKind::Publish);
    store.complete_outbox(&published, &OutboxResult::Published { channel_message_id: 1 }).await.unwrap();
    let failed = job_of(&jobs, ids[2], OutboxKind::Publish);
    store.complete_outbox(&failed, &OutboxResult::PublishFailed { error: "chat not found".into() }).await.unwrap();

    let oldest_pending_at = Some(post(&*store, ids[4]).await.created_at);
    let expected = QueueStats {
        pending: 3,
        approved: 1,
        published: 1,
        publish_failed: 1,
        rejected: 1,
        edited_pending: 1,
        changes_requested: 0,
        oldest_pending_at,
    };
    assert_eq!(store.stats().await.unwrap(), expected);
}

pub async fn stats_agree_with_the_list_totals(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for m in 1..=6 {
        ids.push(submit(&*store, &text_post(1, m, "p")).await);
    }
    store.decide(&approve(ids[0], MOD_A)).await.unwrap();
    store.decide(&reject_for(ids[1], MOD_A, "no", false)).await.unwrap();
    store.author_edit(&edit(3, "edited")).await.unwrap();
    let stats = store.stats().await.unwrap();
    let total = |status: PostStatus, edited: Option<bool>| {
        let store = Arc::clone(&store);
        async move {
            let query = postgate::store::PostQuery { status: Some(status), edited, ..Default::default() };
            store.list_posts(&query).await.unwrap().total
        }
    };
    assert_eq!(stats.pending, total(PostStatus::Pending, None).await);
    assert_eq!(stats.approved, total(PostStatus::Approved, None).await);
    assert_eq!(stats.published, total(PostStatus::Published, None).await);
    assert_eq!(stats.publish_failed, total(PostStatus::PublishFailed, None).await);
    assert_eq!(stats.rejected, total(PostStatus::Rejected, None).await);
    assert_eq!(stats.edited_pending, total(PostStatus::Pending, Some(true)).await);
    assert_eq!((stats.pending, stats.approved, stats.rejected, stats.edited_pending), (4, 1, 1, 1));
}

pub async fn set_media_hash_never_flags_a_post_as_its_own_repost(store: Arc<dyn Store>) {
    let sha = "c".repeat(64);
    let kinds = [MediaKind::Photo, MediaKind::Photo];
    let album = submit(&*store, &album_post(1, 10, "the same photo twice", &kinds)).await;
    assert_eq!(store.set_media_hash(album, 0, &sha).await.unwrap(), None);
    assert_eq!(store.set_media_hash(album, 1, &sha).await.unwrap(), None, "its own items are not earlier posts");
    assert_eq!(post(&*store, album).await.duplicate_of, None);

    // A fingerprint written again (the job ran twice) gives the same answer.
    let repost = submit(&*store, &album_post(2, 20, "again", &[MediaKind::Photo])).await;
    assert_eq!(store.set_media_hash(repost, 0, &sha).await.unwrap(), Some(album));
    assert_eq!(store.set_media_hash(repost, 0, &sha).await.unwrap(), Some(album));
    assert_eq!(post(&*store, repost).await.duplicate_of, Some(album));
    // A third copy points at an earlier post that has the file.
    let third = submit(&*store, &album_post(3, 30, "and again", &[MediaKind::Photo])).await;
    let earlier = store.set_media_hash(third, 0, &sha).await.unwrap().expect("an earlier copy");
    assert!([album, repost].contains(&earlier), "{earlier:?}");
    assert_eq!(post(&*store, third).await.duplicate_of, Some(earlier));
}
