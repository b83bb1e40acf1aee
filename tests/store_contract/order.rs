//! Contract: the queue lists posts in the order they were handed to the store, whatever order
//! the transactions that stored them started or committed in (a burst is written in several
//! batches at once, and an album's first part in a transaction of its own).

use std::sync::Arc;
use std::task::Poll;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use postgate::domain::{MediaKind, PostStatus};
use postgate::store::{NewPost, PostQuery, Store, SubmitOutcome};

use crate::common::{album_post, text_post};

/// Submissions in a burst; every tenth is a two-photo album.
const BURST: i32 = 120;
/// Submissions handed over before waiting for one answer, so that waves overlap the batches
/// still being written.
const WAVE: usize = 12;

fn submission(i: i32) -> NewPost {
    let author = 300 + i64::from(i % 7);
    let body = format!("post {i:03}");
    if i % 10 == 9 {
        album_post(author, 10_000 + 10 * i, &body, &[MediaKind::Photo, MediaKind::Photo])
    } else {
        text_post(author, 10_000 + 10 * i, &body)
    }
}

fn created(outcome: &SubmitOutcome) {
    assert!(matches!(outcome, SubmitOutcome::Created(_)), "expected Created, got {outcome:?}");
}

/// The bodies of the queue's posts, in the order the queue lists them.
async fn listed(store: &dyn Store, query: PostQuery) -> Vec<String> {
    let page = store.list_posts(&PostQuery { limit: 200, ..query }).await.unwrap();
    page.posts.into_iter().map(|p| p.excerpt).collect()
}

pub async fn the_queue_lists_posts_in_arrival_order(store: Arc<dyn Store>) {
    let posts: Vec<NewPost> = (0..BURST).map(submission).collect();
    let mut in_flight = FuturesUnordered::new();
    for wave in posts.chunks(WAVE) {
        for post in wave {
            let mut call = store.submit(post);
            // The first poll hands the post to the store: one at a time, in order — that order
            // is the arrival order the queue must keep.
            match futures::poll!(&mut call) {
                Poll::Ready(outcome) => created(&outcome.unwrap()),
                Poll::Pending => in_flight.push(call),
            }
        }
        if let Some(outcome) = in_flight.next().await {
            created(&outcome.unwrap());
        }
    }
    while let Some(outcome) = in_flight.next().await {
        created(&outcome.unwrap());
    }

    let arrived: Vec<String> = posts.iter().map(|p| p.body.clone()).collect();
    assert_eq!(listed(&*store, PostQuery::default()).await, arrived, "oldest first: in arrival order");
    let pending = PostQuery { status: Some(PostStatus::Pending), ..PostQuery::default() };
    assert_eq!(listed(&*store, pending).await, arrived, "the pending queue too");
    let mut newest_first = arrived.clone();
    newest_first.reverse();
    let query = PostQuery { newest_first: true, ..PostQuery::default() };
    assert_eq!(listed(&*store, query).await, newest_first, "newest first: the arrival order reversed");
}
