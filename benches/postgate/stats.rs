//! Row 8, statistics: 100 000 posts over the last 90 days (every 10th pending, the rest
//! decided by five moderators within four hours, half of them published, rejections by three
//! reasons, a quarter with media, every 15th an album) and 1 000 000 moderation-log rows; each
//! chart of the console's Statistics view (`Store::chart`, one query) over the 90-day range in
//! Europe/Berlin — every post in it — against a `SELECT 1` round trip on the same store, then
//! the whole view (`charts::statistics`, eight queries). On `PostgreSQL` and on a SQLite file.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use postgate::config::Config;
use postgate::domain::StatsRange;
use postgate::store::Store;
use postgate::store::charts::{Chart, statistics};
use sqlx::Connection;

use crate::common::{self, Row, Stats, Table, ms};
use crate::sqlite::{self, Backend};

const TARGET: Duration = Duration::from_millis(50);
const VIEW_TARGET: Duration = Duration::from_secs(1);

/// Seconds in 90 days; a post every 77 s fills them with 100 000.
const SPREAD: &str = "7776000";

/// `PostgreSQL`: one statement per table, then VACUUM ANALYZE as autovacuum would.
const PG_SEED: &[&str] = &[
    "INSERT INTO authors (id, username, first_name) SELECT g, 'user' || g, 'First' || g FROM generate_series(1, 2000) g",
    "INSERT INTO moderators (user_id, display_name, source) \
     SELECT 70 + g, 'Moderator ' || g, 'config' FROM generate_series(1, 6) g",
    "INSERT INTO posts (id, author_id, source_chat_id, source_message_id, body, status, decided_by, decided_at, \
       published_at, reject_reason, arrived_at, created_at, updated_at, receipt_sent_at) \
     SELECT g, 1 + g % 2000, 1 + g % 2000, g, 'Post ' || g, \
       CASE WHEN g % 10 = 0 THEN 'pending' WHEN g % 10 < 6 THEN 'published' WHEN g % 10 < 9 THEN 'rejected' \
         ELSE 'approved' END, \
       CASE WHEN g % 10 <> 0 THEN 71 + g % 5 END, \
       CASE WHEN g % 10 <> 0 THEN t + (60 + g * 37 % 14400) * interval '1 second' END, \
       CASE WHEN g % 10 BETWEEN 1 AND 5 THEN t + (120 + g * 37 % 14400 + g % 600) * interval '1 second' END, \
       CASE WHEN g % 10 IN (6, 7, 8) THEN (ARRAY['template:spam', 'template:rules', 'custom:no'])[1 + g % 3] END, \
       t, t, t, t \
     FROM (SELECT g, now() - interval '90 days' + g * interval '77 seconds' AS t FROM generate_series(1, 100000) g) s",
    "SELECT setval('posts_id_seq', 100000)",
    "INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id) \
     SELECT g, pos, (ARRAY['photo','video','animation','document','audio','voice'])[1 + (g / 4 + pos) % 6], \
     'file-' || g || '-' || pos, 'u-' || g || '-' || pos, g * 10 + pos \
     FROM generate_series(1, 100000) g, generate_series(0, 2) pos WHERE g % 15 = 0 OR (g % 4 = 0 AND pos = 0)",
    // Each post's media kind, as intake writes it with the media.
    "UPDATE posts p SET media_kind = m.kind FROM (SELECT post_id, \
       CASE WHEN count(*) > 1 THEN 'album' ELSE min(kind) END AS kind FROM media GROUP BY post_id) m \
     WHERE m.post_id = p.id",
    "INSERT INTO moderation_log (post_id, moderator_id, action, source, created_at) \
     SELECT 1 + g % 100000, 71 + g % 5, (ARRAY['approve', 'reject', 'published', 'edit_approve'])[1 + g % 4], \
       'console', now() - g * interval '7 seconds' FROM generate_series(1, 1000000) g",
    "VACUUM ANALYZE",
];

/// The same in SQLite's terms (recursive CTEs, RFC 3339 text times); no ANALYZE, as the
/// store never runs it.
fn sqlite_seed() -> Vec<String> {
    let series = |n: u32| format!("WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) ");
    let at = |secs: &str| format!("strftime('%Y-%m-%dT%H:%M:%fZ', {secs}, 'unixepoch')");
    let t = format!("(unixepoch('now') - {SPREAD} + g * 77)");
    vec![
        format!(
            "{}INSERT INTO authors (id, username, first_name) SELECT g, 'user' || g, 'First' || g FROM s",
            series(2000)
        ),
        format!(
            "{}INSERT INTO moderators (user_id, display_name, source) SELECT 70 + g, 'Moderator ' || g, 'config' FROM s",
            series(6)
        ),
        format!(
            "{}INSERT INTO posts (id, author_id, source_chat_id, source_message_id, body, search_text, status, \
               decided_by, decided_at, published_at, reject_reason, arrived_at, created_at, updated_at, receipt_sent_at) \
             SELECT g, 1 + g % 2000, 1 + g % 2000, g, 'Post ' || g, 'post ' || g, \
               CASE WHEN g % 10 = 0 THEN 'pending' WHEN g % 10 < 6 THEN 'published' WHEN g % 10 < 9 THEN 'rejected' \
                 ELSE 'approved' END, \
               CASE WHEN g % 10 <> 0 THEN 71 + g % 5 END, \
               CASE WHEN g % 10 <> 0 THEN {decided} END, \
               CASE WHEN g % 10 BETWEEN 1 AND 5 THEN {published} END, \
               CASE WHEN g % 10 IN (6, 7, 8) THEN CASE g % 3 WHEN 0 THEN 'template:spam' WHEN 1 THEN 'template:rules' \
                 ELSE 'custom:no' END END, \
               {arrived}, {arrived}, {arrived}, {arrived} FROM s",
            series(100_000),
            decided = at(&format!("{t} + 60 + g * 37 % 14400")),
            published = at(&format!("{t} + 120 + g * 37 % 14400 + g % 600")),
            arrived = at(&t),
        ),
        format!(
            "{}, p(pos) AS (VALUES (0), (1), (2)) \
             INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id) \
             SELECT g, pos, CASE (g / 4 + pos) % 6 WHEN 0 THEN 'photo' WHEN 1 THEN 'video' WHEN 2 THEN 'animation' \
               WHEN 3 THEN 'document' WHEN 4 THEN 'audio' ELSE 'voice' END, \
               'file-' || g || '-' || pos, 'u-' || g || '-' || pos, g * 10 + pos \
             FROM s, p WHERE g % 15 = 0 OR (g % 4 = 0 AND pos = 0)",
            series(100_000)
        ),
        "UPDATE posts SET media_kind = (SELECT CASE WHEN count(*) > 1 THEN 'album' ELSE min(kind) END FROM media m \
           WHERE m.post_id = posts.id) WHERE id IN (SELECT post_id FROM media)"
            .to_owned(),
        format!(
            "{}INSERT INTO moderation_log (post_id, moderator_id, action, source, created_at) \
             SELECT 1 + g % 100000, 71 + g % 5, CASE g % 4 WHEN 0 THEN 'approve' WHEN 1 THEN 'reject' \
               WHEN 2 THEN 'published' ELSE 'edit_approve' END, 'console', {} FROM s",
            series(1_000_000),
            at("unixepoch('now') - g * 7")
        ),
    ]
}

