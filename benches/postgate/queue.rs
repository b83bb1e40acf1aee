//! Row 1, queue commands: 100 000 seeded posts, then the console's reads and decisions through
//! the same core functions the Tauri commands call (`Store`, `moderation::decide`), against a
//! `SELECT 1` round trip on the same pool. Also prints the plans of the list and filter queries.
//! The same on a SQLite file (seeded in its own terms), each figure beside `PostgreSQL`'s.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use postgate::config::Config;
use postgate::domain::{ActionSource, MediaKind, PostId, PostStatus, UserId};
use postgate::services::Services;
use postgate::store::{Decision, DecisionKind, PostQuery};
use sqlx::{Connection, PgPool};

use crate::common::{self, MODERATOR, Row, Stats, Table, ms};
use crate::sqlite::{self, Backend};

const POSTS: i64 = 100_000;
const TARGET: Duration = Duration::from_millis(20);

/// One bulk statement per table: 2 000 authors; 100 000 posts, every 10th pending (the rest
/// decided), every 15th an album of three media, every 4th with one medium; 2% mention "word".
/// Every post's receipt is recorded, as for posts that arrived one by one (left NULL, the
/// console's bot would start by sweeping 10 000 "unreceipted" pending posts, 200 a minute).
/// Then VACUUM ANALYZE, as autovacuum would have done on a database that grew to this size.
/// The desktop row seeds its console the same way.
pub const SEED: &[&str] = &[
    "INSERT INTO authors (id, username, first_name, last_name, language_code) \
     SELECT g, 'user' || g, 'First' || g, CASE WHEN g % 3 = 0 THEN 'Last' || g END, 'en' \
     FROM generate_series(1, 2000) g",
    "INSERT INTO posts (id, author_id, source_chat_id, source_message_id, media_group_id, body, status, \
     decided_by, decided_at, created_at, updated_at, receipt_sent_at) \
     SELECT g, 1 + g % 2000, 1 + g % 2000, g, CASE WHEN g % 15 = 0 THEN 'album' || g END, \
     'Post number ' || g || CASE WHEN g % 50 = 0 THEN ' with the word we look for' ELSE ' about cats and the weather' END \
     || repeat(' and some more filler text', g % 8), \
     CASE WHEN g % 10 = 0 THEN 'pending' WHEN g % 10 < 7 THEN 'published' WHEN g % 10 < 9 THEN 'rejected' ELSE 'approved' END, \
     CASE WHEN g % 10 = 0 THEN NULL ELSE 77 END, \
     CASE WHEN g % 10 = 0 THEN NULL ELSE now() - (100000 - g) * interval '1 second' + interval '1 minute' END, \
     now() - (100000 - g) * interval '1 second', now() - (100000 - g) * interval '1 second', \
     now() - (100000 - g) * interval '1 second' \
     FROM generate_series(1, 100000) g",
    "SELECT setval('posts_id_seq', 100000)",
    "INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id) \
     SELECT g, pos, (ARRAY['photo','video','animation','document','audio','voice'])[1 + (g / 4 + pos) % 6], \
     'file-' || g || '-' || pos, 'u-' || g || '-' || pos, g * 10 + pos \
     FROM generate_series(1, 100000) g, generate_series(0, 2) pos \
     WHERE g % 15 = 0 OR (g % 4 = 0 AND pos = 0)",
    "VACUUM ANALYZE",
];

/// The statements `list_posts` sends (see `src/store/postgres/posts.rs`), with literals.
const SUMMARY: &str = "SELECT p.id, p.author_id, trim(a.first_name || ' ' || coalesce(a.last_name, '')) AS author_name, \
     p.status, left(p.body, 160) AS excerpt, \
     (SELECT count(*) FROM media m WHERE m.post_id = p.id) AS media_count, \
     (SELECT m.kind FROM media m WHERE m.post_id = p.id ORDER BY m.position LIMIT 1) AS first_media_kind, \
     p.edited_by_author, p.claimed_by, p.claim_expires_at, p.created_at, p.decided_at \
     FROM posts p JOIN authors a ON a.id = p.author_id";
