//! `postgate migrate-data`: a SQLite installation built through the `Store` trait
//! (`installation.rs`: posts with media and albums, decisions, claims, bans, the log, outbox
//! jobs in every state, locale overrides, a failed card) moves into a fresh `PostgreSQL`
//! database and reads back the same there, new ids following the moved ones; a target holding
//! data, a failed copy and an unknown column leave the target untouched; the command line
//! refuses the wrong direction. `MIGDATA_POSTS=100000` times a large move (2 000 by default).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod installation;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use postgate::config::{Config, DatabaseConfig};
use postgate::domain::{ActionSource, UserId};
use postgate::store::migrate_data::{MigrateDataError, migrate_data};
use postgate::store::{BanRequest, Store, StoreError};

use common::MOD_A;
use installation::{build, snapshot};

static SEQ: AtomicU32 = AtomicU32::new(0);

fn admin_url() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgate".into());
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b).to_owned();
    format!("{base}/postgres")
}

async fn admin(sql: String) {
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
}

/// A name and URL for a database that does not exist yet (migrate-data creates it).
async fn new_database() -> (String, String) {
    let name = format!("pg_migdata_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
    admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    let url = format!("{}/{name}", admin_url().rsplit_once('/').unwrap().0);
    (name, url)
}

async fn drop_database(name: &str) {
    admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
}

fn database(url: &str) -> DatabaseConfig {
    let env: HashMap<String, String> = [
        ("BOT_TOKEN", "123:abc".to_owned()),
        ("MODERATION_GROUP_ID", "-100123".to_owned()),
        ("CHANNEL_ID", "-100456".to_owned()),
        ("DATABASE_URL", url.to_owned()),
        ("DB_MAX_CONNECTIONS", "4".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Config::from_map(&env).unwrap().database
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("postgate.db").display())
}

async fn open(url: &str) -> Arc<dyn Store> {
    postgate::store::open(&database(url), Duration::ZERO).await.unwrap()
}

/// The highest id of each serial table, read from the SQLite file itself.
async fn max_ids(sqlite: &str) -> [i64; 3] {
    let pool = sqlx::SqlitePool::connect(sqlite).await.unwrap();
    let mut ids = [0; 3];
    for (slot, table) in ids.iter_mut().zip(["posts", "moderation_log", "outbox"]) {
        let sql = format!("SELECT coalesce(max(id), 0) FROM {table}");
        *slot = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&pool).await.unwrap();
    }
    pool.close().await;
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installation_moves_whole_and_new_ids_follow_the_moved_ones() {
    let n: usize = std::env::var("MIGDATA_POSTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_url(dir.path());
    let (name, pg) = new_database().await;
    let store = open(&sqlite).await;
    let started = Instant::now();
    let ids = build(&store, n).await;
    eprintln!("built a SQLite installation of {n} posts in {:.1?}", started.elapsed());
    let before = snapshot(store.as_ref(), &ids).await;

    // A console running on the file keeps it: the refusal names the holder.
    let held = migrate_data(&database(&sqlite), &database(&pg), |_| {}).await.unwrap_err();
    assert!(matches!(held, MigrateDataError::Source(StoreError::InUse { .. })), "{held:?}");
    assert!(held.is_setup());
    store.close().await;
    drop(store);

    let last = AtomicU64::new(0);
    let started = Instant::now();
    let counts = migrate_data(&database(&sqlite), &database(&pg), |p| {
        assert!(p.copied <= p.total);
        last.store(p.copied, Ordering::Relaxed);
    })
    .await
    .unwrap();
    let took = started.elapsed();
    eprintln!(
        "migrate-data: {n} posts, {} rows in {took:.2?} ({} rows/s): {:?}",
        counts.total(),
        counts.total() * 1000 / u64::try_from(took.as_millis()).unwrap().max(1),
        counts.tables
    );
    assert_eq!(last.load(Ordering::Relaxed), counts.total(), "the last progress report is the whole");
    assert_eq!(counts.rows("posts"), Some(n as u64));
    assert_eq!(counts.rows("media"), Some(3 * n.div_ceil(10) as u64));
    assert_eq!(counts.rows("authors"), Some(50));
    assert_eq!(counts.rows("moderators"), Some(2));
    assert_eq!(counts.rows("bans"), Some(3), "77777, 88881 and the rejected author; 88882 was lifted");

    let target = open(&pg).await;
    let after = snapshot(target.as_ref(), &ids).await;
    assert_eq!(before.len(), after.len());
    for ((what, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "{what} differs after the move");
    }
    let duplicate = target.post(ids[10]).await.unwrap().unwrap();
    assert_eq!(duplicate.duplicate_of, Some(ids[0]));
    assert!(after.iter().any(|(_, v)| v["card_error"] == "Bad Request: chat not found"), "the failed card moved");

    // New rows get ids above the moved ones, in every serial table.
    let [max_post, max_log, max_job] = max_ids(&sqlite).await;
    let fresh = common::text_post(1000, 99_999_999, "after the move");
    let id = target.submit(&fresh).await.unwrap().post_id().unwrap();
    assert!(id.0 > max_post, "new post {} after moved {max_post}", id.0);
    let request = BanRequest {
        user: UserId(5),
        moderator: MOD_A,
        source: ActionSource::Console,
        reason: String::new(),
        post: None,
    };
    target.ban(&request).await.unwrap();
    let newest = target.moderation_log(None, 1).await.unwrap();
    assert!(newest[0].id > max_log, "new log row {} after moved {max_log}", newest[0].id);
    let pool = sqlx::PgPool::connect(&pg).await.unwrap();
    let job: i64 =
        sqlx::query_scalar("SELECT min(id) FROM outbox WHERE post_id = $1").bind(id.0).fetch_one(&pool).await.unwrap();
    assert!(job > max_job, "new job {job} after moved {max_job}");
    pool.close().await;
    target.close().await;
    drop_database(&name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_holding_data_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_url(dir.path());
    let (name, pg) = new_database().await;
    let source = open(&sqlite).await;
    build(&source, 20).await;
    source.close().await;
    drop(source);
    let target = open(&pg).await;
    target.upsert_author(&common::author(1)).await.unwrap();
    target.close().await;

    let refused = migrate_data(&database(&sqlite), &database(&pg), |_| {}).await.unwrap_err();
    assert!(matches!(refused, MigrateDataError::TargetNotEmpty(_)), "{refused:?}");
    assert!(refused.is_setup());
    assert!(refused.to_string().contains("authors"), "names what holds rows: {refused}");
    let pool = sqlx::PgPool::connect(&pg).await.unwrap();
    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM authors), (SELECT count(*) FROM posts), (SELECT count(*) FROM bans)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counts, (1, 0, 0), "nothing was written");
    pool.close().await;
    // The source's lock was given back: a console can open it again.
    let again = open(&sqlite).await;
    assert!(again.stats().await.unwrap().rejected > 0);
    again.close().await;
    drop_database(&name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_that_fails_leaves_the_target_empty_with_its_schema_whole() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_url(dir.path());
    let (name, pg) = new_database().await;
    let source = open(&sqlite).await;
    build(&source, 40).await;
    source.close().await;
    drop(source);
    // The last table copied holds a payload PostgreSQL refuses as JSON: everything before it
    // was already sent when the copy fails.
    let raw = sqlx::SqlitePool::connect(&sqlite).await.unwrap();
    sqlx::query("UPDATE outbox SET payload = '{not json' WHERE id = (SELECT max(id) FROM outbox)")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;

    let failed = migrate_data(&database(&sqlite), &database(&pg), |_| {}).await.unwrap_err();
    assert!(matches!(failed, MigrateDataError::Copy(_)), "{failed:?}");
    assert!(!failed.is_setup(), "a failed copy is exit 1, not a setup problem");
    let pool = sqlx::PgPool::connect(&pg).await.unwrap();
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM authors) + (SELECT count(*) FROM posts) + (SELECT count(*) FROM media) \
         + (SELECT count(*) FROM moderation_log) + (SELECT count(*) FROM outbox)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rows, 0, "the copied tables were rolled back");
    // The indexes and foreign keys taken off during the copy are all there.
    let (indexes, foreign_keys): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() \
                 AND indexname IN ('posts_body_trgm', 'posts_album_unique', 'outbox_due', 'media_sha256')), \
                (SELECT count(*) FROM pg_constraint WHERE contype = 'f')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (indexes, foreign_keys),
        (4, 6),
        "posts→authors, posts→posts, media, log, outbox and post_messages (the thread); post_fingerprints \
         has none on PostgreSQL"
    );

    // A column the copy does not know is refused before anything is written.
    sqlx::query("ALTER TABLE posts ADD COLUMN pinned boolean").execute(&pool).await.unwrap();
    pool.close().await;
    let drift = migrate_data(&database(&sqlite), &database(&pg), |_| {}).await.unwrap_err();
    assert!(matches!(drift, MigrateDataError::Schema(_)), "{drift:?}");
    assert!(drift.to_string().contains("PostgreSQL posts: not copied [\"pinned\"]"), "{drift}");
    drop_database(&name).await;
}

