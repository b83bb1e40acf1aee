//! Intake on `SQLite` against a temporary file: admission, albums, edits, fingerprints, and a
//! burst written by the group commit (the contract suite covers the rest through the trait).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::super::{Db, MIGRATOR};
use super::*;
use crate::domain::MediaKind;
use crate::store::{NewMedia, Refusal};

const CHAT: i64 = 500;

/// The store's connections, built as `SqliteStore::connect` builds them (a `DatabaseConfig`
/// only takes PostgreSQL URLs for now), with intake's functions called directly.
struct Fixture {
    db: Db,
    batcher: IntakeBatcher,
}

async fn open(dir: &tempfile::TempDir) -> Fixture {
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("intake.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await.unwrap();
    MIGRATOR.run(&writer).await.unwrap();
    let reader = SqlitePoolOptions::new().max_connections(4).connect_with(options.read_only(true)).await.unwrap();
    let (events, _) = tokio::sync::broadcast::channel(16);
    Fixture {
        db: Db { writer, reader, events, flag_writes: crate::store::sqlite::flags::FlagWrites::default() },
        batcher: IntakeBatcher::default(),
    }
}

impl Fixture {
    async fn submit_with(&self, post: &NewPost, admission: Admission) -> Result<SubmitOutcome, StoreError> {
        submit(&self.db, &self.batcher, post, admission, None, Duration::ZERO).await
    }

    async fn submit(&self, post: &NewPost) -> Result<SubmitOutcome, StoreError> {
        self.submit_with(post, Admission::OPEN).await
    }
}

fn text(author: i64, message: i32, body: &str) -> NewPost {
    NewPost {
        author: AuthorProfile {
            id: UserId(author),
            username: Some(format!("user{author}")),
            first_name: "Анна".into(),
            last_name: None,
            language_code: Some("ru".into()),
        },
        source_chat_id: CHAT,
        source_message_id: message,
        media_group_id: None,
        body: body.into(),
        entities: serde_json::json!([]),
        media: Vec::new(),
    }
}

fn part(author: i64, group: &str, message: i32, caption: &str) -> NewPost {
    let mut post = text(author, message, caption);
    post.media_group_id = Some(group.into());
    post.media = vec![NewMedia {
        kind: MediaKind::Photo,
        file_id: format!("file-{message}"),
        file_unique_id: format!("uniq-{message}"),
        source_message_id: message,
        file_name: None,
        mime_type: None,
        file_size: Some(1),
    }];
    post
}

fn capped(max: i64) -> Admission {
    Admission { rate_limited: false, max_pending: Some(max) }
}

async fn scalar(store: &Fixture, sql: &'static str, id: i64) -> i64 {
    sqlx::query_scalar(sql).bind(id).fetch_one(&store.db.reader).await.unwrap()
}

fn created(outcome: SubmitOutcome) -> PostId {
    let SubmitOutcome::Created(id) = outcome else { panic!("expected Created, got {outcome:?}") };
    id
}

#[tokio::test]
async fn admission_checks_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let id = created(store.submit(&text(1, 1, "Привет")).await.unwrap());
    assert_eq!(store.submit_with(&text(1, 1, "again"), capped(0)).await.unwrap(), SubmitOutcome::Duplicate(id));
    assert_eq!(
        store.submit_with(&text(1, 2, "two"), capped(1)).await.unwrap(),
        SubmitOutcome::Refused(Refusal::TooManyPending(1))
    );
    let limited = Admission { rate_limited: true, max_pending: Some(0) };
    assert_eq!(
        store.submit_with(&text(1, 2, "two"), limited).await.unwrap(),
        SubmitOutcome::Refused(Refusal::RateLimited)
    );
    sqlx::query("INSERT INTO bans (user_id) VALUES (1)").execute(&store.db.writer).await.unwrap();
    assert_eq!(store.submit_with(&text(1, 2, "two"), limited).await.unwrap(), SubmitOutcome::Refused(Refusal::Banned));
    assert_eq!(store.submit(&text(1, 1, "again")).await.unwrap(), SubmitOutcome::Duplicate(id));

    assert_eq!(pending_count_of(&store.db, UserId(1)).await.unwrap(), 1);
    let author = author(&store.db, UserId(1)).await.unwrap().unwrap();
    assert_eq!((author.pending, author.banned, author.profile.first_name.as_str()), (1, true, "Анна"));
    assert_eq!(scalar(&store, "SELECT count(*) FROM posts_search WHERE posts_search MATCH 'ивет' AND ?1", 1).await, 1);
    let jobs = scalar(&store, "SELECT count(*) FROM outbox WHERE post_id = ?1 AND kind = 'announce'", id.0).await;
    assert_eq!(jobs, 1);
}