const PENDING: &str = " WHERE true AND p.status = 'pending'";
const PHOTO: &str = " WHERE true AND EXISTS (SELECT 1 FROM media m WHERE m.post_id = p.id AND m.kind = 'photo')";
const SEARCH: &str = " WHERE true AND p.body ILIKE '%word%'";
const PAGE: &str = " ORDER BY p.created_at, p.id LIMIT 50 OFFSET 0";

pub async fn run(table: &mut Table) {
    let first = table.len();
    postgres(table).await;
    let second = table.len();
    embedded(table).await;
    table.interleave(first, second);
}

fn section(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "1 queue (PostgreSQL)",
        Backend::Sqlite => "1 queue (SQLite)",
    }
}

async fn postgres(table: &mut Table) {
    println!("queue: seeding {POSTS} posts");
    let (db_name, db_url) = common::fresh_database("queue").await;
    let logs = tempfile::tempdir().unwrap();
    let env: HashMap<String, String> =
        common::bot_env(&db_url, "http://127.0.0.1:9/", logs.path(), &db_name).into_iter().collect();
    let services = Services::build(Config::from_map(&env).unwrap()).await.unwrap();
    let pool = sqlx::PgPool::connect(&db_url).await.unwrap();
    let started = Instant::now();
    for sql in SEED {
        sqlx::query(*sql).execute(&pool).await.unwrap();
    }
    println!("queue: seeded in {:.1} s", started.elapsed().as_secs_f64());

    let iters = common::iterations();
    let baseline = common::sample(iters, |_| {
        let pool = pool.clone();
        async move {
            sqlx::query("SELECT 1").execute(&pool).await.unwrap();
        }
    })
    .await;
    table.push(Row {
        section: section(Backend::Postgres),
        name: format!("baseline: SELECT 1 round trip ({iters}×)"),
        value: format!("median {:.3} ms, p95 {:.3} ms", ms(baseline.median), ms(baseline.p95)),
        baseline: "-".into(),
        ratio: "1×".into(),
        target: "-".into(),
        met: None,
    });
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM posts WHERE status = 'pending' ORDER BY id").fetch_all(&pool).await.unwrap();
    measure(table, Backend::Postgres, &services, baseline, &ids).await;

    for (name, filter) in [("list pending", PENDING), ("filter photo", PHOTO), ("search", SEARCH)] {
        explain(&pool, name, filter).await;
    }
    services.close().await;
    common::drop_database(&db_name).await;
}

