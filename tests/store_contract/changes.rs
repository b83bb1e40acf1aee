//! Contract: `changes` — every write that changes something is announced, after it commits,
//! in the order written, with the post it concerns; a write that changes nothing is silent.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use postgate::domain::{ActionSource, MediaKind, PostId, UserId};
use postgate::store::{BanRequest, ChangeEvent, OutboxKind, OutboxResult, Store};

use crate::common::{MOD_A, MOD_B, album_post, approve, media, text_post};
use crate::fixtures::{ban_request, edit, job_of, lease_all, submit};

/// How long an announced change may take to arrive.
const ARRIVAL: Duration = Duration::from_secs(10);

/// The next event other than `resync`, failing after [`ARRIVAL`].
async fn next(stream: &mut BoxStream<'static, ChangeEvent>) -> (String, Option<PostId>) {
    loop {
        let event = tokio::time::timeout(ARRIVAL, stream.next())
            .await
            .expect("a change event within the deadline")
            .expect("the change stream stays open");
        if event.event != "resync" {
            return (event.event, event.post_id.map(PostId));
        }
    }
}

fn change(event: &str, post: Option<PostId>) -> (String, Option<PostId>) {
    (event.to_owned(), post)
}

pub async fn every_change_is_announced_in_order(store: Arc<dyn Store>) {
    let mut stream = store.changes().await.unwrap();

    let id = submit(&*store, &text_post(1, 1, "hello")).await;
    assert_eq!(next(&mut stream).await, change("post_created", Some(id)));
    store.author_edit(&edit(1, "hello, edited")).await.unwrap();
    assert_eq!(next(&mut stream).await, change("post_edited", Some(id)));
    store.claim(id, MOD_A, 60).await.unwrap();
    assert_eq!(next(&mut stream).await, change("post_claimed", Some(id)));
    store.release(id, MOD_A).await.unwrap();
    assert_eq!(next(&mut stream).await, change("post_released", Some(id)));
    store.decide(&approve(id, MOD_A)).await.unwrap();
    assert_eq!(next(&mut stream).await, change("post_decided", Some(id)));
    let publish = job_of(&lease_all(&*store).await, id, OutboxKind::Publish);
    store.complete_outbox(&publish, &OutboxResult::Published { channel_message_id: 9 }).await.unwrap();
    assert_eq!(next(&mut stream).await, change("post_published_state", Some(id)));

    let mut album = album_post(2, 10, "", &[MediaKind::Photo]);
    album.media_group_id = Some("g".into());
    let album_id = submit(&*store, &album).await;
    assert_eq!(next(&mut stream).await, change("post_created", Some(album_id)));
    let mut part = album.clone();
    part.source_message_id = 11;
    part.media = vec![media(MediaKind::Photo, 11)];
    submit(&*store, &part).await;
    assert_eq!(next(&mut stream).await, change("post_updated", Some(album_id)));

    // A fingerprint that turns out to be a re-post changes the post's card.
    store.set_media_hash(album_id, 0, &"f".repeat(64)).await.unwrap();
    let repost = submit(&*store, &album_post(3, 20, "repost", &[MediaKind::Photo])).await;
    assert_eq!(next(&mut stream).await, change("post_created", Some(repost)));
    assert_eq!(store.set_media_hash(repost, 0, &"f".repeat(64)).await.unwrap(), Some(album_id));
    assert_eq!(next(&mut stream).await, change("post_updated", Some(repost)));

    let ban = BanRequest { post: Some(album_id), ..ban_request(UserId(2), MOD_B, "spam") };
    store.ban(&ban).await.unwrap();
    assert_eq!(next(&mut stream).await, change("author_banned", Some(album_id)));
    store.unban(UserId(2), MOD_B, ActionSource::Console).await.unwrap();
    assert_eq!(next(&mut stream).await.0, "author_unbanned");
}

pub async fn a_write_that_changes_nothing_is_silent(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "hello")).await;
    store.decide(&approve(id, MOD_A)).await.unwrap();
    let mut stream = store.changes().await.unwrap();

    // Each of these changes nothing: a redelivery, a second decision, a claim of a decided
    // post, a release by nobody's claim, an unban of someone not banned.
    store.submit(&text_post(1, 1, "hello")).await.unwrap();
    store.decide(&approve(id, MOD_B)).await.unwrap();
    store.claim(id, MOD_B, 60).await.unwrap();
    store.release(id, MOD_B).await.unwrap();
    store.unban(UserId(77), MOD_A, ActionSource::Console).await.unwrap();
    // A real change after them is the next thing the stream says.
    let marker = submit(&*store, &text_post(1, 2, "marker")).await;
    assert_eq!(next(&mut stream).await, change("post_created", Some(marker)));
}

pub async fn every_subscriber_hears_every_change(store: Arc<dyn Store>) {
    let mut first = store.changes().await.unwrap();
    let mut second = store.changes().await.unwrap();
    let mut ids = Vec::new();
    for m in 1..=3 {
        ids.push(submit(&*store, &text_post(1, m, "p")).await);
    }
    for stream in [&mut first, &mut second] {
        for id in &ids {
            assert_eq!(next(stream).await, change("post_created", Some(*id)));
        }
    }
}

pub async fn changes_written_together_are_each_announced_once(store: Arc<dyn Store>) {
    let mut stream = store.changes().await.unwrap();
    let tasks: Vec<_> = (1..=20)
        .map(|m| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { submit(&*store, &text_post(i64::from(m % 3), m, "together")).await })
        })
        .collect();
    let mut created: Vec<PostId> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let mut heard = Vec::new();
    while heard.len() < created.len() {
        let (event, post) = next(&mut stream).await;
        assert_eq!(event, "post_created");
        heard.push(post.expect("a created post is named"));
    }
    created.sort_unstable();
    heard.sort_unstable();
    assert_eq!(heard, created, "each post announced once");
}
