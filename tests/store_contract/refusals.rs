//! Contract: the admission checks `submit_with` applies with storing — a banned author, a full
//! rate-limit window and a full pending cap refuse a submission and store nothing; a
//! redelivery is recognised before any check; later album parts are not checked again.

use std::sync::Arc;

use postgate::domain::{MediaKind, UserId};
use postgate::store::{Admission, PostQuery, Refusal, Store, SubmitOutcome};

use crate::common::{MOD_A, approve, media, text_post};
use crate::fixtures::{ban_request, reject_for, submit};

const LIMITED: Admission = Admission { rate_limited: true, max_pending: None };

fn capped(max: i64) -> Admission {
    Admission { rate_limited: false, max_pending: Some(max) }
}

/// The author's posts, whatever their status.
async fn posts_of(store: &dyn Store, author: i64) -> i64 {
    let query = PostQuery { author: Some(UserId(author)), ..PostQuery::default() };
    store.list_posts(&query).await.unwrap().total
}

pub async fn a_banned_author_is_refused_and_nothing_is_stored(store: Arc<dyn Store>) {
    store.ban(&ban_request(UserId(9), MOD_A, "spam")).await.unwrap();
    let backlog = store.outbox_backlog().await.unwrap();
    assert_eq!(store.submit(&text_post(9, 1, "hello")).await.unwrap(), SubmitOutcome::Refused(Refusal::Banned));
    let photo = crate::common::album_post(9, 2, "photo", &[MediaKind::Photo]);
    assert_eq!(store.submit_with(&photo, capped(5)).await.unwrap(), SubmitOutcome::Refused(Refusal::Banned));
    assert_eq!(SubmitOutcome::Refused(Refusal::Banned).post_id(), None);

    // No post, no author, no job.
    assert_eq!(posts_of(&*store, 9).await, 0);
    assert!(store.author(UserId(9)).await.unwrap().is_none());
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog);
    assert_eq!(store.pending_count_of(UserId(9)).await.unwrap(), 0);

    // Lifted: the same message is now admitted (a refused update was never stored).
    store.unban(UserId(9), MOD_A, postgate::domain::ActionSource::Console).await.unwrap();
    assert!(matches!(store.submit(&text_post(9, 1, "hello")).await.unwrap(), SubmitOutcome::Created(_)));
}

pub async fn a_rate_limited_author_is_refused(store: Arc<dyn Store>) {
    let backlog = store.outbox_backlog().await.unwrap();
    let outcome = store.submit_with(&text_post(8, 1, "fast"), LIMITED).await.unwrap();
    assert_eq!(outcome, SubmitOutcome::Refused(Refusal::RateLimited));
    assert_eq!(posts_of(&*store, 8).await, 0);
    assert!(store.author(UserId(8)).await.unwrap().is_none());
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog);
    // Once the window has room again, the same message goes through.
    assert!(matches!(store.submit_with(&text_post(8, 1, "fast"), capped(1)).await.unwrap(), SubmitOutcome::Created(_)));
}

pub async fn the_ban_is_named_before_other_refusals(store: Arc<dyn Store>) {
    store.ban(&ban_request(UserId(9), MOD_A, "spam")).await.unwrap();
    let everything = Admission { rate_limited: true, max_pending: Some(0) };
    let outcome = store.submit_with(&text_post(9, 1, "banned and fast"), everything).await.unwrap();
    assert_eq!(outcome, SubmitOutcome::Refused(Refusal::Banned));
    // Without a ban, the rate limit is named before the cap.
    let outcome = store.submit_with(&text_post(10, 2, "fast and capped"), everything).await.unwrap();
    assert_eq!(outcome, SubmitOutcome::Refused(Refusal::RateLimited));
}

pub async fn the_pending_cap_refuses_with_the_count(store: Arc<dyn Store>) {
    assert!(matches!(store.submit_with(&text_post(7, 1, "one"), capped(2)).await.unwrap(), SubmitOutcome::Created(_)));
    assert!(matches!(store.submit_with(&text_post(7, 2, "two"), capped(2)).await.unwrap(), SubmitOutcome::Created(_)));
    let backlog = store.outbox_backlog().await.unwrap();
    let third = store.submit_with(&text_post(7, 3, "three"), capped(2)).await.unwrap();
    assert_eq!(third, SubmitOutcome::Refused(Refusal::TooManyPending(2)));
    assert_eq!(posts_of(&*store, 7).await, 2);
    assert_eq!(store.outbox_backlog().await.unwrap(), backlog);
    // The cap is per author.
    assert!(matches!(
        store.submit_with(&text_post(8, 4, "other"), capped(2)).await.unwrap(),
        SubmitOutcome::Created(_)
    ));
    // No cap: only the ban list applies.
    assert!(matches!(store.submit(&text_post(7, 5, "open")).await.unwrap(), SubmitOutcome::Created(_)));
}

