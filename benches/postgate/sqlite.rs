//! The SQLite side of the rows (the embedded default store): a database file in a temporary
//! folder, the environment of a `PostGate` process on it (no Redis: the in-process cache),
//! connections beside the store's, the queue's seed in SQLite's terms, plain-SQLite baselines
//! and query plans.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};

/// Which store a row measures; part of the row's section, so the table reads
/// "3 intake (SQLite)" next to "3 intake (PostgreSQL)".
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        }
    }
}

/// The database file in `dir` and its `sqlite://` URL.
pub fn database(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("postgate.db");
    let url = format!("sqlite://{}", path.display());
    (path, url)
}

/// `common::bot_env` on a SQLite file, without Redis (an empty `REDIS_URL` counts as unset and
/// overrides the one the bench itself was started with).
pub fn bot_env(db_url: &str, api_url: &str, log_dir: &Path, tag: &str) -> Vec<(String, String)> {
    let mut env = crate::common::bot_env(db_url, api_url, log_dir, tag);
    for (k, v) in &mut env {
        if k == "REDIS_URL" {
            v.clear();
        }
    }
    env
}

/// A connection with the store's own settings (WAL, synchronous FULL), creating the file.
pub async fn connect(path: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10));
    SqliteConnection::connect_with(&options).await.unwrap()
}

/// A read-only connection (counts after a `postgate` process has let the file go).
pub async fn read_only(path: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display())).unwrap().read_only(true);
    SqliteConnection::connect_with(&options).await.unwrap()
}

pub async fn scalar(conn: &mut SqliteConnection, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(conn).await.unwrap()
}

const FILLER: &str = " and some more filler text";

/// Row 1's seed (see `queue::SEED`) in SQLite's terms: recursive CTEs for `generate_series`,
/// `substr` of a repeated filler for `repeat`, RFC 3339 text times, `search_text` = the body
/// folded to lower case (ASCII here, so `lower` folds it as the store does); the FTS5 index
/// `posts_search` is filled by the schema's trigger. No ANALYZE: `PostGate` never runs it on
/// SQLite, so a file grown to this size has no statistics either.
pub fn seed() -> Vec<String> {
    let series = |n: u32| format!("WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {n}) ");
    let time = |offset: &str| format!("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ({offset}) || ' seconds')");
    vec![
        format!(
            "{}INSERT INTO authors (id, username, first_name, last_name, language_code) \
             SELECT n, 'user' || n, 'First' || n, CASE WHEN n % 3 = 0 THEN 'Last' || n END, 'en' FROM g",
            series(2_000)
        ),
        format!(
            "{}INSERT INTO posts (id, author_id, source_chat_id, source_message_id, media_group_id, body, \
             search_text, status, decided_by, decided_at, created_at, updated_at, receipt_sent_at) \
             SELECT n, 1 + n % 2000, 1 + n % 2000, n, CASE WHEN n % 15 = 0 THEN 'album' || n END, body, lower(body), \
             status, CASE WHEN status = 'pending' THEN NULL ELSE 77 END, \
             CASE WHEN status = 'pending' THEN NULL ELSE {} END, {created}, {created}, {created} \
             FROM (SELECT n, 'Post number ' || n || CASE WHEN n % 50 = 0 THEN ' with the word we look for' \
             ELSE ' about cats and the weather' END || substr('{}', 1, {} * (n % 8)) AS body, \
             CASE WHEN n % 10 = 0 THEN 'pending' WHEN n % 10 < 7 THEN 'published' WHEN n % 10 < 9 THEN 'rejected' \
             ELSE 'approved' END AS status FROM g)",
            series(100_000),
            time("60 - (100000 - n)"),
            FILLER.repeat(7),
            FILLER.len(),
            created = time("-(100000 - n)"),
        ),
        format!(
            "{}, p(pos) AS (VALUES (0), (1), (2)) \
             INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id) \
             SELECT n, pos, CASE (n / 4 + pos) % 6 WHEN 0 THEN 'photo' WHEN 1 THEN 'video' WHEN 2 THEN 'animation' \
             WHEN 3 THEN 'document' WHEN 4 THEN 'audio' ELSE 'voice' END, \
             'file-' || n || '-' || pos, 'u-' || n || '-' || pos, n * 10 + pos \
             FROM g, p WHERE n % 15 = 0 OR (n % 4 = 0 AND pos = 0)",
            series(100_000).trim_end()
        ),
    ]
}

