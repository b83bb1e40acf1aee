//! Row 10, flags: the near-duplicate lookup at `BENCH_FLAG_POSTS` posts (default 100 000) with
//! their LSH bands stored, on both stores. Texts are 15–40 words drawn from 3 000 made-up
//! words and 30 common ones (so unrelated texts share some words, as real ones do). Each
//! measured lookup is what intake does for a submission: its shingles and bands, one
//! `Store::duplicate_candidates` query, the exact similarity of the candidates. Half the
//! lookups are a seeded post with one word changed (they must be found), half new texts.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use postgate::config::Config;
use postgate::domain::PostId;
use postgate::flags::minhash::{Band, bands, shingles};
use postgate::moderation::flags::closest;
use postgate::services::Services;
use sqlx::{Postgres, QueryBuilder, Sqlite};

use crate::common::{self, Row, Table, ms};
use crate::sqlite::{self, Backend};

const TARGET: Duration = Duration::from_millis(10);
const COMMON: [&str; 30] = [
    "и",
    "в",
    "на",
    "не",
    "с",
    "по",
    "для",
    "что",
    "это",
    "как",
    "от",
    "до",
    "у",
    "за",
    "из",
    "о",
    "же",
    "все",
    "мы",
    "вы",
    "он",
    "она",
    "так",
    "уже",
    "или",
    "если",
    "есть",
    "очень",
    "тут",
    "там",
];
const SYLLABLES: [&str; 16] =
    ["ка", "ро", "ми", "на", "ту", "ле", "зо", "пи", "ва", "до", "ре", "су", "го", "ля", "бы", "ще"];

