//! `postgate migrate-data`: a SQLite installation built through the `Store` trait (posts with
//! media and albums, decisions, claims, bans, the log, outbox jobs in every state, locale
//! overrides, a failed card) moves into a fresh `PostgreSQL` database and reads back the same
//! there, new ids following the moved ones; a target holding data is refused untouched; the
//! command line refuses the wrong direction. `MIGDATA_POSTS=100000` times a large move.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use postgate::config::{Config, DatabaseConfig};
use postgate::domain::{ActionSource, MediaKind, PostId, RejectReason, UserId};
use postgate::store::migrate_data::{MigrateDataError, migrate_data};
use postgate::store::{
    AuthorEdit, BanImportRow, BanRequest, Decision, DecisionKind, ModeratorProfile, OutboxKind, OutboxResult,
    PostQuery, Store, StoreError, SubmitOutcome,
};
use serde_json::{Value, json};

use common::{MOD_A, MOD_B, album_post, text_post};

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

/// Body text with everything COPY's text format escapes, and more.
fn body(i: usize) -> String {
    format!("post {i}\tтаб\\слеш\r\n\\.\n\"quoted\", 🙂 {}", "x".repeat(i % 300))
}

/// Submits posts `range` (from 50 authors, every tenth an album of three); returns their ids.
async fn submit_all(store: &Arc<dyn Store>, range: std::ops::Range<usize>) -> Vec<PostId> {
    let kinds = [MediaKind::Photo, MediaKind::Video, MediaKind::Document];
    let submissions = range.map(|i| {
        let author = 1000 + i64::try_from(i % 50).unwrap();
        let message = i32::try_from(i * 10 + 1).unwrap();
        let mut post = if i % 10 == 0 {
            album_post(author, message, &body(i), &kinds)
        } else {
            text_post(author, message, &body(i))
        };
        if i % 2 == 1 {
            post.entities =
                json!([{"type": "bold", "offset": 0, "length": 4}, {"type": "url", "offset": 5, "length": 1}]);
        }
        post
    });
    let mut ids: Vec<PostId> = futures::stream::iter(submissions)
        .map(|post| {
            let store = store.clone();
            async move {
                match store.submit(&post).await.unwrap() {
                    SubmitOutcome::Created(id) => id,
                    other => panic!("stored: {other:?}"),
                }
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    ids.sort_by_key(|id| id.0);
    ids
}

/// Approves (some with an edited text) or rejects most of `ids`, the `i`-th by `i % 7`.
async fn decide_all(store: &Arc<dyn Store>, ids: &[PostId], first: usize) {
    let decisions = ids.iter().zip(first..).filter_map(|(&post_id, i)| {
        let kind = match i % 7 {
            1 => DecisionKind::Approve { edited_body: None },
            2 => DecisionKind::Approve { edited_body: Some(format!("moderated {i}\n\\N")) },
            3 | 6 => DecisionKind::Reject {
                reason: RejectReason::custom("не формат\tсовсем").unwrap(),
                ban_author: false,
            },
            _ => return None,
        };
        Some(Decision {
            post_id,
            moderator: if i % 2 == 0 { MOD_A } else { MOD_B },
            source: ActionSource::Console,
            kind,
        })
    });
    futures::stream::iter(decisions)
        .map(|d| {
            let store = store.clone();
            async move { store.decide(&d).await.unwrap() }
        })
        .buffer_unordered(8)
        .for_each(|_| async {})
        .await;
}

/// Takes the outbox's first jobs through every state: card sent, card failed, published,
/// publish failed, retried after an error, part-sent, done.
async fn work_outbox(store: &Arc<dyn Store>) {
    let jobs = store.lease_outbox(400, 60).await.unwrap();
    let (mut card_failed, mut published, mut publish_failed) = (false, false, false);
    for (i, job) in jobs.iter().enumerate() {
        let result = match job.kind {
            OutboxKind::Announce if !card_failed => {
                card_failed = true;
                OutboxResult::CardFailed { error: "Bad Request: chat not found".into() }
            }
            OutboxKind::Announce => OutboxResult::Announced { card_message_id: 500 + i32::try_from(i).unwrap() },
            OutboxKind::Publish if !published => {
                published = true;
                OutboxResult::Published { channel_message_id: 42 }
            }
            OutboxKind::Publish if !publish_failed => {
                publish_failed = true;
                OutboxResult::PublishFailed { error: "Forbidden: bot is not a member".into() }
            }
            _ if i % 3 == 0 => {
                store.retry_outbox(job, "timeout\nagain", 30).await.unwrap();
                continue;
            }
            _ if i % 3 == 1 => {
                store.record_outbox_progress(job, &[7, 8]).await.unwrap();
                continue;
            }
            _ => OutboxResult::Done,
        };
        store.complete_outbox(job, &result).await.unwrap();
    }
    assert!(card_failed && published && publish_failed, "every state reached");
}

/// Fills `store` with `n` posts and the rest of an installation's life; returns the posts' ids.
async fn build(store: &Arc<dyn Store>, n: usize) -> Vec<PostId> {
    // A first few posts decided and worked through the outbox, then the bulk.
    let early = n.min(30);
    let mut ids = submit_all(store, 0..early).await;
    decide_all(store, &ids, 0).await;
    work_outbox(store).await;
    let rest = submit_all(store, early..n).await;
    decide_all(store, &rest, early).await;
    ids.extend(rest);
    let edit = AuthorEdit {
        source_chat_id: common::CHAT,
        source_message_id: 5 * 10 + 1,
        body: "edited 5".into(),
        entities: json!([{"type": "italic", "offset": 0, "length": 6}]),
    };
    store.author_edit(&edit).await.unwrap();
    store.set_locale_override(UserId(1000), Some("en")).await.unwrap();
    store.set_locale_override(UserId(1001), Some("ru")).await.unwrap();
    for (id, name) in [(MOD_A, "Анна"), (MOD_B, "Bob")] {
        let source = "console";
        let profile = ModeratorProfile { id, display_name: name.into(), username: Some(name.to_lowercase()), source };
        store.upsert_moderator(&profile).await.unwrap();
    }
    // One author banned with a rejection, one claim held, bans pressed, imported and lifted.
    let reject_and_ban = DecisionKind::Reject { reason: RejectReason::custom("spam").unwrap(), ban_author: true };
    let decision = Decision { post_id: ids[4], moderator: MOD_A, source: ActionSource::Telegram, kind: reject_and_ban };
    store.decide(&decision).await.unwrap();
    store.claim(ids[11], MOD_B, 3600).await.unwrap();
    let ban = BanRequest {
        user: UserId(77_777),
        moderator: MOD_B,
        source: ActionSource::Console,
        reason: "флуд".into(),
        post: None,
    };
    store.ban(&ban).await.unwrap();
    let imported = vec![
        BanImportRow { user_id: 88_881, reason: "a, \"b\"\t\\".into() },
        BanImportRow { user_id: 88_882, reason: "line\nbreak".into() },
    ];
    store.import_bans(futures::stream::iter([imported]).boxed()).await.unwrap();
    store.unban(UserId(88_882), MOD_A, ActionSource::Console).await.unwrap();
    // Two albums with the same first file: the later one is a duplicate of the earlier.
    store.set_media_hash(ids[0], 0, "abc123").await.unwrap();
    store.set_media_hash(ids[10], 0, "abc123").await.unwrap();
    ids
}

/// Everything the store shows of an installation, as JSON (times as instants, JSON as values).
async fn snapshot(store: &dyn Store, ids: &[PostId]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut posts = store.posts(chunk).await.unwrap();
        posts.sort_by_key(|p| p.id.0);
        for post in posts {
            out.push((format!("post {}", post.id.0), serde_json::to_value(post).unwrap()));
        }
    }
    let author_ids: Vec<UserId> = (1000..1050).map(UserId).collect();
    let mut authors = store.authors(&author_ids).await.unwrap();
    authors.sort_by_key(|a| a.profile.id.0);
    out.push(("authors".into(), serde_json::to_value(authors).unwrap()));
    out.push(("log".into(), serde_json::to_value(store.moderation_log(None, 1000).await.unwrap()).unwrap()));
    for id in ids.iter().take(30) {
        let log = store.moderation_log(Some(*id), 50).await.unwrap();
        out.push((format!("log of {}", id.0), serde_json::to_value(log).unwrap()));
    }
    for user in [1004, 77_777, 88_881, 88_882] {
        out.push((format!("ban of {user}"), serde_json::to_value(store.ban_of(UserId(user)).await.unwrap()).unwrap()));
    }
    for id in [MOD_A, MOD_B] {
        out.push((format!("moderator {}", id.0), json!(store.moderator_name(id).await.unwrap())));
    }
    out.push(("stats".into(), serde_json::to_value(store.stats().await.unwrap()).unwrap()));
    out.push(("outbox backlog".into(), json!(store.outbox_backlog().await.unwrap())));
    let search = PostQuery { search: Some("ТАБ\\сл".into()), ..PostQuery::default() };
    out.push(("search total".into(), json!(store.list_posts(&search).await.unwrap().total)));
    out.push(("locale".into(), json!(store.locale_override(UserId(1000)).await.unwrap())));
    out
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