#[tokio::test]
async fn album_parts_join_the_first_and_redeliveries_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let id = created(store.submit_with(&part(2, "g", 10, ""), capped(1)).await.unwrap());
    let everything = Admission { rate_limited: true, max_pending: Some(0) };
    assert_eq!(
        store.submit_with(&part(2, "g", 11, "Подпись"), everything).await.unwrap(),
        SubmitOutcome::AlbumPart(id)
    );
    assert_eq!(store.submit(&part(2, "g", 12, "other")).await.unwrap(), SubmitOutcome::AlbumPart(id));
    assert_eq!(store.submit(&part(2, "g", 11, "Подпись")).await.unwrap(), SubmitOutcome::Duplicate(id));
    assert_eq!(store.submit(&part(2, "g", 10, "")).await.unwrap(), SubmitOutcome::Duplicate(id));
    assert_eq!(scalar(&store, "SELECT count(*) FROM media WHERE post_id = ?1", id.0).await, 3);
    assert_eq!(scalar(&store, "SELECT max(position) FROM media WHERE post_id = ?1", id.0).await, 2);
    let body: String = sqlx::query_scalar("SELECT body || '|' || search_text FROM posts WHERE id = ?1")
        .bind(id.0)
        .fetch_one(&store.db.reader)
        .await
        .unwrap();
    assert_eq!(body, "Подпись|подпись");
    let receipt: String = sqlx::query_scalar("SELECT payload FROM outbox WHERE post_id = ?1 AND kind = 'announce'")
        .bind(id.0)
        .fetch_one(&store.db.reader)
        .await
        .unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&receipt).unwrap(), serde_json::json!({ "receipt": true }));
    assert_eq!(
        scalar(&store, "SELECT count(*) FROM outbox WHERE post_id = ?1", id.0).await,
        2,
        "fingerprint + announce"
    );

    // With a debounce, the album's announcement waits, and each new part pushes it back.
    let debounce = Duration::from_millis(1500);
    let later = "SELECT count(*) FROM outbox WHERE post_id = ?1 AND kind = 'announce' \
                 AND next_attempt_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 seconds')";
    let slow = created(
        submit(&store.db, &store.batcher, &part(2, "s", 30, ""), Admission::OPEN, None, debounce).await.unwrap(),
    );
    assert_eq!(scalar(&store, later, slow.0).await, 1);
    sqlx::query("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE post_id = ?1")
        .bind(slow.0)
        .execute(&store.db.writer)
        .await
        .unwrap();
    let joined =
        submit(&store.db, &store.batcher, &part(2, "s", 31, ""), Admission::OPEN, None, debounce).await.unwrap();
    assert_eq!(joined, SubmitOutcome::AlbumPart(slow));
    assert_eq!(scalar(&store, later, slow.0).await, 1, "pushed back");
}