fn posts() -> i64 {
    std::env::var("BENCH_FLAG_POSTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000).max(1_000)
}

/// `SplitMix64`: deterministic texts.
fn rand(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn word(n: u64) -> String {
    (0..3).map(|i| SYLLABLES[usize::try_from((n >> (4 * i)) & 15).unwrap()]).collect::<String>() + &(n % 7).to_string()
}

/// The text of seed `g`: sentences of 5–10 words.
fn text(g: u64) -> String {
    let words = 15 + rand(g) % 26;
    let mut out = String::new();
    for i in 0..words {
        let r = rand(g.wrapping_mul(1_000).wrapping_add(i));
        let w = if r % 10 < 3 { COMMON[usize::try_from(r % 30).unwrap()].to_owned() } else { word(r % 3_000) };
        out.push_str(&w);
        out.push_str(if i % 7 == 6 { ". " } else { " " });
    }
    out.trim_end().to_owned()
}

pub async fn run(table: &mut Table) {
    let first = table.len();
    postgres(table).await;
    let second = table.len();
    embedded(table).await;
    table.interleave(first, second);
}

/// The posts' bodies and bands, `chunk` posts at a time.
fn seed_rows(n: i64) -> impl Iterator<Item = (i64, String, Vec<Band>)> {
    (1..=n).map(|id| {
        let body = text(u64::try_from(id).unwrap());
        let b = bands(&shingles(&body));
        (id, body, b)
    })
}

async fn postgres(table: &mut Table) {
    let n = posts();
    println!("flags: seeding {n} posts with their bands (PostgreSQL)");
    let (db_name, db_url) = common::fresh_database("flags").await;
    let logs = tempfile::tempdir().unwrap();
    let env: HashMap<String, String> =
        common::bot_env(&db_url, "http://127.0.0.1:9/", logs.path(), &db_name).into_iter().collect();
    let services = Services::build(Config::from_map(&env).unwrap()).await.unwrap();
    let pool = sqlx::PgPool::connect(&db_url).await.unwrap();
    let started = Instant::now();
    sqlx::query("INSERT INTO authors (id, first_name) SELECT g, 'A' || g FROM generate_series(1, 2000) g")
        .execute(&pool)
        .await
        .unwrap();
    let rows: Vec<_> = seed_rows(n).collect();
    for chunk in rows.chunks(2_000) {
        let mut tx = pool.begin().await.unwrap();
        let mut qb = QueryBuilder::<Postgres>::new(
            "INSERT INTO posts (id, author_id, source_chat_id, source_message_id, body, status, decided_by) ",
        );
        qb.push_values(chunk, |mut r, (id, body, _)| {
            let pending = id % 10 == 0;
            r.push_bind(id).push_bind(1 + id % 2000).push_bind(1 + id % 2000).push_bind(i32::try_from(*id).unwrap());
            r.push_bind(body).push_bind(if pending { "pending" } else { "published" });
            r.push_bind(if pending { None } else { Some(77_i64) });
        });
        qb.build().execute(&mut *tx).await.unwrap();
        let fingerprints: Vec<(i64, Band)> = chunk.iter().flat_map(|(id, _, b)| b.iter().map(|b| (*id, *b))).collect();
        for part in fingerprints.chunks(10_000) {
            let mut qb = QueryBuilder::<Postgres>::new("INSERT INTO post_fingerprints (post_id, band, hash) ");
            qb.push_values(part, |mut r, (id, b)| {
                r.push_bind(id).push_bind(b.band).push_bind(b.hash);
            });
            qb.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("SELECT setval('posts_id_seq', {n})"))).execute(&pool).await.unwrap();
    sqlx::query("VACUUM ANALYZE").execute(&pool).await.unwrap();
    println!("flags: seeded in {:.1} s", started.elapsed().as_secs_f64());
    measure(table, Backend::Postgres, &services, n).await;
    services.close().await;
    pool.close().await;
    common::drop_database(&db_name).await;
}

async fn embedded(table: &mut Table) {
    let n = posts();
    println!("flags: seeding {n} posts with their bands (SQLite)");
    let dir = tempfile::tempdir().unwrap();
    let (path, url) = sqlite::database(dir.path());
    let mut conn = sqlite::connect(&path).await;
    postgate::store::sqlite::MIGRATOR.run(&mut conn).await.unwrap();
    let started = Instant::now();
    sqlx::query(
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2000) \
                 INSERT INTO authors (id, first_name) SELECT n, 'A' || n FROM g",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let rows: Vec<_> = seed_rows(n).collect();
    for chunk in rows.chunks(2_000) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO posts (id, author_id, source_chat_id, source_message_id, body, search_text, status, decided_by) ",
        );
        qb.push_values(chunk, |mut r, (id, body, _)| {
            let pending = id % 10 == 0;
            r.push_bind(id).push_bind(1 + id % 2000).push_bind(1 + id % 2000).push_bind(i32::try_from(*id).unwrap());
            r.push_bind(body).push_bind(body.to_lowercase()).push_bind(if pending { "pending" } else { "published" });
            r.push_bind(if pending { None } else { Some(77_i64) });
        });
        qb.build().execute(&mut conn).await.unwrap();
        let fingerprints: Vec<(i64, Band)> = chunk.iter().flat_map(|(id, _, b)| b.iter().map(|b| (*id, *b))).collect();
        for part in fingerprints.chunks(10_000) {
            let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO post_fingerprints (post_id, band, hash) ");
            qb.push_values(part, |mut r, (id, b)| {
                r.push_bind(id).push_bind(b.band).push_bind(b.hash);
            });
            qb.build().execute(&mut conn).await.unwrap();
        }
    }
    println!("flags (SQLite): seeded in {:.1} s", started.elapsed().as_secs_f64());
    explain_sqlite(&mut conn).await;
    sqlx::Connection::close(conn).await.unwrap();
    let env: HashMap<String, String> =
        sqlite::bot_env(&url, "http://127.0.0.1:9/", dir.path(), "flags-sqlite").into_iter().collect();
    let services = Services::build(Config::from_map(&env).unwrap()).await.unwrap();
    measure(table, Backend::Sqlite, &services, n).await;
    services.close().await;
}

