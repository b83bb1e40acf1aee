//! Storage failures against a real `PostgreSQL`: errors are logged with context and returned typed
//! (seed 05), and a failure in the middle of a multi-step write leaves nothing behind (seed 10).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{LogCapture, MOD_A, album_post, approve, count, text_post};
use postgate::domain::{MediaKind, PostStatus};
use postgate::store::postgres::PgStore;
use postgate::store::{DecideOutcome, Store, StoreError};
use sqlx::PgPool;

/// The captured lines at ERROR level.
fn error_lines(capture: &LogCapture) -> Vec<serde_json::Value> {
    capture.lines().into_iter().filter(|l| l["level"] == "ERROR").collect()
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn seed_05_an_unavailable_database_is_logged_with_context_and_returned(pool: PgPool) {
    let capture = LogCapture::default();
    // `#[sqlx::test]` runs a current-thread runtime, so the thread-local default sees every event.
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let store = PgStore::from_pool(pool);
    store.close().await;

    let post = text_post(4242, 77, "hello");
    let err = store.submit(&post).await.expect_err("a closed pool cannot store anything");
    assert!(matches!(err, StoreError::Unavailable(_)), "got {err:?}");
    assert!(err.is_transient());

    let errors = error_lines(&capture);
    assert_eq!(errors.len(), 1, "exactly one error line per failure: {}", capture.text());
    let line = &errors[0];
    let span = &line["span"];
    assert_eq!(span["name"], "submit", "{line}");
    assert_eq!(span["user_id"], 4242, "{line}");
    assert_eq!(span["chat_id"], common::CHAT, "{line}");
    assert_eq!(span["message_id"], 77, "{line}");
    let message = line["error"].as_str().or(line["message"].as_str()).unwrap_or_default();
    assert!(message.contains("database unavailable"), "the error text is logged: {line}");
    common::assert_rfc3339_utc("timestamp", line["timestamp"].as_str().unwrap());

    // Reads fail the same way, with their own ids.
    let err = store.post(postgate::domain::PostId(31337)).await.expect_err("closed pool");
    assert!(matches!(err, StoreError::Unavailable(_)), "got {err:?}");
    let errors = error_lines(&capture);
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[1]["span"]["post_id"], 31337, "{}", errors[1]);
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn seed_05_a_constraint_violation_is_a_typed_logged_error(pool: PgPool) {
    let capture = LogCapture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let store = PgStore::from_pool(pool.clone());

    // Eleven media items: position 10 breaks media's CHECK (position < 10).
    let post = album_post(7, 100, "too many", &[MediaKind::Photo; 11]);
    let err = store.submit(&post).await.expect_err("the CHECK must reject the 11th item");
    let StoreError::Constraint { constraint, message } = &err else { panic!("got {err:?}") };
    assert_eq!(constraint, "media_position_check");
    assert!(message.contains("media"), "{message}");
    assert!(!err.is_transient());
    // The whole submission rolled back.
    assert_eq!(count(&pool, "posts").await, 0);
    assert_eq!(count(&pool, "media").await, 0);

    let errors = error_lines(&capture);
    assert_eq!(errors.len(), 1, "{}", capture.text());
    assert_eq!(errors[0]["span"]["user_id"], 7, "{}", errors[0]);
    assert_eq!(errors[0]["span"]["message_id"], 100, "{}", errors[0]);
    assert!(errors[0].to_string().contains("media_position_check"), "{}", errors[0]);

    // The pool is still healthy after the failed transaction.
    store.ping().await.unwrap();
    assert!(store.submit(&text_post(7, 101, "fine")).await.is_ok());
}

/// Installs a trigger that makes every INSERT into `table` fail.
async fn break_inserts_into(pool: &PgPool, table: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE FUNCTION fail_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'injected failure on {table}'; END $$; \
         CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION fail_{table}();"
    )))
    .execute(pool)
    .await
    .unwrap();
}