/// The statements the store's `list_posts` sends (`src/store/sqlite/reads.rs`), with literals.
const SUMMARY: &str = "SELECT p.id, p.author_id, trim(a.first_name || ' ' || coalesce(a.last_name, '')) AS author_name, \
     p.status, substr(p.body, 1, 160) AS excerpt, \
     (SELECT count(*) FROM media m WHERE m.post_id = p.id) AS media_count, \
     (SELECT m.kind FROM media m WHERE m.post_id = p.id ORDER BY m.position LIMIT 1) AS first_media_kind, \
     p.edited_by_author, p.claimed_by, p.claim_expires_at, p.created_at, p.decided_at \
     FROM posts p JOIN authors a ON a.id = p.author_id";
pub const FILTERS: [(&str, &str); 3] = [
    ("list pending", " WHERE 1 AND p.status = 'pending'"),
    ("filter photo", " WHERE 1 AND EXISTS (SELECT 1 FROM media m WHERE m.post_id = p.id AND m.kind = 'photo')"),
    ("search", " WHERE 1 AND p.id IN (SELECT rowid FROM posts_search WHERE posts_search MATCH '\"word\"')"),
];
const PAGE: &str = " ORDER BY p.created_at, p.id LIMIT 50 OFFSET 0";

/// Prints `EXPLAIN QUERY PLAN` of a list page and its count.
pub async fn explain(conn: &mut SqliteConnection, name: &str, filter: &str) {
    for (what, sql) in
        [("page", format!("{SUMMARY}{filter}{PAGE}")), ("count", format!("SELECT count(*) FROM posts p{filter}"))]
    {
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        println!("queue (SQLite): EXPLAIN QUERY PLAN {name} ({what}):");
        for (_, _, _, detail) in &plan {
            println!("    {detail}");
        }
    }
}

/// 10 000 single-row autocommit INSERTs on a fresh file with the store's settings, one after
/// another on one connection (row 3's baseline); rows/s.
pub async fn autocommit_insert_loop(path: &Path, rows: i64) -> f64 {
    let mut conn = connect(path).await;
    sqlx::query("CREATE TABLE insert_baseline (id INTEGER NOT NULL, body TEXT NOT NULL)")
        .execute(&mut conn)
        .await
        .unwrap();
    let start = Instant::now();
    for i in 0..rows {
        sqlx::query("INSERT INTO insert_baseline (id, body) VALUES (?1, ?2)")
            .bind(i)
            .bind(format!("Submission {i}: a story about a cat"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let rate = rows as f64 / start.elapsed().as_secs_f64();
    conn.close().await.unwrap();
    rate
}

/// Row 2's baseline: the ban file read and parsed, then one prepared single-row `INSERT` per
/// line in one transaction, into a table shaped like `bans` (same key and defaults) in a fresh
/// file with the store's settings. Returns the time and the rows stored.
pub async fn insert_loop_bans(path: &Path, file: &Path) -> (Duration, i64) {
    let mut conn = connect(path).await;
    sqlx::query(
        "CREATE TABLE bans_like (user_id INTEGER PRIMARY KEY, reason TEXT NOT NULL DEFAULT '', banned_by INTEGER, \
         created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let start = Instant::now();
    let text = std::fs::read_to_string(file).unwrap();
    let mut tx = conn.begin().await.unwrap();
    for line in text.lines() {
        let (id, reason) = line.split_once(',').unwrap();
        sqlx::query("INSERT INTO bans_like (user_id, reason) VALUES (?1, ?2)")
            .bind(id.parse::<i64>().unwrap())
            .bind(reason)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let took = start.elapsed();
    let stored = scalar(&mut conn, "SELECT count(*) FROM bans_like").await;
    conn.close().await.unwrap();
    (took, stored)
}