pub async fn a_redelivery_at_the_cap_is_a_duplicate_not_refused(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(7, 1, "one")).await;
    let again = store.submit_with(&text_post(7, 1, "one"), capped(1)).await.unwrap();
    assert_eq!(again, SubmitOutcome::Duplicate(id));
    // Nor is a redelivery refused by the rate limit or a ban that came later.
    assert_eq!(store.submit_with(&text_post(7, 1, "one"), LIMITED).await.unwrap(), SubmitOutcome::Duplicate(id));
    store.ban(&ban_request(UserId(7), MOD_A, "later")).await.unwrap();
    assert_eq!(store.submit(&text_post(7, 1, "one")).await.unwrap(), SubmitOutcome::Duplicate(id));
    assert_eq!(posts_of(&*store, 7).await, 1);
}

pub async fn the_cap_counts_only_pending_posts(store: Arc<dyn Store>) {
    let first = submit(&*store, &text_post(7, 1, "one")).await;
    let second = submit(&*store, &text_post(7, 2, "two")).await;
    assert_eq!(
        store.submit_with(&text_post(7, 3, "three"), capped(2)).await.unwrap(),
        SubmitOutcome::Refused(Refusal::TooManyPending(2))
    );
    store.decide(&approve(first, MOD_A)).await.unwrap();
    store.decide(&reject_for(second, MOD_A, "no", false)).await.unwrap();
    assert!(matches!(
        store.submit_with(&text_post(7, 3, "three"), capped(2)).await.unwrap(),
        SubmitOutcome::Created(_)
    ));
    assert!(matches!(store.submit_with(&text_post(7, 4, "four"), capped(2)).await.unwrap(), SubmitOutcome::Created(_)));
    assert_eq!(
        store.submit_with(&text_post(7, 5, "five"), capped(2)).await.unwrap(),
        SubmitOutcome::Refused(Refusal::TooManyPending(2))
    );
}

pub async fn album_parts_are_not_checked_again(store: Arc<dyn Store>) {
    let part = |message_id: i32| {
        let mut part = text_post(7, message_id, "");
        part.media_group_id = Some("album".into());
        part.media = vec![media(MediaKind::Photo, message_id)];
        part
    };
    let id = match store.submit_with(&part(1), capped(1)).await.unwrap() {
        SubmitOutcome::Created(id) => id,
        other => panic!("first part creates, got {other:?}"),
    };
    // The author is now at the cap, and over the rate limit: the album still completes.
    let everything = Admission { rate_limited: true, max_pending: Some(1) };
    assert_eq!(store.submit_with(&part(2), everything).await.unwrap(), SubmitOutcome::AlbumPart(id));
    assert_eq!(store.submit_with(&part(3), capped(1)).await.unwrap(), SubmitOutcome::AlbumPart(id));
    assert_eq!(store.post(id).await.unwrap().unwrap().media.len(), 3);
}

pub async fn the_cap_holds_for_submissions_arriving_together(store: Arc<dyn Store>) {
    // Several rounds, each one author sending many messages at once: however the store groups
    // or interleaves them, no more than the cap are admitted.
    for round in 0..5_i64 {
        let author = 40 + round;
        let tasks: Vec<_> = (0..12_i32)
            .map(|m| {
                let store = Arc::clone(&store);
                let post = text_post(author, 100 * i32::try_from(round).unwrap() + m, "burst");
                tokio::spawn(async move { store.submit_with(&post, capped(3)).await.unwrap() })
            })
            .collect();
        let outcomes: Vec<SubmitOutcome> =
            futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
        let created = outcomes.iter().filter(|o| matches!(o, SubmitOutcome::Created(_))).count();
        assert_eq!(created, 3, "round {round}: the cap is 3: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, SubmitOutcome::Created(_) | SubmitOutcome::Refused(Refusal::TooManyPending(_)))),
            "{outcomes:?}"
        );
        assert_eq!(store.pending_count_of(UserId(author)).await.unwrap(), 3, "round {round}");
    }
}

pub async fn the_cap_holds_for_albums_and_texts_arriving_together(store: Arc<dyn Store>) {
    // Albums take another path into the store than texts; the cap counts both.
    let tasks: Vec<_> = (0..10_i32)
        .map(|m| {
            let store = Arc::clone(&store);
            let mut post = text_post(7, 10 * m, "burst");
            if m % 2 == 0 {
                post.media_group_id = Some(format!("album-{m}"));
                post.media = vec![media(MediaKind::Photo, 10 * m)];
            }
            tokio::spawn(async move { store.submit_with(&post, capped(3)).await.unwrap() })
        })
        .collect();
    let outcomes: Vec<SubmitOutcome> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let created = outcomes.iter().filter(|o| matches!(o, SubmitOutcome::Created(_))).count();
    assert_eq!(created, 3, "the cap is 3: {outcomes:?}");
    assert_eq!(store.pending_count_of(UserId(7)).await.unwrap(), 3);
}
