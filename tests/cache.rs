//! The Redis cache against a real Redis (seed 14): after a workload every key under the test's
//! prefix has a TTL, and an unreachable Redis fails fast with a `CacheError` instead of hanging.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use postgate::cache::{Cache, CacheError, RedisCache, Ttl};
use redis::AsyncCommands;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

/// A prefix no other test run shares.
fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("postgate-test:{test}:{}-{nanos}:", std::process::id())
}

async fn raw_connection() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url()).unwrap().get_multiplexed_async_connection().await.unwrap()
}

/// Every key matching `prefix*`, found with SCAN (never KEYS).
async fn scan_keys(conn: &mut redis::aio::MultiplexedConnection, prefix: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    keys.sort();
    keys.dedup();
    keys
}

#[tokio::test]
async fn seed_14_every_key_written_by_a_workload_has_a_ttl() {
    let prefix = unique_prefix("ttl");
    let cache = RedisCache::new(&redis_url(), &prefix, Duration::from_secs(2)).unwrap();
    cache.ping().await.unwrap();
    let ttl = |secs| Ttl::new(Duration::from_secs(secs)).unwrap();

    for i in 0..20 {
        cache.set(&format!("locale:{i}"), "ru", ttl(3600)).await.unwrap();
    }
    cache.set("locale:0", "en", ttl(60)).await.unwrap(); // overwriting keeps a TTL too
    for expected in 1..=5u64 {
        let (n, left) = cache.incr_window("rate:42", ttl(60)).await.unwrap();
        assert_eq!(n, expected);
        assert!((1..=60).contains(&left), "window has {left} s left");
    }
    for i in 0..4 {
        assert_eq!(cache.push("album:g1", &format!("m{i}"), ttl(30)).await.unwrap(), i + 1);
    }
    assert_eq!(cache.get("locale:0").await.unwrap().as_deref(), Some("en"));
    assert_eq!(cache.get("locale:19").await.unwrap().as_deref(), Some("ru"));
    assert_eq!(cache.get("missing").await.unwrap(), None);
    assert_eq!(cache.list("album:g1").await.unwrap(), ["m0", "m1", "m2", "m3"]);
    cache.set("to-delete", "x", ttl(10)).await.unwrap();
    cache.delete("to-delete").await.unwrap();
    assert_eq!(cache.get("to-delete").await.unwrap(), None);

    let mut conn = raw_connection().await;
    let keys = scan_keys(&mut conn, &prefix).await;
    assert_eq!(keys.len(), 22, "20 locale keys, one counter, one list: {keys:?}");
    let mut without_ttl = Vec::new();
    for key in &keys {
        let ttl: i64 = conn.ttl(key).await.unwrap();
        if ttl <= 0 {
            without_ttl.push((key.clone(), ttl));
        }
    }
    let _: () = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await.unwrap();
    assert!(without_ttl.is_empty(), "keys without a TTL: {without_ttl:?}");
    // A zero TTL cannot even be built, so no call can write a key that lives forever.
    assert_eq!(Ttl::new(Duration::ZERO), None);
}

#[tokio::test]
async fn seed_14_an_unreachable_redis_fails_fast_without_panicking() {
    let prefix = unique_prefix("down");
    let cache = RedisCache::new("redis://127.0.0.1:1/0", &prefix, Duration::from_secs(1)).unwrap();
    let ttl = Ttl::from_config(Duration::from_mins(1));
    let started = Instant::now();
    let bound = Duration::from_secs(5);
    let results: Vec<Result<(), CacheError>> = vec![
        tokio::time::timeout(bound, cache.ping()).await.expect("ping hung"),
        tokio::time::timeout(bound, cache.get("k")).await.expect("get hung").map(drop),
        tokio::time::timeout(bound, cache.set("k", "v", ttl)).await.expect("set hung"),
        tokio::time::timeout(bound, cache.incr_window("r", ttl)).await.expect("incr hung").map(drop),
        tokio::time::timeout(bound, cache.push("l", "v", ttl)).await.expect("push hung").map(drop),
    ];
    let elapsed = started.elapsed();
    for r in &results {
        assert!(matches!(r, Err(CacheError::Unavailable(_))), "expected Unavailable, got {r:?}");
    }
    assert!(elapsed < Duration::from_secs(5), "five calls took {elapsed:?}");
}

#[tokio::test]
async fn seed_14_a_redis_that_accepts_but_never_answers_times_out() {
    // A server that takes the connection and then says nothing, like a hung Redis.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let cache = RedisCache::new(&format!("redis://127.0.0.1:{port}/0"), &unique_prefix("hung"), Duration::from_secs(1))
        .unwrap();
    let started = Instant::now();
    let get = tokio::time::timeout(Duration::from_secs(10), cache.get("k")).await.expect("get hung");
    let set =
        tokio::time::timeout(Duration::from_secs(10), cache.set("k", "v", Ttl::from_config(Duration::from_mins(1))))
            .await
            .expect("set hung");
    let elapsed = started.elapsed();
    server.abort();
    assert!(get.is_err() && set.is_err(), "a silent server cannot answer: {get:?} {set:?}");
    assert!(elapsed < Duration::from_secs(8), "two calls against a silent server took {elapsed:?}");
}