fn postgate(args: &[&str]) -> std::process::Output {
    let logs = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_postgate"))
        .args(args)
        .current_dir(logs.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_moves_sqlite_to_postgres_only() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_url(dir.path());
    let (name, pg) = new_database().await;

    let out = postgate(&["migrate-data", "--from", &pg, "--to", &sqlite]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--from") && stderr.contains("SQLite"), "names the flag: {stderr}");
    let missing = postgate(&["migrate-data", "--from", &sqlite, "--to", &pg]);
    assert_eq!(missing.status.code(), Some(2), "a source that does not exist is not created");
    assert!(!dir.path().join("postgate.db").exists());

    let source = open(&sqlite).await;
    build(&source, 12).await;
    source.close().await;
    drop(source);
    let out = postgate(&["migrate-data", "--from", &sqlite, "--to", &pg]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.lines().any(|l| l.split_whitespace().eq(["posts", "12"])), "a summary: {stdout}");
    assert!(out.stderr.is_empty(), "no progress bar without a terminal: {:?}", String::from_utf8_lossy(&out.stderr));
    let again = postgate(&["migrate-data", "--from", &sqlite, "--to", &pg]);
    assert_eq!(again.status.code(), Some(2), "a second run finds the target full");
    assert!(String::from_utf8_lossy(&again.stderr).contains("--to: the target database is not empty"));
    drop_database(&name).await;
}