#[tokio::test]
async fn a_bad_submission_fails_alone_in_its_batch() {
    // 40 submissions queued before the writer runs (one thread): one batch. An 11-item album
    // goes the one-by-one way; 11 items without an album fail the fast path first.
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir).await);
    for (round, group) in [(0, Some("big")), (1, None)] {
        let bad = 3 + round * 10;
        let mut too_many = part(bad, "big", 100, "eleven");
        too_many.media_group_id = group.map(Into::into);
        too_many.media = (0..11).flat_map(|i| part(bad, "big", 100 + i, "").media).collect();
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let store = Arc::clone(&store);
                let post = if i == 20 {
                    too_many.clone()
                } else {
                    text(4 + round * 10, 1000 * i32::try_from(round).unwrap() + i, "fine")
                };
                tokio::spawn(async move { store.submit(&post).await })
            })
            .collect();
        let results: Vec<_> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
        assert!(results[20].is_err(), "{:?}", results[20]);
        assert_eq!(results.iter().filter(|r| matches!(r, Ok(SubmitOutcome::Created(_)))).count(), 39);
        assert_eq!(scalar(&store, "SELECT count(*) FROM posts WHERE author_id = ?1", bad).await, 0);
        assert_eq!(scalar(&store, "SELECT count(*) FROM authors WHERE id = ?1", bad).await, 0, "not even its author");
    }
}

#[tokio::test]
async fn a_batch_gets_the_verdicts_of_one_by_one() {
    // Queued before the writer runs (one thread): one batch, the fast path.
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir).await);
    let mut renamed = text(7, 2, "two");
    renamed.author.first_name = "Renamed".into();
    let posts = [text(7, 1, "one"), renamed, text(7, 1, "one again"), text(7, 3, "three"), text(8, 3, "other")];
    let tasks: Vec<_> = posts
        .into_iter()
        .map(|post| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.submit_with(&post, capped(2)).await.unwrap() })
        })
        .collect();
    let outcomes: Vec<_> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let first = created(outcomes[0]);
    assert!(matches!(outcomes[1], SubmitOutcome::Created(_)), "{outcomes:?}");
    assert_eq!(outcomes[2], SubmitOutcome::Duplicate(first), "a repeat within the batch");
    assert_eq!(outcomes[3], SubmitOutcome::Refused(Refusal::TooManyPending(2)), "the cap counts the batch");
    assert!(matches!(outcomes[4], SubmitOutcome::Created(_)), "message 3 was refused, never stored: {outcomes:?}");
    let author = author(&store.db, UserId(7)).await.unwrap().unwrap();
    assert_eq!((author.profile.first_name.as_str(), author.pending), ("Renamed", 2), "the last admitted profile");
}

#[tokio::test]
async fn album_parts_inside_a_batch_keep_the_order() {
    // Texts, an album's parts and texts again in one batch: runs of texts take the fast path,
    // the parts go one by one between them, and the cap counts them all in arrival order.
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir).await);
    let posts = [
        text(9, 1, "one"),
        text(9, 2, "two"),
        part(9, "m", 50, "album"),
        part(9, "m", 51, ""),
        text(9, 2, "two again"),
        text(9, 3, "three"),
        part(9, "n", 60, "album over the cap"),
    ];
    let tasks: Vec<_> = posts
        .into_iter()
        .map(|post| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.submit_with(&post, capped(3)).await.unwrap() })
        })
        .collect();
    let outcomes: Vec<_> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let (two, album) = (created(outcomes[1]), created(outcomes[2]));
    created(outcomes[0]);
    assert_eq!(outcomes[3], SubmitOutcome::AlbumPart(album));
    assert_eq!(outcomes[4], SubmitOutcome::Duplicate(two));
    assert_eq!(outcomes[5], SubmitOutcome::Refused(Refusal::TooManyPending(3)), "{outcomes:?}");
    assert_eq!(outcomes[6], SubmitOutcome::Refused(Refusal::TooManyPending(3)), "{outcomes:?}");
    assert_eq!(scalar(&store, "SELECT count(*) FROM media WHERE post_id = ?1", album.0).await, 2);
}