pub async fn run(table: &mut Table) {
    let first = table.len();
    postgres(table).await;
    let second = table.len();
    embedded(table).await;
    table.interleave(first, second);
}

fn section(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "8 statistics (PostgreSQL)",
        Backend::Sqlite => "8 statistics (SQLite)",
    }
}

async fn open(env: &HashMap<String, String>) -> Arc<dyn Store> {
    let config = Config::from_map(env).unwrap();
    postgate::store::open(&config.database, Duration::ZERO).await.unwrap()
}

async fn postgres(table: &mut Table) {
    println!("statistics: seeding 100000 posts and 1000000 log rows");
    let (db_name, db_url) = common::fresh_database("stats").await;
    let logs = tempfile::tempdir().unwrap();
    let env: HashMap<String, String> =
        common::bot_env(&db_url, "http://127.0.0.1:9/", logs.path(), &db_name).into_iter().collect();
    let store = open(&env).await;
    let pool = sqlx::PgPool::connect(&db_url).await.unwrap();
    let started = Instant::now();
    for sql in PG_SEED {
        sqlx::query(*sql).execute(&pool).await.unwrap();
    }
    println!("statistics: seeded in {:.1} s", started.elapsed().as_secs_f64());
    pool.close().await;
    measure(table, Backend::Postgres, &*store).await;
    store.close().await;
    common::drop_database(&db_name).await;
}

async fn embedded(table: &mut Table) {
    println!("statistics (SQLite): seeding 100000 posts and 1000000 log rows");
    let dir = tempfile::tempdir().unwrap();
    let (path, url) = sqlite::database(dir.path());
    let mut conn = sqlite::connect(&path).await;
    postgate::store::sqlite::MIGRATOR.run(&mut conn).await.unwrap();
    let started = Instant::now();
    for sql in sqlite_seed() {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
    println!("statistics (SQLite): seeded in {:.1} s", started.elapsed().as_secs_f64());
    conn.close().await.unwrap();
    let env: HashMap<String, String> =
        sqlite::bot_env(&url, "http://127.0.0.1:9/", dir.path(), "stats-sqlite").into_iter().collect();
    let store = open(&env).await;
    measure(table, Backend::Sqlite, &*store).await;
    store.close().await;
}

async fn measure(table: &mut Table, backend: Backend, store: &dyn Store) {
    // A quarter of `BENCH_ITERS` (at least 50): a chart takes tens of milliseconds, not one.
    let iters = (common::iterations() / 4).max(50);
    let range = StatsRange::last_days(chrono::Utc::now(), 90, "Europe/Berlin").unwrap();
    let baseline = common::sample(iters, |_| async { store.ping().await.unwrap() }).await;
    let all = statistics(store, &range).await.unwrap();
    let submitted: i64 = all.submissions.iter().map(|d| d.published + d.approved + d.pending).sum();
    assert!(submitted > 50_000, "the range holds the seeded posts ({submitted})");
    for chart in Chart::ALL {
        let s = common::sample(iters, |_| async move {
            store.chart(&range, chart).await.unwrap();
        })
        .await;
        push(table, backend, &format!("{chart:?} (one query, 90 days)"), s, baseline, TARGET);
    }
    let s = common::sample(iters / 10, |_| async {
        statistics(store, &range).await.unwrap();
    })
    .await;
    push(table, backend, "whole view (8 queries)", s, baseline, VIEW_TARGET);
}

fn push(table: &mut Table, backend: Backend, name: &str, s: Stats, baseline: Stats, target: Duration) {
    table.push(Row {
        section: section(backend),
        name: name.to_owned(),
        value: format!("median {:.2} ms, p95 {:.2} ms", ms(s.median), ms(s.p95)),
        baseline: format!("SELECT 1: {:.3} ms", ms(baseline.median)),
        ratio: format!("{:.0}×", s.median.as_secs_f64() / baseline.median.as_secs_f64().max(1e-9)),
        target: format!("< {} ms median", target.as_millis()),
        met: Some(s.median < target),
    });
}
