//! Storage under concurrency and the outbox, against a real `PostgreSQL`: the pool stays within its
//! bound under load (seed 07; on SQLite too, counted as open handles on the file), leases skip locked jobs, completing a publication updates the post,
//! completions written together each keep their own card, and every serialized record
//! carries RFC 3339 UTC times (seed 08).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{MOD_A, album_post, approve, check_times, count, text_post};
use postgate::config::Config;
use postgate::domain::{ActionSource, MediaKind, PostStatus, UserId};
use postgate::store::postgres::PgStore;
use postgate::store::{BanRequest, ClaimOutcome, OutboxKind, OutboxResult, PostQuery, Store};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

/// Client backends in this database other than the asking connection.
const OTHER_BACKENDS: &str = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
     AND backend_type = 'client backend' AND pid <> pg_backend_pid()";

/// The production config, from an environment map, for database `url` with a pool of 5.
fn config_with_pool_of_5(url: &str) -> Config {
    let env = [
        ("BOT_TOKEN", "123:abc"),
        ("MODERATION_GROUP_ID", "-100123"),
        ("CHANNEL_ID", "-100456"),
        ("DATABASE_URL", url),
        ("DB_MAX_CONNECTIONS", "5"),
    ];
    Config::from_map(&env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()).unwrap()
}