/// Prints the plan of the candidate query as the store sends it (`src/store/sqlite/flags.rs`,
/// with literals) on SQLite.
async fn explain_sqlite(conn: &mut sqlx::SqliteConnection) {
    let b = bands(&shingles(&text(1)));
    let union: Vec<String> = b
        .iter()
        .enumerate()
        .map(|(i, b)| {
            format!(
                "SELECT post_id FROM (SELECT post_id FROM post_fingerprints WHERE band = {} AND hash = {} \
                 ORDER BY post_id DESC LIMIT 32) b{i}",
                b.band, b.hash
            )
        })
        .collect();
    let full = format!(
        "EXPLAIN QUERY PLAN SELECT p.id, p.body FROM (SELECT post_id, count(*) AS shared FROM ({}) u \
         GROUP BY post_id) f CROSS JOIN posts p WHERE p.id = f.post_id AND p.id <> 0 \
         AND p.created_at >= '2026-01-01T00:00:00.000Z' AND p.status IN ('pending', 'approved', 'published') \
         ORDER BY f.shared DESC, p.id DESC LIMIT 20",
        union.join(" UNION ALL ")
    );
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(full)).fetch_all(&mut *conn).await.unwrap();
    let mut shown: Vec<&str> = plan.iter().map(|(.., l)| l.as_str()).collect();
    shown.dedup();
    println!("flags (SQLite): plan of a lookup: {}", shown.join(" | "));
}

/// One lookup as intake does it; whether it found `want`.
async fn lookup(services: &Services, body: &str, want: Option<PostId>) -> bool {
    let own = shingles(body);
    let b = bands(&own);
    let since = Utc::now() - chrono::Duration::days(30);
    let candidates = services.store.duplicate_candidates(&b, since, PostId(0), 20).await.unwrap();
    let found = closest(&own, &candidates, postgate::config::FlagsConfig::default().duplicate_percent);
    want.is_none_or(|w| found.is_some_and(|d| d.post_id == w))
}

async fn measure(table: &mut Table, backend: Backend, services: &Services, n: i64) {
    let iters = common::iterations();
    // The same store's round trip, for the ratio (the machine is shared and noisy).
    let baseline = common::sample(iters, |_| {
        let services = services.clone();
        async move {
            services.store.ping().await.unwrap();
        }
    })
    .await;
    let mut samples = Vec::with_capacity(iters);
    let mut found = 0;
    for i in 0..iters + 5 {
        let seed = u64::try_from(i).unwrap();
        let (body, want) = if i % 2 == 0 {
            // A seeded (published or pending) post with one word changed.
            let id = 1 + i64::try_from(rand(seed) % u64::try_from(n).unwrap()).unwrap();
            let original = text(u64::try_from(id).unwrap());
            (original.replacen(' ', " изменено ", 1), Some(PostId(id)))
        } else {
            (text(10_000_000 + seed), None)
        };
        let start = Instant::now();
        let ok = lookup(services, &body, want).await;
        if i >= 5 {
            samples.push(start.elapsed());
            found += usize::from(want.is_some() && ok);
        }
    }
    let dups = iters.div_ceil(2);
    let median = common::percentile_ms(&mut samples, 50);
    let p99 = common::percentile_ms(&mut samples, 99);
    table.push(Row {
        section: match backend {
            Backend::Postgres => "10 flags (PostgreSQL)",
            Backend::Sqlite => "10 flags (SQLite)",
        },
        name: format!("near-duplicate lookup at {n} posts ({iters}×: half edited copies, half new)"),
        value: format!("median {median:.2} ms, p99 {p99:.2} ms; copies found {found}/{dups}"),
        baseline: format!("Store::ping: {:.3} ms", ms(baseline.median)),
        ratio: format!("{:.0}×", median / ms(baseline.median).max(1e-6)),
        target: "< 10 ms median".into(),
        met: Some(median < ms(TARGET) && found * 10 >= dups * 9),
    });
}