/// The same on a SQLite file: migrated and seeded through a connection of its own (then
/// closed), measured through the store `Services::build` opens on it; baseline `SELECT 1` on
/// the store's reader pool (`Store::ping`).
async fn embedded(table: &mut Table) {
    println!("queue (SQLite): seeding {POSTS} posts");
    let dir = tempfile::tempdir().unwrap();
    let (path, url) = sqlite::database(dir.path());
    let mut conn = sqlite::connect(&path).await;
    postgate::store::sqlite::MIGRATOR.run(&mut conn).await.unwrap();
    let started = Instant::now();
    for sql in sqlite::seed() {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
    println!("queue (SQLite): seeded in {:.1} s", started.elapsed().as_secs_f64());
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM posts WHERE status = 'pending' ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    for (name, filter) in sqlite::FILTERS {
        sqlite::explain(&mut conn, name, filter).await;
    }
    conn.close().await.unwrap();
    let env: HashMap<String, String> =
        sqlite::bot_env(&url, "http://127.0.0.1:9/", dir.path(), "queue-sqlite").into_iter().collect();
    let services = Services::build(Config::from_map(&env).unwrap()).await.unwrap();
    let iters = common::iterations();
    let baseline = common::sample(iters, |_| {
        let services = services.clone();
        async move {
            services.store.ping().await.unwrap();
        }
    })
    .await;
    table.push(Row {
        section: section(Backend::Sqlite),
        name: format!("baseline: SELECT 1 on the reader pool (Store::ping, {iters}×)"),
        value: format!("median {:.3} ms, p95 {:.3} ms", ms(baseline.median), ms(baseline.p95)),
        baseline: "-".into(),
        ratio: "1×".into(),
        target: "-".into(),
        met: None,
    });
    measure(table, Backend::Sqlite, &services, baseline, &ids).await;
    services.close().await;
}

/// The console's commands, timed through the core functions; `ids` are the pending posts.
async fn measure(table: &mut Table, backend: Backend, services: &Services, baseline: Stats, ids: &[i64]) {
    let iters = common::iterations();
    let list = |q: PostQuery| {
        let services = services.clone();
        move |_| {
            let services = services.clone();
            let q = q.clone();
            async move {
                let page = services.store.list_posts(&q).await.unwrap();
                assert!(!page.posts.is_empty(), "an empty page measures nothing");
            }
        }
    };
    let pending = PostQuery { status: Some(PostStatus::Pending), ..PostQuery::default() };
    let s = common::sample(iters, list(pending)).await;
    push(table, backend, "list first page of pending (50)", s, baseline);
    let photo = PostQuery { media_kind: Some(MediaKind::Photo), ..PostQuery::default() };
    let s = common::sample(iters, list(photo)).await;
    push(table, backend, "filter: media kind photo", s, baseline);
    let search = PostQuery { search: Some("word".into()), ..PostQuery::default() };
    let s = common::sample(iters, list(search)).await;
    push(table, backend, "search \"word\"", s, baseline);

    assert!(ids.len() >= 2 * (iters + 5), "not enough pending posts");
    let detail_ids = ids;
    let s = common::sample(iters, |i| {
        let services = services.clone();
        let id = PostId(detail_ids[detail_ids.len() - 1 - i]);
        async move {
            let post = services.store.post(id).await.unwrap().unwrap();
            services.store.author(post.author.id).await.unwrap().unwrap();
            services.store.moderation_log(Some(id), 50).await.unwrap();
        }
    })
    .await;
    push(table, backend, "open detail (post + author + log)", s, baseline);
    let s = common::sample(iters, |i| {
        let services = services.clone();
        let decision = Decision {
            post_id: PostId(ids[i]),
            moderator: UserId(MODERATOR),
            source: ActionSource::Console,
            kind: DecisionKind::Approve { edited_body: None },
        };
        async move {
            let outcome = postgate::moderation::decide(&services, &decision).await.unwrap();
            assert!(matches!(outcome, postgate::store::DecideOutcome::Decided { .. }), "{outcome:?}");
        }
    })
    .await;
    push(table, backend, "approve (distinct pending posts)", s, baseline);
}

fn push(table: &mut Table, backend: Backend, name: &str, s: Stats, baseline: Stats) {
    table.push(Row {
        section: section(backend),
        name: name.to_owned(),
        value: format!("median {:.2} ms, p95 {:.2} ms", ms(s.median), ms(s.p95)),
        baseline: format!("SELECT 1: {:.3} ms", ms(baseline.median)),
        ratio: format!("{:.0}×", s.median.as_secs_f64() / baseline.median.as_secs_f64().max(1e-9)),
        target: "< 20 ms median".into(),
        met: Some(s.median < TARGET),
    });
}

/// Prints the plans of the page and count statements and whether they use an index.
async fn explain(pool: &PgPool, name: &str, filter: &str) {
    for (what, sql) in
        [("page", format!("{SUMMARY}{filter}{PAGE}")), ("count", format!("SELECT count(*) FROM posts p{filter}"))]
    {
        let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN (FORMAT TEXT) {sql}")))
            .fetch_all(pool)
            .await
            .unwrap();
        let indexes: Vec<&str> = plan
            .iter()
            .filter_map(|l| {
                l.split(" using ").nth(1).or_else(|| l.split(" on ").nth(1).filter(|_| l.contains("Bitmap Index")))
            })
            .map(|rest| rest.split_whitespace().next().unwrap_or(""))
            .collect();
        let top_scan = plan.iter().any(|l| l.contains("Seq Scan on posts"));
        println!(
            "queue: EXPLAIN {name} ({what}): index used: {}{}",
            if indexes.is_empty() { "no".to_owned() } else { format!("yes ({})", indexes.join(", ")) },
            if top_scan { "; sequential scan of posts" } else { "" }
        );
        for line in &plan {
            println!("    {line}");
        }
    }
}