/// Seed 07's load: 200 tasks at once, each submitting a post, listing the pending queue and
/// counting its author's pending posts; panics naming the first that failed.
async fn concurrent_load(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let post = text_post(1000 + i64::from(i % 20), 10_000 + i, &format!("load {i}"));
                store.submit(&post).await?;
                let query = PostQuery { status: Some(PostStatus::Pending), limit: 10, ..PostQuery::default() };
                store.list_posts(&query).await?;
                store.pending_count_of(post.author.id).await
            })
        })
        .collect();
    for (i, r) in futures::future::join_all(tasks).await.into_iter().enumerate() {
        r.unwrap().unwrap_or_else(|e| panic!("task {i} failed: {e}"));
    }
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn seed_07_concurrent_calls_stay_within_the_pool_bound(_opts: PgPoolOptions, connect: PgConnectOptions) {
    const POOL: i64 = 5;
    let database = connect.get_database().expect("test database name").to_owned();
    let url = common::url_for_database(&database);
    // The store is built the production way: config from the environment map, PgStore::connect.
    let config = config_with_pool_of_5(&url);
    assert_eq!(i64::from(config.database.max_connections), POOL);

    // The sampler is its own connection, outside the pool; it does not count itself.
    let mut sampler = PgConnection::connect_with(&connect).await.unwrap();
    // Wait for the harness's setup connection to be gone so the baseline is exactly zero.
    for _ in 0..100 {
        let n: i64 = sqlx::query_scalar(OTHER_BACKENDS).fetch_one(&mut sampler).await.unwrap();
        if n == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let baseline: i64 = sqlx::query_scalar(OTHER_BACKENDS).fetch_one(&mut sampler).await.unwrap();
    assert_eq!(baseline, 0, "nothing else may be connected to the test database");

    let store = PgStore::connect(&config.database).await.unwrap();
    // A warm pool: connect opened every connection before any work arrived.
    let warm: i64 = sqlx::query_scalar(OTHER_BACKENDS).fetch_one(&mut sampler).await.unwrap();
    assert_eq!(warm, POOL, "connect opens the whole pool up front");
    let done = Arc::new(AtomicBool::new(false));
    let sampling = {
        let done = done.clone();
        tokio::spawn(async move {
            let (mut max, mut samples) = (0i64, 0u32);
            while !done.load(Ordering::Relaxed) {
                let n: i64 = sqlx::query_scalar(OTHER_BACKENDS).fetch_one(&mut sampler).await.unwrap();
                max = max.max(n);
                samples += 1;
                tokio::task::yield_now().await;
            }
            (max, samples)
        })
    };

    concurrent_load(Arc::new(store.clone())).await;
    done.store(true, Ordering::Relaxed);
    let (max, samples) = sampling.await.unwrap();
    assert_eq!(count(store.pool(), "posts").await, 200);
    assert!(samples >= 3, "the sampler ran while the load ran ({samples} samples)");
    assert!(max <= POOL, "{max} connections seen, the pool allows {POOL}");
    assert!(max >= 2, "the load used the pool concurrently (max {max})");
    let pool_size = i64::from(store.pool().size());
    assert!(pool_size <= POOL, "pool reports {pool_size} connections");
    store.close().await;
}

/// Seed 07 on SQLite: one writer and at most the configured readers, counted where they show —
/// as this process's open handles on the database file — while 200 tasks write and read at
/// once; all of them closed with the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seed_07_sqlite_connections_stay_within_the_pool_bound() {
    const BOUND: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postgate.db");
    let url = format!("sqlite://{}", path.display());
    let config = config_with_pool_of_5(&url);
    let store = postgate::store::open(&config.database, Duration::ZERO).await.unwrap();
    let file = std::fs::canonicalize(&path).unwrap();
    let handles = move || {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .filter(|target| *target == file)
            .count()
    };
    let done = Arc::new(AtomicBool::new(false));
    let sampling = {
        let (done, handles) = (done.clone(), handles.clone());
        std::thread::spawn(move || {
            let (mut max, mut samples) = (0, 0u32);
            while !done.load(Ordering::Relaxed) {
                max = max.max(handles());
                samples += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
            (max, samples)
        })
    };
    concurrent_load(store.clone()).await;
    done.store(true, Ordering::Relaxed);
    let (max, samples) = sampling.join().unwrap();
    let page = store.list_posts(&PostQuery { limit: 1, ..PostQuery::default() }).await.unwrap();
    assert_eq!(page.total, 200);
    assert!(samples >= 3, "the sampler ran while the load ran ({samples} samples)");
    // The writer plus the readers: at most the setting (at least 2, at most 8, one per core).
    assert!(max <= 1 + BOUND, "{max} handles on the file seen, the store allows 1 writer + {BOUND} readers");
    assert!(max >= 3, "the load used the writer and several readers at once (max {max})");
    store.close().await;
    assert_eq!(handles(), 0, "every connection to the file closed with the store");
}

/// `n` approved posts: each has a `publish` and an `update_card` job.
async fn approved_posts(store: &PgStore, n: i32) -> Vec<postgate::domain::PostId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = store.submit(&text_post(20, 400 + i, "to publish")).await.unwrap().post_id().unwrap();
        store.decide(&approve(id, MOD_A)).await.unwrap();
        ids.push(id);
    }
    ids
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn lease_outbox_hands_disjoint_jobs_and_skips_locked_ones(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    approved_posts(&store, 6).await;
    // Make every job due now, whatever delay intake gave it.
    sqlx::query("UPDATE outbox SET next_attempt_at = now()").execute(&pool).await.unwrap();
    let total = store.outbox_backlog().await.unwrap();
    assert!(total >= 12, "each approval queues publish and update_card ({total} jobs)");

    // Two leasers at once get disjoint jobs.
    let (a, b) = tokio::join!(store.lease_outbox(5, 60), store.lease_outbox(5, 60));
    let (a, b) = (a.unwrap(), b.unwrap());
    let a_ids: HashSet<i64> = a.iter().map(|j| j.id).collect();
    let b_ids: HashSet<i64> = b.iter().map(|j| j.id).collect();
    assert_eq!((a_ids.len(), b_ids.len()), (5, 5));
    assert!(a_ids.is_disjoint(&b_ids), "{a_ids:?} and {b_ids:?} overlap");
    assert!(a.iter().chain(&b).all(|j| j.attempts == 1));

    // A row locked by another transaction is skipped without waiting for it.
    let remaining: Vec<i64> = sqlx::query_scalar("SELECT id FROM outbox WHERE id <> ALL($1) ORDER BY id")
        .bind(a_ids.union(&b_ids).copied().collect::<Vec<_>>())
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(i64::try_from(remaining.len()).unwrap(), total - 10);
    let mut locker = pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM outbox WHERE id = $1 FOR UPDATE")
        .bind(remaining[0])
        .execute(&mut *locker)
        .await
        .unwrap();
    let leased = tokio::time::timeout(Duration::from_secs(5), store.lease_outbox(1000, 60)).await.expect("no waiting");
    let leased: Vec<i64> = leased.unwrap().iter().map(|j| j.id).collect();
    assert_eq!(leased, remaining[1..], "everything due except the locked job");
    locker.rollback().await.unwrap();

    // Leased jobs stay leased; the freed one is handed out once.
    let last = store.lease_outbox(1000, 60).await.unwrap();
    assert_eq!(last.iter().map(|j| j.id).collect::<Vec<_>>(), [remaining[0]]);
    assert!(store.lease_outbox(1000, 60).await.unwrap().is_empty());
    assert_eq!(store.outbox_backlog().await.unwrap(), total, "leasing does not complete anything");
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn completing_a_publication_publishes_the_post_and_queues_the_author_notice(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let [id] = approved_posts(&store, 1).await[..] else { unreachable!() };
    sqlx::query("UPDATE outbox SET next_attempt_at = now()").execute(&pool).await.unwrap();
    let jobs = store.lease_outbox(100, 60).await.unwrap();
    let publish = jobs.iter().find(|j| j.kind == OutboxKind::Publish).expect("a publish job");
    assert_eq!(publish.post_id, Some(id));
    let mark = common::outbox_mark(&pool).await;

    store.complete_outbox(publish, &OutboxResult::Published { channel_message_id: 777 }).await.unwrap();
    let post = store.post(id).await.unwrap().unwrap();
    assert_eq!(post.status, PostStatus::Published);
    assert_eq!(post.channel_message_id, Some(777));
    assert!(post.published_at.is_some());
    let due = store.lease_outbox(100, 60).await.unwrap();
    assert_eq!(due.iter().map(|j| (j.kind, j.post_id)).collect::<Vec<_>>(), [(OutboxKind::NotifyAuthor, Some(id))]);
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["published", "approve"]);
    let done: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT done_at FROM outbox WHERE id = $1").bind(publish.id).fetch_one(&pool).await.unwrap();
    assert!(done.is_some(), "the publish job is done");

    // Completing the same job again changes nothing and queues nothing.
    store.complete_outbox(publish, &OutboxResult::Published { channel_message_id: 778 }).await.unwrap();
    assert_eq!(store.post(id).await.unwrap().unwrap().channel_message_id, Some(777));
    assert_eq!(common::outbox_kinds_since(&pool, mark).await, ["notify_author"]);
    assert_eq!(count(&pool, "moderation_log").await, 2);
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn seed_08_every_serialized_record_has_rfc3339_utc_times(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let author = UserId(30);
    let claimed = store.submit(&album_post(30, 500, "claimed", &[MediaKind::Photo])).await.unwrap().post_id().unwrap();
    let published = store.submit(&text_post(30, 501, "published")).await.unwrap().post_id().unwrap();
    let claim = store.claim(claimed, MOD_A, 120).await.unwrap();
    assert!(matches!(claim, ClaimOutcome::Claimed { .. }));
    store.decide(&approve(published, MOD_A)).await.unwrap();
    let jobs = store.lease_outbox(10, 60).await.unwrap();
    let publish = jobs.iter().find(|j| j.kind == OutboxKind::Publish).unwrap();
    store.complete_outbox(publish, &OutboxResult::Published { channel_message_id: 9 }).await.unwrap();
    let ban =
        BanRequest { user: author, moderator: MOD_A, source: ActionSource::Console, reason: "spam".into(), post: None };
    store.ban(&ban).await.unwrap();

    let post = store.post(published).await.unwrap().unwrap();
    let claimed_post = store.post(claimed).await.unwrap().unwrap();
    let summaries = store.list_posts(&PostQuery::default()).await.unwrap();
    let recent = store.recent_posts_of(author, 10).await.unwrap();
    let log = store.moderation_log(None, 10).await.unwrap();
    let ban = store.ban_of(author).await.unwrap().unwrap();
    let record = store.author(author).await.unwrap().unwrap();
    let jobs = store.lease_outbox(10, 60).await.unwrap();
    assert!(!jobs.is_empty());

    // (name, JSON, at least this many non-null times)
    let checks = [
        ("PostRecord(published)", serde_json::to_value(&post).unwrap(), 4), // decided, published, created, updated
        ("PostRecord(claimed)", serde_json::to_value(&claimed_post).unwrap(), 3), // claim_expires, created, updated
        ("PostPage", serde_json::to_value(&summaries).unwrap(), 4),         // 2 created, 1 claim, 1 decided
        ("PostSummary[]", serde_json::to_value(&recent).unwrap(), 4),
        ("LogEntry[]", serde_json::to_value(&log).unwrap(), 3),
        ("BanRecord", serde_json::to_value(&ban).unwrap(), 1),
        ("AuthorRecord", serde_json::to_value(&record).unwrap(), 1),
        ("OutboxJob[]", serde_json::to_value(&jobs).unwrap(), 1),
        ("ClaimOutcome", serde_json::to_value(&claim).unwrap(), 1),
    ];
    for (name, json, at_least) in &checks {
        let seen = check_times(name, json);
        assert!(seen >= *at_least, "{name}: expected at least {at_least} times, saw {seen}: {json}");
    }
    // Exact spot checks: the fields keep their names and are strings, not numbers or arrays.
    assert!(checks[0].1["published_at"].as_str().unwrap().ends_with('Z'));
    assert!(checks[1].1["claim_expires_at"].as_str().is_some());
    assert!(checks[8].1["until"].as_str().is_some());
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn completions_arriving_together_each_save_their_own_card(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    for i in 0..40 {
        store.submit(&text_post(1000 + i % 5, i32::try_from(i).unwrap() + 1, &format!("post {i}"))).await.unwrap();
    }
    sqlx::query("UPDATE outbox SET next_attempt_at = now()").execute(&pool).await.unwrap();
    let jobs = store.lease_outbox(1000, 60).await.unwrap();
    assert_eq!(jobs.len(), 40);
    let card = |job: &postgate::store::OutboxJob| 5_000 + i32::try_from(job.post_id.unwrap().0).unwrap();

    // All at once: the completions are written together, each with its own card id.
    let outcomes: Vec<OutboxResult> =
        jobs.iter().map(|job| OutboxResult::Announced { card_message_id: card(job) }).collect();
    let completing = jobs.iter().zip(&outcomes).map(|(job, outcome)| store.complete_outbox(job, outcome));
    let results = futures::future::join_all(completing).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let wrong: i64 =
        sqlx::query_scalar("SELECT count(*) FROM posts WHERE moderation_message_id IS DISTINCT FROM 5000 + id")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(wrong, 0, "every post carries its own card");
    assert_eq!(store.outbox_backlog().await.unwrap(), 0);

    // A job completed twice (a retry after a lost answer) does not move its card.
    store.complete_outbox(&jobs[0], &OutboxResult::Announced { card_message_id: 1 }).await.unwrap();
    let kept: Option<i32> = sqlx::query_scalar("SELECT moderation_message_id FROM posts WHERE id = $1")
        .bind(jobs[0].post_id.unwrap().0)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kept, Some(card(&jobs[0])));
}