async fn repair_inserts_into(pool: &PgPool, table: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TRIGGER fail_{table} ON {table}; DROP FUNCTION fail_{table}();")))
        .execute(pool)
        .await
        .unwrap();
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn seed_10_a_failed_media_insert_leaves_no_post_and_no_author(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    break_inserts_into(&pool, "media").await;

    let post = album_post(8, 200, "album", &[MediaKind::Photo, MediaKind::Video]);
    let err = store.submit(&post).await.expect_err("the media insert fails");
    assert!(err.to_string().contains("injected failure on media"), "got {err}");
    assert_eq!(count(&pool, "posts").await, 0, "the post row was rolled back");
    assert_eq!(count(&pool, "authors").await, 0, "the author upsert was rolled back");
    assert_eq!(count(&pool, "media").await, 0);
    assert_eq!(count(&pool, "outbox").await, 0, "no work was queued for a post that does not exist");

    // An existing author is not changed by a failed submission either.
    store.upsert_author(&common::author(8)).await.unwrap();
    let mut renamed = post.clone();
    renamed.author.first_name = "Changed".into();
    store.submit(&renamed).await.expect_err("still failing");
    assert_eq!(store.author(renamed.author.id).await.unwrap().unwrap().profile.first_name, "Иван");

    // Once the fault is gone the same submission goes through whole.
    repair_inserts_into(&pool, "media").await;
    let id = store.submit(&post).await.unwrap().post_id().unwrap();
    assert_eq!(store.post(id).await.unwrap().unwrap().media.len(), 2);
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn seed_10_a_failed_outbox_insert_leaves_the_post_undecided(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let id = store.submit(&text_post(9, 300, "decide me")).await.unwrap().post_id().unwrap();
    let mark = common::outbox_mark(&pool).await;
    break_inserts_into(&pool, "outbox").await;

    let err = store.decide(&approve(id, MOD_A)).await.expect_err("the outbox insert fails");
    assert!(err.to_string().contains("injected failure on outbox"), "got {err}");
    let post = store.post(id).await.unwrap().unwrap();
    assert_eq!(post.status, PostStatus::Pending);
    assert_eq!((post.decided_by, post.decided_at), (None, None));
    assert_eq!(count(&pool, "moderation_log").await, 0, "the log row was rolled back");
    assert!(common::outbox_kinds_since(&pool, mark).await.is_empty());

    // A reject-and-ban fails the same way without leaving the ban behind.
    let ban = postgate::store::Decision {
        kind: postgate::store::DecisionKind::Reject {
            reason: postgate::domain::RejectReason::template("spam").unwrap(),
            ban_author: true,
        },
        ..approve(id, MOD_A)
    };
    store.decide(&ban).await.expect_err("still failing");
    assert_eq!(count(&pool, "bans").await, 0, "the ban was rolled back");
    assert_eq!(count(&pool, "moderation_log").await, 0);

    repair_inserts_into(&pool, "outbox").await;
    assert!(matches!(store.decide(&approve(id, MOD_A)).await.unwrap(), DecideOutcome::Decided { .. }));
    assert_eq!(count(&pool, "moderation_log").await, 1);
    assert_eq!(common::outbox_kinds_since(&pool, mark).await, ["publish", "update_card"]);
}

/// Submissions arriving together are committed together; one that the database refuses (here
/// eleven media: positions stop at 9) is retried alone and fails alone.
#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn a_bad_submission_in_a_batch_does_not_take_the_others_down(pool: PgPool) {
    const BAD: i64 = 50;
    let store = std::sync::Arc::new(PgStore::from_pool(pool.clone()));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100_i64 {
        let store = std::sync::Arc::clone(&store);
        tasks.spawn(async move {
            let mut post = text_post(10_000 + i, i32::try_from(i).unwrap() + 1, "together");
            if i == BAD {
                post.media = (0..11).map(|k| common::media(MediaKind::Photo, 100 + k)).collect();
            }
            (i, store.submit(&post).await)
        });
    }
    let mut created = std::collections::HashSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, outcome) = joined.unwrap();
        match outcome {
            Ok(postgate::store::SubmitOutcome::Created(id)) => assert!(created.insert(id), "post id {id} given twice"),
            Ok(other) => panic!("submission {i}: unexpected {other:?}"),
            Err(e) => assert_eq!(i, BAD, "only the bad submission fails, but {i} did: {e}"),
        }
    }
    assert_eq!(created.len(), 99, "every good submission stored");
    assert_eq!(count(&pool, "posts").await, 99);
    assert_eq!(count(&pool, "media").await, 0, "nothing of the bad one is left");
    let announces: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'announce'").fetch_one(&pool).await.unwrap();
    assert_eq!(announces, 99);
}