#[tokio::test]
async fn edits_apply_while_pending() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let mut album = part(5, "a", 20, "caption");
    album.media.extend(part(5, "a", 21, "").media);
    let id = created(store.submit(&album).await.unwrap());
    let edit = |message: i32, body: &str| AuthorEdit {
        source_chat_id: CHAT,
        source_message_id: message,
        body: body.into(),
        entities: serde_json::json!([]),
    };
    assert_eq!(author_edit(&store.db, &edit(21, "Новая")).await.unwrap(), AuthorEditOutcome::Updated(id));
    assert_eq!(author_edit(&store.db, &edit(22, "x")).await.unwrap(), AuthorEditOutcome::Unknown);
    assert_eq!(scalar(&store, "SELECT edited_by_author FROM posts WHERE id = ?1", id.0).await, 1);
    assert_eq!(
        scalar(&store, "SELECT count(*) FROM outbox WHERE post_id = ?1 AND kind = 'update_card'", id.0).await,
        1
    );
    sqlx::query("UPDATE posts SET status = 'rejected', decided_by = 1 WHERE id = ?1")
        .bind(id.0)
        .execute(&store.db.writer)
        .await
        .unwrap();
    assert_eq!(author_edit(&store.db, &edit(20, "late")).await.unwrap(), AuthorEditOutcome::TooLate(id));
}

#[tokio::test]
async fn fingerprints_flag_the_earliest_repost() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let first = created(store.submit(&part(6, "x", 1, "")).await.unwrap());
    let second = created(store.submit(&part(6, "y", 2, "")).await.unwrap());
    assert_eq!(set_media_hash(&store.db, first, 0, "abc").await.unwrap(), None);
    assert_eq!(set_media_hash(&store.db, second, 0, "abc").await.unwrap(), Some(first));
    assert_eq!(scalar(&store, "SELECT duplicate_of FROM posts WHERE id = ?1", second.0).await, first.0);
    set_locale_override(&store.db, UserId(6), Some("en")).await.unwrap();
    assert_eq!(locale_override(&store.db, UserId(6)).await.unwrap().as_deref(), Some("en"));
    assert_eq!(authors(&store.db, &[UserId(6), UserId(404)]).await.unwrap().len(), 1);
}

/// 10 000 submissions from 2 000 authors at once: each stored once, the cap held per author.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_stored_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir).await);
    let started = Instant::now();
    let tasks: Vec<_> = (0..10_000_i32)
        .map(|i| {
            let store = Arc::clone(&store);
            // Every 7th is a redelivery of the message before it.
            let message = if i % 7 == 6 { i - 1 } else { i };
            let post = text(i64::from(message % 2_000), message, "burst");
            tokio::spawn(async move { store.submit_with(&post, capped(4)).await.unwrap() })
        })
        .collect();
    let outcomes: Vec<_> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let elapsed = started.elapsed();
    let count = |f: fn(&SubmitOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let created = count(|o| matches!(o, SubmitOutcome::Created(_)));
    let duplicates = count(|o| matches!(o, SubmitOutcome::Duplicate(_)));
    let refused = count(|o| matches!(o, SubmitOutcome::Refused(Refusal::TooManyPending(4))));
    let stored = scalar(&store, "SELECT count(*) FROM posts WHERE ?1", 1).await;
    println!("10 000 submissions in {elapsed:?}: {created} created, {duplicates} duplicates, {refused} refused");
    assert_eq!(i64::try_from(created).unwrap(), stored);
    assert_eq!(created + duplicates + refused, 10_000);
    assert!(duplicates > 0 && refused > 0, "redeliveries are duplicates; fifth posts are refused");
    let over =
        scalar(&store, "SELECT count(*) FROM (SELECT author_id FROM posts GROUP BY author_id HAVING count(*) > ?1)", 4)
            .await;
    assert_eq!(over, 0, "no author passed the cap");
}
