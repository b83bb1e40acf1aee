//! Live change notifications: a listener sees submissions, claims and decisions made through
//! any store on the same database (what keeps several consoles in step).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use futures::StreamExt;
use postgate::domain::{ActionSource, UserId};
use postgate::events::{ChangeEvent, listen};
use postgate::store::postgres::{MIGRATOR, PgStore};
use postgate::store::{Decision, DecisionKind, Store};
use sqlx::PgPool;

async fn next(stream: &mut (impl futures::Stream<Item = ChangeEvent> + Unpin)) -> ChangeEvent {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event within 5 s")
        .expect("stream open")
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_second_store_sees_submissions_claims_and_decisions(pool: PgPool) {
    let watcher = PgStore::from_pool(pool.clone());
    let mut events = Box::pin(listen(&watcher).await.unwrap());
    // Another "console": its own pool on the same database.
    let other = PgStore::from_pool(PgPool::connect_with(pool.connect_options().as_ref().clone()).await.unwrap());

    let id = other.submit(&common::text_post(5, 1, "live")).await.unwrap().post_id().unwrap();
    assert_eq!(next(&mut events).await, ChangeEvent { event: "post_created".into(), post_id: Some(id.0) });

    other.claim(id, UserId(9), 60).await.unwrap();
    assert_eq!(next(&mut events).await, ChangeEvent { event: "post_claimed".into(), post_id: Some(id.0) });

    let decision = Decision {
        post_id: id,
        moderator: UserId(9),
        source: ActionSource::Console,
        kind: DecisionKind::Approve { edited_body: None },
    };
    other.decide(&decision).await.unwrap();
    assert_eq!(next(&mut events).await, ChangeEvent { event: "post_decided".into(), post_id: Some(id.0) });
    other.close().await;
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_rolled_back_write_announces_nothing(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let mut events = Box::pin(listen(&store).await.unwrap());
    sqlx::query(
        "CREATE FUNCTION fail_media() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$; ",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("CREATE TRIGGER fail_media BEFORE INSERT ON media FOR EACH ROW EXECUTE FUNCTION fail_media()")
        .execute(&pool)
        .await
        .unwrap();
    let post = common::album_post(5, 1, "x", &[postgate::domain::MediaKind::Photo]);
    assert!(store.submit(&post).await.is_err());
    let nothing = tokio::time::timeout(Duration::from_millis(500), events.next()).await;
    assert!(nothing.is_err(), "no event for a rolled-back submission: {nothing:?}");
}
